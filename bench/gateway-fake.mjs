// The provider of `pnpm bench gateway`, in a process of its own (so the load generator's event loop never serves it):
// POST /v1/chat/completions answered at once, as OpenAI would — a completion, or with `stream: true` a role chunk, the
// content in `chunks` pieces, a finish chunk, the usage chunk (only with stream_options.include_usage) and [DONE].
// A user message "hold" streams its first chunk and then keeps the connection open until the client leaves (an open
// stream, for the memory figure). Prints "fake listening on PORT".
import { randomBytes } from 'node:crypto';
import http from 'node:http';

const CHUNKS = 8;
const usage = { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS };
let open = 0;

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'bench' }], open }));
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad JSON', type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    const id = `chatcmpl-${randomBytes(6).toString('hex')}`;
    const headers = { 'x-request-id': `req_${randomBytes(6).toString('hex')}` };
    const model = body.model ?? 'gpt-4o-mini';
    if (body.stream !== true) {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(
        JSON.stringify({ id, object: 'chat.completion', created: 0, model, choices: [{ index: 0, message: { role: 'assistant', content: 'ok '.repeat(CHUNKS).trim() }, logprobs: null, finish_reason: 'stop' }], usage }),
      );
      return;
    }
    const withUsage = body.stream_options?.include_usage === true;
    const base = { id, object: 'chat.completion.chunk', created: 0, model, ...(withUsage ? { usage: null } : {}) };
    const chunk = (delta, finish = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(chunk({ role: 'assistant', content: '' }));
    const last = body.messages?.at?.(-1)?.content;
    if (last === 'hold') {
      open++;
      res.once('close', () => open--);
      return;
    }
    for (let i = 0; i < CHUNKS; i++) res.write(chunk({ content: i ? ' ok' : 'ok' }));
    res.write(chunk({}, 'stop'));
    if (withUsage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 10_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`fake listening on ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
