// Soft-threshold alerts leave through an outbox: the ledger marks a budget period `alerted_at` (with its audit
// entry) in the same transaction as the charge that crossed the threshold; the worker then delivers each alert
// to the workspace's webhook until it is accepted (`alert_delivered_at`).
import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Envelope, WrappedKey } from '../crypto/envelope.js';

export const BUDGET_ALERT_EVENT = 'budget.soft_threshold_crossed';

const webhookSecretContext = (workspaceId: string) => `ws=${workspaceId}|purpose=alert_webhook_secret`;

/**
 * The alert webhook's signing secret as stored: wrapped by the active master key like a data key (it is itself a
 * key), bound to its workspace by the associated data, re-wrapped by `vault:rotate`.
 */
export function sealWebhookSecret(envelope: Envelope, workspaceId: string, secret: string): WrappedKey {
  const plain = Buffer.from(secret, 'utf8');
  try {
    return envelope.wrapKey(webhookSecretContext(workspaceId), plain);
  } finally {
    plain.fill(0);
  }
}

/** The signing secret for signing a delivery. A row an older version stored in clear (no version yet) is used as is. */
export function openWebhookSecret(envelope: Envelope, workspaceId: string, stored: { secret: string; kekVersion: number | null }): string {
  if (stored.kekVersion === null) return stored.secret;
  const plain = envelope.unwrapKey(webhookSecretContext(workspaceId), { kekVersion: stored.kekVersion, wrapped: stored.secret }, 'alert webhook signing secret');
  try {
    return plain.toString('utf8');
  } finally {
    plain.fill(0);
  }
}

/** Re-wraps a stored signing secret under another master key version (master-key rotation). */
export function rewrapWebhookSecret(envelope: Envelope, workspaceId: string, stored: WrappedKey): WrappedKey {
  return envelope.rewrapKey(webhookSecretContext(workspaceId), stored, 'alert webhook signing secret');
}

/** Alerts of the last day not yet delivered to a configured webhook. */
export async function pendingAlerts(db: DataSource, limit = 100): Promise<{ budgetId: string; periodStart: string }[]> {
  const rows: { budget_id: string; period_start: Date }[] = await db.query(
    `SELECT bp.budget_id, bp.period_start FROM budget_periods bp
       JOIN budgets b ON b.id = bp.budget_id JOIN workspaces w ON w.id = b.workspace_id
      WHERE bp.alerted_at > now() - interval '1 day' AND bp.alert_delivered_at IS NULL AND w.alert_webhook_url IS NOT NULL
      ORDER BY bp.alerted_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ budgetId: r.budget_id, periodStart: new Date(r.period_start).toISOString() }));
}

export interface AlertDelivery {
  url: string;
  secret: string;
  /** The JSON body, exactly as signed. */
  body: string;
  deliveryId: string;
}

/** The webhook call for one alert, or null when there is nothing (left) to deliver. */
export async function alertDelivery(db: DataSource, envelope: Envelope, budgetId: string, periodStart: string): Promise<AlertDelivery | null> {
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT b.id, b.workspace_id, b.name, b.scope_type, b.scope_id, b.period, b.cap_micro_usd, b.soft_threshold_pct,
            bp.period_start, bp.alerted_at, w.alert_webhook_url, w.alert_webhook_secret, w.alert_webhook_kek_version,
            (SELECT a.metadata->>'spentMicroUsd' FROM audit_events a
              WHERE a.workspace_id = b.workspace_id AND a.action = 'budget.soft_threshold_crossed' AND a.target_id = b.id::text AND a.created_at >= bp.period_start
              ORDER BY a.created_at DESC LIMIT 1) AS spent_at_alert
       FROM budget_periods bp JOIN budgets b ON b.id = bp.budget_id JOIN workspaces w ON w.id = b.workspace_id
      WHERE bp.budget_id = $1 AND bp.period_start = $2 AND bp.alerted_at IS NOT NULL AND bp.alert_delivered_at IS NULL`,
    [budgetId, periodStart],
  );
  const r = rows[0];
  if (!r || !r.alert_webhook_url || !r.alert_webhook_secret) return null;
  const deliveryId = `${budgetId}:${new Date(r.period_start as Date).toISOString()}`;
  const body = JSON.stringify({
    id: deliveryId,
    type: BUDGET_ALERT_EVENT,
    createdAt: new Date(r.alerted_at as Date).toISOString(),
    workspaceId: r.workspace_id,
    budget: {
      id: r.id,
      name: r.name,
      scope: { type: r.scope_type, id: r.scope_id },
      period: r.period,
      periodStart: new Date(r.period_start as Date).toISOString(),
      capMicroUsd: Number(r.cap_micro_usd),
      softThresholdPct: r.soft_threshold_pct,
      // Spend when it crossed the threshold: the body is the same on every retry of the delivery.
      spentMicroUsd: Number(r.spent_at_alert),
    },
  });
  const secret = openWebhookSecret(envelope, String(r.workspace_id), {
    secret: String(r.alert_webhook_secret),
    kekVersion: r.alert_webhook_kek_version === null ? null : Number(r.alert_webhook_kek_version),
  });
  return { url: String(r.alert_webhook_url), secret, body, deliveryId };
}

export async function markAlertDelivered(db: DataSource, budgetId: string, periodStart: string): Promise<void> {
  await db.query(`UPDATE budget_periods SET alert_delivered_at = now() WHERE budget_id = $1 AND period_start = $2`, [budgetId, periodStart]);
}

/**
 * `Vaultrun-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the scheme Stripe popularised):
 * the receiver recomputes it with the secret shown once when the webhook was set, and rejects old timestamps.
 */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}
