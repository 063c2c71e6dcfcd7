import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { zCreateGatewayRouteDto } from '../../api/generated/zod.gen.js';
import { fieldErrors } from '../../lib/form-rules.js';
import { gatewaySnippets, TOKEN_PLACEHOLDER } from './snippets.js';

const BASE = 'https://vaultrun.example.test/v1';

describe('the Gateway page’s examples', () => {
  it('name the base URL and the model, and carry a placeholder token only', () => {
    const snippets = gatewaySnippets(BASE, 'fast');
    expect(snippets.map((s) => s.id)).toEqual(['curl', 'node', 'python', 'ai-sdk']);
    for (const s of snippets) {
      expect(s.code).toContain(BASE);
      expect(s.code).toContain(TOKEN_PLACEHOLDER);
      expect(s.code).toMatch(/fast/);
    }
    expect(snippets.find((s) => s.id === 'ai-sdk')!.code).toContain(`createOpenAI({ baseURL: '${BASE}'`);
    expect(snippets.find((s) => s.id === 'python')!.code).toContain(`OpenAI(base_url="${BASE}"`);
  });

  it('quote a route name with quotes in it so the shell and the languages read it back unchanged', () => {
    const name = `it's"odd\\`;
    const curl = gatewaySnippets(BASE, name).find((s) => s.id === 'curl')!.code;
    // The -d argument as the shell passes it to curl: the JSON body with the name intact.
    const data = /-d ('(?:[^']|'\\'')*')$/m.exec(curl)![1]!;
    const parsed = JSON.parse(execFileSync('sh', ['-c', `printf '%s' ${data}`], { encoding: 'utf8' })) as { model: string };
    expect(parsed.model).toBe(name);
    const node = gatewaySnippets(BASE, name).find((s) => s.id === 'node')!.code;
    const literal = /model: ('.*'),/.exec(node)![1]!;
    expect(new Function(`return ${literal};`)()).toBe(name);
  });

  it('route names follow the API’s pattern before any request (printable, no spaces)', () => {
    const target = { accountId: '00000000-0000-4000-8000-000000000000', model: 'gpt-4o-mini' };
    expect(fieldErrors(zCreateGatewayRouteDto, { name: 'fast', targets: [target] })).toEqual({});
    expect(Object.keys(fieldErrors(zCreateGatewayRouteDto, { name: 'has space', targets: [target] }))).toEqual(['name']);
    expect(fieldErrors(zCreateGatewayRouteDto, { name: 'fast', targets: [] })).toEqual({ targets: 'Choose at least one.' });
    expect(fieldErrors(zCreateGatewayRouteDto, { name: 'fast', targets: Array.from({ length: 9 }, () => target) })).toEqual({ targets: 'At most 8.' });
  });
});
