// Vaultrun credits (docs/managed.md): a workspace's balance is its credits budget (cap = given − expired unused); these
// are the states the console and the API name.

/** Low balance (the alert threshold of the credits is used, some left) and exhausted (credits were given, none left). */
export function creditState(cap: bigint, spent: bigint, granted: bigint, alertPct: number): { lowBalance: boolean; exhausted: boolean } {
  const exhausted = granted > 0n && cap - spent <= 0n;
  return { exhausted, lowBalance: !exhausted && cap > 0n && spent * 100n >= cap * BigInt(alertPct) };
}
