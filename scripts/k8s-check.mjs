// `pnpm k8s:check [file|dir …]`: validates the Kubernetes manifests (default: deploy/k8s) offline.
// 1. Schema: each document against the Kubernetes OpenAPI schema of its apiVersion/kind, with the validators the npm
//    package `kubernetes-models` ships (JSON Schema compiled by ajv): types, required fields, enums, formats.
// 2. Unknown fields (what `kubeconform -strict` adds): those schemas allow extra properties, so a typo such as
//    `readinesProbe` would pass them. Each document is also type-checked by TypeScript as an object literal of the
//    package's interface for its kind; excess property checks name every field that Kubernetes does not know.
// 3. Vaultrun's rules: a ConfigMap holds only variables Vaultrun knows (packages/config/src/variables.ts) and never a
//    secret one; the API and worker containers' settings pass the processes' own configuration schema; a container never sets a secret variable as a plain value; a Secret ships only in a
//    `*.example.yaml` file with CHANGE-ME placeholders; readiness probes on /ready and liveness probes on /health;
//    kustomization.yaml lists every manifest that is not an example.
// Exits 1 naming file, document and field of every problem.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// API versions the package still has schemas for but current clusters no longer serve (removed in 1.16–1.26).
const REMOVED_API_VERSIONS = new Set([
  'extensions/v1beta1',
  'apps/v1beta1',
  'apps/v1beta2',
  'batch/v1beta1',
  'policy/v1beta1',
  'autoscaling/v2beta1',
  'autoscaling/v2beta2',
  'networking.k8s.io/v1beta1',
]);
// Secret keys the manifests use that are not process variables (the migration Job's direct PostgreSQL URL).
const EXTRA_SECRET_KEYS = new Set(['DATABASE_DIRECT_URL']);

async function loadConfig() {
  const dist = join(ROOT, 'packages/config/dist/index.js');
  if (!existsSync(dist)) throw new Error('packages/config is not built: run `pnpm --filter @vaultrun/config build` first');
  const config = await import(pathToFileURL(dist).href);
  const known = new Map(config.VARIABLE_DOCS.map((v) => [v.name, v.secret]));
  return { known, apiConfig: config.apiConfig, workerConfig: config.workerConfig };
}

// What a Secret would supply, for validating the rest of a container's settings (the values never matter here).
const SECRET_PLACEHOLDERS = { DATABASE_URL: 'postgres://vaultrun@db.invalid:5432/vaultrun', REDIS_URL: 'redis://redis.invalid:6379' };

/**
 * Runs each Vaultrun container's settings (its ConfigMaps, its plain env values, placeholders for its Secrets)
 * through the processes' own configuration schema: a value the API or the worker would refuse at boot is refused here.
 */
function settingsProblems(docs, config) {
  const configMaps = new Map(docs.filter((d) => d.data.kind === 'ConfigMap').map((d) => [d.data.metadata?.name, d.data.data ?? {}]));
  const problems = [];
  for (const d of docs) {
    if (d.data.kind !== 'Deployment') continue;
    for (const c of containersOf(d.data)) {
      const image = String(c.image ?? '');
      const parse = image.startsWith('vaultrun/api') ? config.apiConfig : image.startsWith('vaultrun/worker') ? config.workerConfig : null;
      if (!parse || c.command) continue;
      const env = {};
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) Object.assign(env, configMaps.get(from.configMapRef.name) ?? {});
        if (from.secretRef) Object.assign(env, SECRET_PLACEHOLDERS);
      }
      for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.secretKeyRef ? SECRET_PLACEHOLDERS[e.name] : 'from-field');
      try {
        parse(env);
      } catch (err) {
        const lines = String(err?.message ?? err).split('\n').map((l) => l.trim()).filter((l) => l && !/^Invalid configuration/.test(l));
        for (const l of lines) problems.push({ label: d.label, text: `container ${c.name}: refused by its configuration schema: ${l}` });
      }
    }
  }
  return problems;
}

