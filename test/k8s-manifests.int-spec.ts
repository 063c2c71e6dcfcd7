/**
 * `pnpm k8s:check` (scripts/k8s-check.mjs) passes the shipped manifests in deploy/k8s and refuses broken ones — so
 * the CI step that runs it can fail. One run over a copy of deploy/k8s in which each file carries one mistake.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/spawn.js';

const SCRIPT = join(ROOT, 'scripts/k8s-check.mjs');

function check(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, dir], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Replaces `from` (which must be there) in a copied manifest. */
function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: ${String(from)} not found`);
  writeFileSync(path, next);
}

describe('Kubernetes manifests (pnpm k8s:check)', () => {
  it('accepts deploy/k8s as shipped', async () => {
    const r = await check(join(ROOT, 'deploy/k8s'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/k8s:check: \d+ document\(s\) valid/);
  });

  it('refuses a broken manifest, naming the file and the mistake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vaultrun-k8s-'));
    try {
      cpSync(join(ROOT, 'deploy/k8s'), dir, { recursive: true });
      // A field Kubernetes does not know (the schemas alone would let it through).
      edit(dir, 'api.yaml', 'readinessProbe:', 'readinesProbe:');
      // An API version clusters no longer serve (the package still has its schema).
      edit(dir, 'api.yaml', 'apiVersion: policy/v1', 'apiVersion: policy/v1beta1');
      // A wrong type.
      edit(dir, 'worker.yaml', 'replicas: 2', 'replicas: two');
      // A secret in the ConfigMap, and a misspelt variable.
      edit(dir, 'configmap.yaml', 'LOG_LEVEL: info', 'LOG_LEVEL: info\n  VAULTRUN_MASTER_KEYS: "1:abc"\n  VAULTRUN_RUN_CONCURENCY: "5"');
      // A value the worker would refuse at boot (its own configuration schema says why).
      edit(dir, 'configmap.yaml', 'VAULTRUN_RUNS_CONCURRENCY: "50"', 'VAULTRUN_RUNS_CONCURRENCY: "lots"');
      // A real value in the example Secret.
      edit(dir, 'secret.example.yaml', 'REDIS_SENTINEL_PASSWORD: CHANGE-ME', 'REDIS_SENTINEL_PASSWORD: hunter2');
      // Liveness on /ready: a Redis outage would restart every worker.
      edit(dir, 'worker.yaml', /livenessProbe:\n(\s+)httpGet: \{ path: \/health/, 'livenessProbe:\n$1httpGet: { path: /ready');
      // A required field missing.
      edit(dir, 'hpa-worker.yaml', / {2}scaleTargetRef:\n( {4}.*\n){3}/, '');
      // A manifest that kustomization.yaml does not list, of a kind no schema knows.
      writeFileSync(join(dir, 'extra.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');

      const r = await check(dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      const has = (file: string, text: string) => lines.some((l) => l.includes(file) && l.includes(text));
      expect(has('api.yaml', 'unknown field readinesProbe')).toBe(true);
      expect(has('api.yaml', 'apiVersion policy/v1beta1 was removed from Kubernetes')).toBe(true);
      expect(has('worker.yaml', 'spec/replicas must be integer')).toBe(true);
      expect(has('configmap.yaml', 'VAULTRUN_MASTER_KEYS is a secret')).toBe(true);
      expect(has('configmap.yaml', 'VAULTRUN_RUN_CONCURENCY is not a Vaultrun variable')).toBe(true);
      expect(has('worker.yaml', 'refused by its configuration schema: VAULTRUN_RUNS_CONCURRENCY')).toBe(true);
      expect(has('api.yaml', 'VAULTRUN_RUNS_CONCURRENCY')).toBe(false); // the API does not read it
      expect(has('secret.example.yaml', 'REDIS_SENTINEL_PASSWORD holds a value that is not a CHANGE-ME placeholder')).toBe(true);
      expect(has('worker.yaml', 'livenessProbe must be an httpGet on /health')).toBe(true);
      expect(has('hpa-worker.yaml', 'must have required property scaleTargetRef')).toBe(true);
      expect(has('extra.yaml', 'unknown apiVersion/kind example.com/v1/Widget')).toBe(true);
      expect(has('kustomization.yaml', 'extra.yaml is not in resources')).toBe(true);
      // Nothing else was refused: the untouched files still pass.
      for (const untouched of ['namespace.yaml', 'migrate-job.yaml', 'ingress.yaml']) expect(has(untouched, '✗')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
