import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPENAI_PRICE_TABLE } from '@vaultrun/providers';
import { as, type SeededWorkspace, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';

describe('prices and price overrides', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;
  let member: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    [admin, member] = await Promise.all([signIn(api.url, ws.users.admin), signIn(api.url, ws.users.member)]);
  });
  afterAll(() => api.close());

  it('shows the shipped table with its source and date, in integer micro-USD per 1M tokens', async () => {
    const res = await as(member).get('/api/v1/prices');
    expect(res.status).toBe(200);
    expect(res.body.table).toMatchObject({ source: OPENAI_PRICE_TABLE.source, asOf: OPENAI_PRICE_TABLE.asOf });
    expect(res.body.table.models).toContainEqual({ model: 'gpt-4.1-mini', inputMicroUsdPerM: 400_000, cachedInputMicroUsdPerM: 100_000, outputMicroUsdPerM: 1_600_000 });
    expect(res.body.table.models).toHaveLength(Object.keys(OPENAI_PRICE_TABLE.models).length);
    expect(res.body.overrides).toEqual([]);
  });

  it('sets an override (201), replaces it by model (200, same id), changes and deletes it — each audited', async () => {
    const model = `llama-${randomUUID().slice(0, 6)}`;
    const created = await as(admin).post('/api/v1/price-overrides', { model, inputMicroUsdPerM: 200_000, outputMicroUsdPerM: 600_000 });
    expect(created.status).toBe(201);
    // Cached input defaults to the input price.
    expect(created.body).toMatchObject({ model, inputMicroUsdPerM: 200_000, cachedInputMicroUsdPerM: 200_000, outputMicroUsdPerM: 600_000 });
    const replaced = await as(admin).post('/api/v1/price-overrides', { model, inputMicroUsdPerM: 300_000, cachedInputMicroUsdPerM: 30_000, outputMicroUsdPerM: 900_000 });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, inputMicroUsdPerM: 300_000, cachedInputMicroUsdPerM: 30_000, outputMicroUsdPerM: 900_000 });
    expect((await as(member).get('/api/v1/prices')).body.overrides.filter((o: { model: string }) => o.model === model)).toHaveLength(1);

    const patched = await as(admin).patch(`/api/v1/price-overrides/${created.body.id}`, { outputMicroUsdPerM: 1_000_000 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ model, inputMicroUsdPerM: 300_000, outputMicroUsdPerM: 1_000_000 });
    expect((await as(admin).patch(`/api/v1/price-overrides/${created.body.id}`, { model: 'other' })).body.errors[0].field).toBe('model');

    expect((await as(admin).delete(`/api/v1/price-overrides/${created.body.id}`)).status).toBe(204);
    expect((await as(member).get('/api/v1/prices')).body.overrides.map((o: { id: string }) => o.id)).not.toContain(created.body.id);
    expect((await as(admin).patch(`/api/v1/price-overrides/${created.body.id}`, { outputMicroUsdPerM: 1 })).status).toBe(404);

    const audit: { action: string; metadata: Record<string, unknown> }[] = await api.db.query(
      `SELECT action, metadata FROM audit_events WHERE workspace_id = $1 AND target_id = $2 ORDER BY created_at`,
      [ws.id, created.body.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['price_override.create', 'price_override.update', 'price_override.update', 'price_override.delete']);
    expect(audit[2]!.metadata).toMatchObject({ model, outputMicroUsdPerM: { from: 900_000, to: 1_000_000 } });
  });

  it('refuses bad prices with 400 naming the field, and lets only owners and admins change them', async () => {
    const cases: [object, string][] = [
      [{ model: 'm', inputMicroUsdPerM: -1, outputMicroUsdPerM: 1 }, 'inputMicroUsdPerM'],
      [{ model: 'm', inputMicroUsdPerM: 1, outputMicroUsdPerM: 0.5 }, 'outputMicroUsdPerM'],
      [{ model: 'm', inputMicroUsdPerM: 1, outputMicroUsdPerM: '2' }, 'outputMicroUsdPerM'],
      [{ model: 'm', inputMicroUsdPerM: 1, cachedInputMicroUsdPerM: 2 ** 53, outputMicroUsdPerM: 1 }, 'cachedInputMicroUsdPerM'],
      [{ model: '', inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 }, 'model'],
      [{ model: ' padded ', inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 }, 'model'],
      [{ inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 }, 'model'],
    ];
    for (const [body, field] of cases) {
      const res = await as(admin).post('/api/v1/price-overrides', body);
      expect([JSON.stringify(body), res.status, res.body.errors?.[0]?.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    const denied = await as(member).post('/api/v1/price-overrides', { model: 'member-model', inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 });
    expect(denied.status).toBe(403);
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM price_overrides WHERE workspace_id = $1 AND model IN ('m', 'member-model')`, [ws.id]);
    expect(n).toBe(0);
  });

  it("keeps another workspace's overrides apart", async () => {
    const model = `A-model-${randomUUID()}`;
    const mine = (await as(admin).post('/api/v1/price-overrides', { model, inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 })).body;
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    expect(JSON.stringify((await as(stranger).get('/api/v1/prices')).body)).not.toContain(model);
    expect((await as(stranger).patch(`/api/v1/price-overrides/${mine.id}`, { inputMicroUsdPerM: 5 })).status).toBe(404);
    expect((await as(stranger).delete(`/api/v1/price-overrides/${mine.id}`)).status).toBe(404);
    // The same model name in another workspace is its own override.
    expect((await as(stranger).post('/api/v1/price-overrides', { model, inputMicroUsdPerM: 7, outputMicroUsdPerM: 7 })).status).toBe(201);
    expect((await as(admin).get('/api/v1/prices')).body.overrides.find((o: { model: string }) => o.model === model).inputMicroUsdPerM).toBe(1);
  });
});