function yamlFiles(paths) {
  const out = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (statSync(abs).isDirectory()) {
      for (const f of readdirSync(abs).sort()) if (/\.ya?ml$/.test(f)) out.push(join(abs, f));
    } else out.push(abs);
  }
  return out;
}

/** `apps/v1` + `Deployment` → the kubernetes-models module (`kubernetes-models/apps/v1/Deployment`). */
function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) return null;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function schemaErrors(err) {
  const details = Array.isArray(err?.details) ? err.details : [];
  if (details.length === 0) return [String(err?.message ?? err)];
  return details.map((d) => `${d.instancePath || '/'} ${d.message ?? d.keyword}${d.params?.allowedValues ? ` (${d.params.allowedValues.join(', ')})` : ''}`);
}

/** Type-checks every document as a literal of its kind's interface; returns problems per document index. */
function unknownFieldProblems(docs) {
  const virtual = join(ROOT, 'scripts/.k8s-check.generated.ts');
  const lines = [];
  const owner = []; // line number → document index
  docs.forEach((d, i) => {
    const mod = modulePath(d.data.apiVersion, d.data.kind);
    if (!mod) return;
    const start = lines.length;
    lines.push(`import type { I${d.data.kind} as T${i} } from '${mod}';`);
    lines.push(...`export const doc${i}: T${i} = ${JSON.stringify(d.data, null, 1)};`.split('\n'));
    for (let l = start; l < lines.length; l++) owner[l] = i;
  });
  const source = lines.join('\n');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    resolve(name) === virtual ? ts.createSourceFile(name, source, lang, true) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => resolve(name) === virtual || fileExists.call(host, name);
  host.readFile = (name) => (resolve(name) === virtual ? source : readFile.call(host, name));
  const program = ts.createProgram([virtual], options, host);
  const problems = new Map();
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    if (!diag.file || resolve(diag.file.fileName) !== virtual || diag.start === undefined) continue;
    const { line } = diag.file.getLineAndCharacterOfPosition(diag.start);
    const i = owner[line];
    if (i === undefined) continue;
    const text = ts.flattenDiagnosticMessageText(diag.messageText, ' ');
    const field = /'([^']+)' does not exist in type/.exec(text);
    const msg = field ? `unknown field ${field[1].replace(/^"|"$/g, '')}` : `type: ${text} (${lines[line].trim().replace(/,$/, '')})`;
    problems.set(i, [...(problems.get(i) ?? []), msg]);
  }
  return problems;
}

function containersOf(obj) {
  const spec = obj.kind === 'Job' || obj.kind === 'Deployment' || obj.kind === 'StatefulSet' || obj.kind === 'DaemonSet' ? obj.spec?.template?.spec : obj.kind === 'Pod' ? obj.spec : undefined;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
}

function vaultrunRules(obj, file, known) {
  const problems = [];
  if (obj.kind === 'ConfigMap') {
    for (const key of Object.keys(obj.data ?? {})) {
      if (!known.has(key)) problems.push(`ConfigMap key ${key} is not a Vaultrun variable (packages/config/src/variables.ts)`);
      else if (known.get(key)) problems.push(`ConfigMap key ${key} is a secret: put it in a Secret, never a ConfigMap`);
    }
  }
  if (obj.kind === 'Secret') {
    if (!basename(file).includes('.example.')) problems.push('a Secret belongs in a *.example.yaml file with placeholders; create the real one with kubectl');
    for (const [key, value] of Object.entries({ ...(obj.stringData ?? {}), ...(obj.data ?? {}) })) {
      if (!String(value).includes('CHANGE-ME')) problems.push(`Secret key ${key} holds a value that is not a CHANGE-ME placeholder`);
      if (!known.has(key) && !EXTRA_SECRET_KEYS.has(key) && key !== 'keys') problems.push(`Secret key ${key} is not a Vaultrun variable`);
    }
  }
  for (const c of containersOf(obj)) {
    for (const e of c.env ?? []) {
      if (known.get(e.name) && e.value !== undefined) problems.push(`container ${c.name}: ${e.name} is a secret and is set as a plain value (use secretKeyRef)`);
      if (e.name?.startsWith('VAULTRUN_') && !known.has(e.name)) problems.push(`container ${c.name}: ${e.name} is not a Vaultrun variable`);
    }
    if (obj.kind === 'Deployment') {
      if (c.readinessProbe?.httpGet?.path !== '/ready') problems.push(`container ${c.name}: readinessProbe must be an httpGet on /ready`);
      if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`container ${c.name}: livenessProbe must be an httpGet on /health`);
    }
  }
  return problems;
}

