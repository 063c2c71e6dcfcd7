import { useId } from 'react';
import { setThemeChoice, type ThemeChoice, useThemeChoice } from '../../lib/theme.js';

const CHOICES: { value: ThemeChoice; label: string; icon: string }[] = [
  { value: 'system', label: 'System', icon: 'M3 5h18v11H3zM8 20h8M12 16v4' },
  { value: 'light', label: 'Light', icon: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4' },
  { value: 'dark', label: 'Dark', icon: 'M20 14.5A8 8 0 0 1 9.5 4 8 8 0 1 0 20 14.5z' },
];

/**
 * System / Light / Dark, as radio buttons (one choice, arrow keys move between them). `compact` shows icons only,
 * each still named for screen readers.
 */
export function ThemeSwitch({ compact = false }: { compact?: boolean }) {
  const choice = useThemeChoice();
  const name = useId();
  return (
    <fieldset className={`theme-switch${compact ? ' theme-switch-compact' : ''}`} data-testid="theme-switch">
      <legend className={compact ? 'visually-hidden' : 'theme-switch-legend'}>Colour scheme</legend>
      <div className="theme-switch-options">
        {CHOICES.map((option) => (
          <label key={option.value} className="theme-option" title={compact ? `${option.label} colour scheme` : undefined}>
            <input
              type="radio"
              name={name}
              value={option.value}
              checked={choice === option.value}
              onChange={() => setThemeChoice(option.value)}
              data-testid={`theme-${option.value}`}
            />
            <svg viewBox="0 0 24 24" aria-hidden="true" className="theme-icon">
              <path d={option.icon} />
            </svg>
            <span className={compact ? 'visually-hidden' : undefined}>{option.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
