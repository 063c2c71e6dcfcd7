import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { hash } from '@node-rs/argon2';
import { Membership, type Role, User, Workspace } from '@vaultrun/db';
import { createMockAccount } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { type AppConfig, createApp, loadConfig } from '../../apps/api/src/app.js';
import { instancePrefix, testEnv, uniqueId } from './env.js';
import supertest from 'supertest';

export interface TestApi {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  db: DataSource;
  close(): Promise<void>;
}

/** Boots the real API (Fastify, real Postgres and Redis) on a free port. */
export async function startTestApi(env: Record<string, string> = {}, options: Parameters<typeof createApp>[1] = {}): Promise<TestApi> {
  const { databaseUrl, redisUrl, masterKeys } = testEnv();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: redisUrl,
    VAULTRUN_REDIS_PREFIX: instancePrefix(),
    VAULTRUN_PUBLIC_URL: 'http://127.0.0.1:3999',
    VAULTRUN_MASTER_KEYS: masterKeys,
    // The fake provider listens on 127.0.0.1: tests allow private provider URLs unless they test the guard (test/adversarial).
    VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const app = await createApp(config, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : String(address);
  return { app, url, config, db: app.get<DataSource>(getDataSourceToken()), close: () => app.close() };
}

export const TEST_PASSWORD = 'test-password-0123456789';
let passwordHash: Promise<string> | undefined;

export interface SeededUser {
  id: string;
  email: string;
  password: string;
}

export interface SeededWorkspace {
  id: string;
  name: string;
  mockAccountId: string;
  users: Record<Role, SeededUser>;
}

/** A workspace with one user per role, seeded straight into Postgres. */
export async function seedWorkspace(db: DataSource, name = `ws-${uniqueId()}`): Promise<SeededWorkspace> {
  passwordHash ??= hash(TEST_PASSWORD);
  const ph = await passwordHash;
  const workspace = await db.getRepository(Workspace).save({ name });
  const mock = await createMockAccount(db.manager, workspace.id);
  await db.getRepository(Workspace).update({ id: workspace.id }, { defaultAccountId: mock.id, defaultModel: 'mock-fast' });
  const users = {} as Record<Role, SeededUser>;
  for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
    const email = `${role}-${uniqueId()}@example.test`;
    const user = await db.getRepository(User).save({ email, name: `${role} user`, passwordHash: ph });
    await db.getRepository(Membership).insert({ workspaceId: workspace.id, userId: user.id, role });
    users[role] = { id: user.id, email, password: TEST_PASSWORD };
  }
  return { id: workspace.id, name, mockAccountId: mock.id, users };
}

/** A signed-in console user: a supertest agent holding the session cookie, plus the CSRF token. */
export interface Session {
  agent: ReturnType<typeof supertest.agent>;
  csrf: string;
  me: { user: { id: string; email: string }; workspace: { id: string } | null; permissions: string[] };
}

export async function signIn(url: string, user: { email: string; password: string }): Promise<Session> {
  const agent = supertest.agent(url);
  const res = await agent.post('/api/v1/auth/login').send({ email: user.email, password: user.password });
  if (res.status !== 200) throw new Error(`sign-in failed for ${user.email}: ${res.status} ${JSON.stringify(res.body)}`);
  return { agent, csrf: res.body.csrfToken, me: res.body };
}

/** The session cookie, for clients other than the supertest agent (fetch, EventSource-like streams). */
export function cookieOf(s: Session): string {
  const jar = (s.agent as unknown as { jar: { getCookies(o: object): { toValueString(): string }[] } }).jar;
  return jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).map((c) => c.toValueString()).join('; ');
}

/**
 * Opens a never-ending response (server-sent events) just long enough to read its status and first headers.
 * Returns a supertest-like `{ status, body, headers }`; the body is parsed when it is a problem document.
 */
export async function probeStream(url: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const out = { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: {} as Record<string, unknown> };
  if (!(res.headers.get('content-type') ?? '').includes('event-stream')) out.body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  controller.abort();
  return out;
}

/** Shortcuts that add the CSRF header a cookie-authenticated write needs. */
export const as = (s: Session) => ({
  get: (path: string) => s.agent.get(path),
  post: (path: string, body?: object) => s.agent.post(path).set('x-csrf-token', s.csrf).send(body ?? {}),
  patch: (path: string, body?: object) => s.agent.patch(path).set('x-csrf-token', s.csrf).send(body ?? {}),
  put: (path: string, body?: object) => s.agent.put(path).set('x-csrf-token', s.csrf).send(body ?? {}),
  delete: (path: string) => s.agent.delete(path).set('x-csrf-token', s.csrf),
  stream: (base: string, path: string) => probeStream(`${base}${path}`, { cookie: cookieOf(s) }),
});

/** A bearer-token client. */
export const bearer = (url: string, token: string) => ({
  get: (path: string) => supertest(url).get(path).set('authorization', `Bearer ${token}`),
  post: (path: string, body?: object) => supertest(url).post(path).set('authorization', `Bearer ${token}`).send(body ?? {}),
  patch: (path: string, body?: object) => supertest(url).patch(path).set('authorization', `Bearer ${token}`).send(body ?? {}),
  put: (path: string, body?: object) => supertest(url).put(path).set('authorization', `Bearer ${token}`).send(body ?? {}),
  delete: (path: string) => supertest(url).delete(path).set('authorization', `Bearer ${token}`),
  stream: (base: string, path: string) => probeStream(`${base}${path}`, { authorization: `Bearer ${token}` }),
});
