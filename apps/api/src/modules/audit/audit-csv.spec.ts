import { describe, expect, it } from '@jest/globals';
import { auditCsvRow, csvCell, csvLine } from './audit-csv.js';

describe('audit CSV', () => {
  it('quotes every cell and doubles quotes', () => {
    expect(csvLine(['a', 'say "hi"', null, 'x,y\nz'])).toBe('"a","say ""hi""","","x,y\nz"\r\n');
  });

  it('keeps values a spreadsheet would run as formulas as text', () => {
    for (const v of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(v).startsWith(`"'`)).toBe(true);
    expect(csvCell('plain@example.com')).toBe('"plain@example.com"');
    expect(csvCell('a-b')).toBe('"a-b"');
  });

  it('writes an event as one row with its metadata as JSON', () => {
    const row = auditCsvRow({
      id: 'e1',
      action: 'operator.update',
      outcome: 'success',
      actor: { type: 'user', id: 'u1', label: '=cmd|calc' },
      target: { type: 'operator', id: 'o1', name: '@evil', exists: true },
      ip: '127.0.0.1',
      metadata: { name: '@evil', changed: ['name'] },
      createdAt: '2026-12-01T00:00:00.000Z',
    });
    expect(row).toBe(
      `"2026-12-01T00:00:00.000Z","operator.update","success","user","u1","'=cmd|calc","operator","o1","'@evil","127.0.0.1","{""name"":""@evil"",""changed"":[""name""]}"\r\n`,
    );
  });
});
