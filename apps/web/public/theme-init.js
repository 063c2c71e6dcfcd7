/* global window, document */
// Applies the colour scheme chosen in this browser before the first paint (src/lib/theme.ts owns the setting).
// A plain script file, not inline: the API's Content-Security-Policy allows scripts from 'self' only.
try {
  var choice = window.localStorage.getItem('vaultrun.theme');
  if (choice === 'light' || choice === 'dark') document.documentElement.dataset.theme = choice;
} catch (error) {
  // Storage disabled: the system's preference applies.
}
