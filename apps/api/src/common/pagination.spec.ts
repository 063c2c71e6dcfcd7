import { describe, expect, it } from '@jest/globals';
import { ValidationFailed } from '@vaultrun/vault-core';
import { decodeCursor, encodeCursor, nextCursorOf } from './pagination.js';

describe('keyset cursors', () => {
  it('round-trips', () => {
    const c = { createdAt: new Date('2026-11-23T10:00:00.123Z'), id: '0b6f1c9e-6a53-4c8e-9a4c-2d0b0e5c1f00' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses anything it did not make, as a 400 on `cursor`', () => {
    for (const bad of ['garbage', Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationFailed);
    }
  });

  it('offers a next cursor only for a full page', () => {
    const rows = [1, 2].map((i) => ({ createdAt: new Date(i), id: `0b6f1c9e-6a53-4c8e-9a4c-2d0b0e5c1f0${i}` }));
    expect(nextCursorOf(rows, 2)).toBe(encodeCursor(rows[1]!));
    expect(nextCursorOf(rows, 3)).toBeNull();
  });
});
