// One jest run over every suite, so `pnpm test` ends with a single summary.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true, tsx: false },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

// ESM-only packages that CommonJS dependencies require(): jest's CommonJS loader needs them transformed.
const ESM_ONLY = ['cookie', 'content-disposition', 'file-type', 'strtok3', 'token-types', '@tokenizer/inflate', 'uint8array-extras'];
const esmOnlyPattern = ESM_ONLY.map((p) => p.replace('/', '\\/')).join('|');

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // Workspace packages resolve to their sources, so tests never run against a stale build.
    '^@vaultrun/(config|db|vault-core|providers|engine|money)$': '<rootDir>/packages/$1/src/index.ts',
    '^@vaultrun/api$': '<rootDir>/apps/api/src/app.ts',
    '^@vaultrun/worker$': '<rootDir>/apps/worker/src/worker.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': swc,
    [`^.+/node_modules/(${esmOnlyPattern})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(.+/)?(${esmOnlyPattern})/)`],
  rootDir: '.',
};

const ignore = ['/node_modules/', '/dist/'];

export default {
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  // Generous: the heavy integration scenarios share two cores with three other jest projects in CI.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.spec.ts'], testPathIgnorePatterns: ignore },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,packages}/*/{src,test}/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
      testPathIgnorePatterns: ignore,
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'], testPathIgnorePatterns: ignore },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/apps/web/test/**/*.browser-spec.ts'], testPathIgnorePatterns: ignore },
  ],
};
