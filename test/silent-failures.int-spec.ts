/**
 * No silent failures (issue 11 §4) is a lint rule: an error handler that drops the error, or an empty catch block,
 * fails `pnpm lint` (and CI). This proves the rule catches each form, and leaves handled errors alone.
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { ROOT } from './support/spawn.js';

const eslint = new ESLint({ cwd: ROOT });

async function swallowingErrors(filePath: string, body: string): Promise<string[]> {
  const code = `export async function probe(p: Promise<unknown>, log: (err: unknown) => void) {\n  ${body}\n  return log;\n}\n`;
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax' || m.ruleId === 'no-empty').map((m) => m.message);
}

describe('silent failures', () => {
  it.each([
    'await p.catch(() => undefined);',
    'await p.catch(() => null);',
    'await p.catch(() => {});',
    'await p.catch(() => void 0);',
    'await p.catch((_err) => undefined);',
    'await p.catch(function () {});',
    'try { await p; } catch {}',
  ])('refuses `%s` in packages, apps, the console and tests', async (body) => {
    for (const file of ['packages/money/src/x.ts', 'apps/api/src/x.ts', 'apps/web/src/x.tsx', 'apps/api/test/x.e2e-spec.ts', 'test/support/x.ts']) {
      expect(await swallowingErrors(file, body)).toHaveLength(1);
    }
  });

  it.each([
    'await p.catch((err) => { throw err; });',
    'await p.catch((err) => log(err));',
    "try { await p; } catch { /* the caller retries: nothing is lost */ }",
  ])('allows `%s`', async (body) => {
    expect(await swallowingErrors('packages/money/src/x.ts', body)).toEqual([]);
  });
});
