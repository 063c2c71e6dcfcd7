import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * Search, sort and paging for the workspace's own lists (accounts, operators, tokens, members). These lists are
 * bounded by a team's size — hundreds, not millions — so they page by offset with a total, which lets the console
 * show "page 2 of 5" and sort by any column; the unbounded logs (runs, audit) page by keyset cursor instead.
 * Without `limit` a list answers every item, as before (pickers rely on it).
 */
export class ListQueryDto {
  @ApiPropertyOptional({ maxLength: 100, description: 'Case-insensitive search in names (and the other text columns named per list)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, description: 'Page size; without it, every matching item' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100_000, default: 0, description: 'Items to skip (with limit)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  offset?: number;
}

/** `%q%` for ILIKE, with the pattern's own wildcards escaped. */
export function containsPattern(q: string): string {
  return `%${q.trim().replace(/[%_\\]/g, '\\$&')}%`;
}

/** `name` → ascending, `-name` → descending; the column comes from a fixed map, never from the request. */
export function sortOf<K extends string>(sort: string | undefined, fallback: string, columns: Record<K, string>): { column: string; direction: 'ASC' | 'DESC' } {
  const value = sort ?? fallback;
  const desc = value.startsWith('-');
  const key = (desc ? value.slice(1) : value) as K;
  return { column: columns[key], direction: desc ? 'DESC' : 'ASC' };
}

/** The values `sort` accepts for a map of columns: each key, ascending or descending (`-key`). */
export const sortValues = (keys: readonly string[]): string[] => keys.flatMap((k) => [k, `-${k}`]);

/** `a,b` in a query string → ['a', 'b'] (a repeated parameter already arrives as an array). */
export const commaList = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter(Boolean) : value);
