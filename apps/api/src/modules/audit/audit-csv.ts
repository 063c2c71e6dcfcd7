import type { AuditEventDto } from './audit.dto.js';

export const AUDIT_CSV_COLUMNS = ['time', 'action', 'outcome', 'actor_type', 'actor_id', 'actor', 'target_type', 'target_id', 'target', 'ip', 'metadata'] as const;

/**
 * One CSV cell (RFC 4180: always quoted, quotes doubled). A value a spreadsheet would run as a formula — one that starts
 * with `=`, `+`, `-` or `@`, or with a tab or carriage return that some spreadsheets skip before looking — is prefixed with
 * `'` so it stays text (OWASP, "CSV injection"): names, emails and metadata are written by users.
 */
export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(cells: (string | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function auditCsvRow(e: AuditEventDto): string {
  return csvLine([
    e.createdAt,
    e.action,
    e.outcome,
    e.actor.type,
    e.actor.id,
    e.actor.label,
    e.target?.type,
    e.target?.id,
    e.target?.name,
    e.ip,
    JSON.stringify(e.metadata ?? {}),
  ]);
}
