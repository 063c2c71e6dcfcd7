// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/*
 * Package boundaries: apps → engine / money → vault-core / providers → db (engine may use money; nothing points
 * back up); config (the environment's schema) is a bottom layer only apps read. Enforced with ESLint's own no-restricted-imports, per layer, so a wrong import fails `pnpm lint` (and CI)
 * with the rule's message; no extra tool needed. Relative paths into another package's sources are refused too.
 */
const LAYERS = {
  config: [],
  db: [],
  providers: ['db'],
  'vault-core': ['db', 'providers'],
  money: ['db', 'providers', 'vault-core'],
  engine: ['db', 'providers', 'vault-core', 'money'],
};
const PACKAGES = Object.keys(LAYERS);
const APPS = ['api', 'worker', 'web'];
const boundaries = Object.entries(LAYERS).map(([pkg, allowed]) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [...PACKAGES.filter((p) => p !== pkg && !allowed.includes(p)), ...APPS].map((p) => ({
          name: `@vaultrun/${p}`,
          message: `@vaultrun/${pkg} may import only ${allowed.length ? allowed.map((a) => `@vaultrun/${a}`).join(', ') : 'no other Vaultrun package'} (apps → engine/money → vault-core/providers → db; config for apps only).`,
        })),
        patterns: [{ group: ['**/packages/**', ...PACKAGES.map((p) => `**/${p}/src/**`), '**/apps/**', '@vaultrun/*/**'], message: 'Import other packages by name (@vaultrun/…), never by a path into their sources.' }],
      },
    ],
  },
}));
const appBoundaries = APPS.map((app) => ({
  files: [`apps/${app}/src/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: APPS.filter((a) => a !== app).map((a) => ({ name: `@vaultrun/${a}`, message: 'Apps do not import each other; share code through a package.' })),
        patterns: [{ group: ['**/packages/**', ...PACKAGES.map((p) => `**/${p}/src/**`), ...APPS.filter((a) => a !== app).map((a) => `**/${a}/src/**`), '@vaultrun/*/**'], message: 'Import packages by name (@vaultrun/…): their index.ts is their public surface.' }],
      },
    ],
  },
}));

/*
 * No silent failures: a promise's error handler that does nothing (`.catch(() => undefined)`, `() => null`, `() => {}`,
 * `() => void 0`) hides the failure from everyone. Handle it (or let the caller), or log it once with context and say
 * in a comment why going on is safe. Empty `catch {}` blocks are refused by `no-empty` (a comment inside says why).
 */
const SWALLOWING_HANDLER = "CallExpression[callee.property.name='catch'] > :matches(ArrowFunctionExpression, FunctionExpression)";
const SWALLOWED_ERROR_MESSAGE =
  'This drops the error without a word. Let the caller handle it, or log it once with context (in packages: through a hook the caller gives) and say in a comment why it is safe to go on.';
const noSwallowedErrors = [
  'error',
  ...[
    "[body.type='Identifier'][body.name='undefined']",
    "[body.type='Literal'][body.raw='null']",
    "[body.type='UnaryExpression'][body.operator='void']",
    "[body.type='BlockStatement'][body.body.length=0]",
  ].map((body) => ({ selector: `${SWALLOWING_HANDLER}${body}`, message: SWALLOWED_ERROR_MESSAGE })),
];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'apps/web/src/api/generated/**', '**/*.d.ts', '.turbo/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-restricted-syntax': noSwallowedErrors,
    },
  },
  {
    // Nest resolves constructor parameters from emitted decorator metadata: a `type` import would erase it.
    files: ['apps/api/src/**/*.ts', 'apps/worker/src/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...boundaries,
  ...appBoundaries,

  {
    files: ['**/cli.ts', '**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts', '**/test/**/*.ts', 'scripts/**/*.{js,mjs}'],
    // Test code reads HTTP bodies, which are untyped JSON by nature.
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
