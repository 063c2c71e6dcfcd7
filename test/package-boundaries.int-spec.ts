/**
 * The package direction (apps → engine/money → vault-core/providers → db; config for apps only) is a lint rule: this proves the rule
 * catches a wrong import, so `pnpm lint` in CI would fail on one.
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { ROOT } from './support/spawn.js';

const eslint = new ESLint({ cwd: ROOT });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('package boundaries', () => {
  it.each([
    ['packages/db/src/x.ts', "import { AccountVerifier } from '@vaultrun/vault-core';"],
    ['packages/providers/src/x.ts', "import { Envelope } from '@vaultrun/vault-core';"],
    ['packages/vault-core/src/x.ts', "import { quoteRun } from '@vaultrun/money';"],
    ['packages/vault-core/src/x.ts', "import { RunExecutor } from '@vaultrun/engine';"],
    ['packages/money/src/x.ts', "import { RunExecutor } from '@vaultrun/engine';"],
    ['packages/engine/src/x.ts', "import { AppModule } from '@vaultrun/api';"],
    ['packages/money/src/x.ts', "import { transitionRun } from '../../engine/src/runs/store.js';"],
    ['apps/worker/src/x.ts', "import { RunsService } from '../../api/src/modules/runs/runs.service.js';"],
    ['apps/api/src/x.ts', "import { toRun } from '@vaultrun/engine/dist/runs/executor.js';"],
    ['packages/config/src/x.ts', "import { Run } from '@vaultrun/db';"],
    ['packages/engine/src/x.ts', "import { workerConfig } from '@vaultrun/config';"],
  ])('refuses %s → %s', async (file, code) => {
    expect(await boundaryErrors(file, `${code}\nexport const used = [];\n`)).toHaveLength(1);
  });

  it.each([
    ['packages/engine/src/x.ts', "import { quoteRun } from '@vaultrun/money';"],
    ['packages/money/src/x.ts', "import { SecretStore } from '@vaultrun/vault-core';"],
    ['packages/vault-core/src/x.ts', "import { createProvider } from '@vaultrun/providers';"],
    ['apps/api/src/x.ts', "import { RunExecutor } from '@vaultrun/engine';"],
    ['apps/worker/src/x.ts', "import { workerConfig } from '@vaultrun/config';"],
  ])('allows %s → %s', async (file, code) => {
    expect(await boundaryErrors(file, `${code}\nexport const used = [];\n`)).toEqual([]);
  });
});
