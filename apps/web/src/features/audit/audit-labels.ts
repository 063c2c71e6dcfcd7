import type { AuditEventDto } from '../../api/generated/types.gen.js';

export const TARGET_TYPES: { value: string; label: string }[] = [
  { value: 'provider_account', label: 'Provider account' },
  { value: 'operator', label: 'Operator' },
  { value: 'api_token', label: 'API token' },
  { value: 'budget', label: 'Budget' },
  { value: 'user', label: 'Member' },
  { value: 'invite', label: 'Invite' },
  { value: 'mission', label: 'Mission' },
  { value: 'price_override', label: 'Price override' },
  { value: 'workspace', label: 'Workspace' },
];

export function targetTypeLabel(type: string): string {
  return TARGET_TYPES.find((t) => t.value === type)?.label ?? type.replace(/_/g, ' ');
}

/** Where a target lives in the console (its row opens and is highlighted there); null when it has no page. */
export function targetHref(target: NonNullable<AuditEventDto['target']>): string | null {
  if (!target.id || !target.exists) return null;
  switch (target.type) {
    case 'provider_account':
      return `/vault#account-${target.id}`;
    case 'operator':
      return `/operators#operator-${target.id}`;
    case 'api_token':
      return `/tokens#token-${target.id}`;
    case 'budget':
      return `/budgets#budget-${target.id}`;
    case 'user':
      return `/members?q=${encodeURIComponent(target.name ?? '')}`;
    case 'invite':
      return '/members';
    case 'mission':
      return `/missions/${target.id}`;
    case 'price_override':
      return '/budgets';
    case 'workspace':
      return '/settings';
    default:
      return null;
  }
}

/** Where the actor is listed: a member, or an API token. */
export function actorHref(actor: AuditEventDto['actor']): string | null {
  if (actor.type === 'user' && actor.label) return `/members?q=${encodeURIComponent(actor.label)}`;
  if (actor.type === 'token' && actor.id) return `/tokens#token-${actor.id}`;
  return null;
}

export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

const isPair = (v: unknown): v is { from: unknown; to: unknown } => !!v && typeof v === 'object' && !Array.isArray(v) && 'from' in v && 'to' in v && Object.keys(v).length === 2;

/**
 * What an event says changed, as before/after rows: `{ field: { from, to } }` pairs at the top of its metadata (budget
 * updates) or under `diff` (accounts, operators), and `visibilityFrom`/`visibilityTo`.
 */
export function changesOf(metadata: Record<string, unknown>): Change[] {
  const out: Change[] = [];
  for (const [field, value] of Object.entries(metadata)) if (isPair(value)) out.push({ field, from: value.from, to: value.to });
  const diff = metadata.diff;
  if (diff && typeof diff === 'object') for (const [field, value] of Object.entries(diff)) if (isPair(value)) out.push({ field, from: value.from, to: value.to });
  if ('visibilityFrom' in metadata || 'visibilityTo' in metadata) out.push({ field: 'visibility', from: metadata.visibilityFrom, to: metadata.visibilityTo });
  if ('from' in metadata && 'to' in metadata && typeof metadata.from !== 'object') out.push({ field: 'role', from: metadata.from, to: metadata.to });
  return out;
}

/** The metadata that is not a change (names, hints, counts), for the detail's list of facts. */
export function otherFacts(metadata: Record<string, unknown>): [string, unknown][] {
  return Object.entries(metadata).filter(([k, v]) => !isPair(v) && !['diff', 'changed', 'visibilityFrom', 'visibilityTo', 'from', 'to'].includes(k));
}

export function showValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** "member.role_change" → group "member". */
export function actionGroup(action: string): string {
  const parts = action.split('.');
  return parts.length > 2 ? parts.slice(0, 2).join('.') : parts[0]!;
}
