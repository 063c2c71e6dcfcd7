import { useEffect, useRef } from 'react';
import { Brand, Navigation } from './Navigation.js';
import { ThemeSwitch } from './ThemeSwitch.js';
import { UserMenu } from './UserMenu.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';

/**
 * The navigation below the compact breakpoint: a modal `<dialog>` sliding in from the left, so the page behind it is
 * inert, focus stays inside, Escape closes it and the browser restores focus to the menu button. A click on the
 * backdrop (the dialog element itself, outside its panel) closes it too; the shell closes it after a navigation.
 */
export function NavDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={dialogRef}
      id="nav-drawer"
      className="nav-drawer"
      aria-label="Navigation"
      data-testid="nav-drawer"
      onClose={onClose}
      onClick={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div className="nav-drawer-panel">
        <div className="nav-drawer-head">
          <Brand />
          <button type="button" className="icon-button icon-button-dark" aria-label="Close navigation" data-testid="nav-close" onClick={onClose} autoFocus>
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d="M6 6l12 12M18 6L6 18" />
            </svg>
          </button>
        </div>
        <Navigation />
        <div className="nav-drawer-footer">
          <WorkspaceSwitcher />
          <ThemeSwitch />
          <UserMenu />
        </div>
      </div>
    </dialog>
  );
}