function kustomizationRules(obj, file) {
  const problems = [];
  const dir = dirname(file);
  const listed = new Set(obj.resources ?? []);
  for (const r of listed) if (!existsSync(join(dir, r))) problems.push(`resource ${r} does not exist`);
  for (const f of readdirSync(dir)) {
    if (!/\.ya?ml$/.test(f) || f === basename(file) || f.includes('.example.')) continue;
    if (!listed.has(f)) problems.push(`${f} is not in resources (name it *.example.yaml if it is not meant to be applied)`);
  }
  return problems;
}

export async function checkManifests(paths) {
  const config = await loadConfig();
  const { known } = config;
  const problems = [];
  const docs = [];
  let count = 0;
  for (const file of yamlFiles(paths)) {
    const rel = relative(ROOT, file);
    const parsed = parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' }); // Kubernetes reads YAML 1.1
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((doc, n) => {
      const where = `${rel} (document ${n + 1})`;
      if (doc.errors?.length) {
        problems.push(`${where}: YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
        return;
      }
      const data = doc.toJS();
      if (data === null || data === undefined) return;
      count++;
      if (typeof data !== 'object' || Array.isArray(data)) return void problems.push(`${where}: not a Kubernetes object`);
      const label = `${where} ${data.kind ?? '?'}/${data.metadata?.name ?? '?'}`;
      if (data.kind === 'Kustomization') {
        if (data.apiVersion !== 'kustomize.config.k8s.io/v1beta1') problems.push(`${label}: apiVersion must be kustomize.config.k8s.io/v1beta1`);
        for (const p of kustomizationRules(data, file)) problems.push(`${label}: ${p}`);
        return;
      }
      docs.push({ data, label, file });
    });
  }
  for (const d of docs) {
    const mod = modulePath(d.data.apiVersion, d.data.kind);
    let Model;
    try {
      Model = mod && (await import(mod))[d.data.kind];
    } catch (err) {
      if (err?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      // Not a kind the schemas know: reported just below.
    }
    if (REMOVED_API_VERSIONS.has(d.data.apiVersion)) {
      problems.push(`${d.label}: apiVersion ${d.data.apiVersion} was removed from Kubernetes; use the current version of ${d.data.kind}`);
      d.skipTypes = true;
      continue;
    }
    if (!Model) {
      problems.push(`${d.label}: unknown apiVersion/kind ${d.data.apiVersion}/${d.data.kind}`);
      d.skipTypes = true;
      continue;
    }
    try {
      new Model(d.data).validate();
    } catch (err) {
      for (const e of schemaErrors(err)) problems.push(`${d.label}: schema: ${e}`);
    }
    if (!d.data.metadata?.name) problems.push(`${d.label}: metadata.name is required`);
    for (const p of vaultrunRules(d.data, d.file, known)) problems.push(`${d.label}: ${p}`);
  }
  for (const p of settingsProblems(docs, config)) problems.push(`${p.label}: ${p.text}`);
  const typed = docs.filter((d) => !d.skipTypes);
  for (const [i, list] of unknownFieldProblems(typed)) for (const p of list) problems.push(`${typed[i].label}: ${p}`);
  return { count, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const { count, problems } = await checkManifests(args.length ? args : [join(ROOT, 'deploy/k8s')]);
  if (count === 0) problems.push('no Kubernetes documents found');
  for (const p of problems) console.error(`✗ ${p}`);
  if (problems.length) {
    console.error(`k8s:check: ${problems.length} problem(s) in ${count} document(s)`);
    process.exit(1);
  }
  console.log(`k8s:check: ${count} document(s) valid (Kubernetes schemas from kubernetes-models, unknown fields, Vaultrun rules)`);
}
