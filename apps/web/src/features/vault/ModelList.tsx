/** The models a provider listed at verification, as compact chips in a scrollable box. */
export function ModelList({ models, testId, highlight }: { models: string[]; testId?: string; highlight?: string | null }) {
  if (models.length === 0) return <p className="muted small">No models listed yet.</p>;
  return (
    <ul className="model-list" data-testid={testId} aria-label="Verified models">
      {models.map((m) => (
        <li key={m} className={m === highlight ? 'model model-highlight' : 'model'}>
          {m}
        </li>
      ))}
    </ul>
  );
}
