import type { RefObject } from 'react';

/**
 * A password input for a provider key, deliberately uncontrolled: the key never enters React state
 * (a controlled input would also mirror it into the `value` attribute, i.e. into the page's HTML).
 * It has no `name`, so even a form submitted natively could not put it in a URL. The owner reads
 * `inputRef.current.value` on submit and empties it afterwards.
 */
export function SecretKeyInput({
  id,
  inputRef,
  testId,
  placeholder,
  describedBy,
  onPresenceChange,
  disabled,
}: {
  id: string;
  inputRef: RefObject<HTMLInputElement | null>;
  testId: string;
  placeholder?: string;
  describedBy?: string;
  onPresenceChange: (present: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <input
      id={id}
      ref={inputRef}
      type="password"
      className="secret-input"
      data-testid={testId}
      autoComplete="off"
      autoCorrect="off"
      autoCapitalize="off"
      spellCheck={false}
      // Password managers: this is not the user's own password.
      data-1p-ignore=""
      data-lpignore="true"
      placeholder={placeholder}
      aria-describedby={describedBy}
      disabled={disabled}
      onChange={(e) => onPresenceChange(e.target.value.trim().length > 0)}
    />
  );
}
