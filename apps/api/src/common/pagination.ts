import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidationFailed } from '@vaultrun/vault-core';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page\'s `nextCursor`' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

/** Keyset pagination over (created_at DESC, id DESC): stable under inserts, no OFFSET scans. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(t);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw ValidationFailed.field('cursor', 'is not a cursor returned by this endpoint');
  }
}

export function nextCursorOf<T extends Cursor>(rows: T[], limit: number): string | null {
  return rows.length === limit ? encodeCursor(rows[rows.length - 1]!) : null;
}
