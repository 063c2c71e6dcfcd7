#!/usr/bin/env node
/**
 * Database commands:
 *   create-if-missing  create the DATABASE_URL database when it does not exist yet
 *   migrate            apply pending migrations to DATABASE_URL
 *   check              exit 1 when the entities and the committed migrations disagree
 *   generate <Name>    write src/migrations/<timestamp>-<Name>.ts with the missing changes
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, databaseExists, runMigrations, schemaDrift } from './database-admin.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/vaultrun).');
  process.exit(2);
}

const [command, name] = process.argv.slice(2);

function escape(sql: string): string {
  return sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

async function main(): Promise<number> {
  switch (command) {
    case 'create-if-missing': {
      const name = decodeURIComponent(new URL(url!).pathname.slice(1));
      if (await databaseExists(url!)) return 0;
      await createDatabase(url!, name);
      console.log(`Created database ${name}.`);
      return 0;
    }
    case 'migrate': {
      const applied = await runMigrations(url!);
      console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.');
      return 0;
    }
    case 'check': {
      const drift = await schemaDrift(url!);
      if (drift.up.length === 0) {
        console.log('Migrations match the entities.');
        return 0;
      }
      console.error('The entities and the migrations disagree. Missing statements:');
      for (const q of drift.up) console.error(`  ${q};`);
      console.error('Run `pnpm --filter @vaultrun/db migration:generate <Name>` and commit the result.');
      return 1;
    }
    case 'generate': {
      if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
        console.error('usage: generate <PascalCaseName>');
        return 2;
      }
      const drift = await schemaDrift(url!);
      if (drift.up.length === 0) {
        console.log('No changes.');
        return 0;
      }
      const stamp = Date.now();
      const cls = `${name}${stamp}`;
      const body = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${cls} implements MigrationInterface {
  name = '${cls}';

  async up(q: QueryRunner): Promise<void> {
${drift.up.map((s) => `    await q.query(\`${escape(s)}\`);`).join('\n')}
  }

  async down(q: QueryRunner): Promise<void> {
${drift.down.map((s) => `    await q.query(\`${escape(s)}\`);`).join('\n')}
  }
}
`;
      const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'migrations');
      const file = join(srcDir, `${stamp}-${name}.ts`);
      writeFileSync(file, body);
      console.log(`Wrote ${file}. Add it to src/migrations/index.ts.`);
      return 0;
    }
    default:
      console.error('usage: cli.js create-if-missing | migrate | check | generate <Name>');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
