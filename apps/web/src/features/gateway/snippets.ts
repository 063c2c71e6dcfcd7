/**
 * Copyable examples of an app calling the gateway. They carry a placeholder token (`vr_…`) or read it from the
 * environment — never a real secret: the console does not hold one (a token is shown once, on the Tokens page).
 */
export const TOKEN_PLACEHOLDER = 'vr_…';

export type SnippetId = 'curl' | 'node' | 'python' | 'ai-sdk';

export interface Snippet {
  id: SnippetId;
  label: string;
  /** What to install first, if anything. */
  install: string | null;
  code: string;
}

/** Text inside a shell's single quotes: a quote in it (a route may be named `it's`) closes, escapes and reopens. */
const shellSingleQuoted = (text: string) => text.replaceAll("'", `'\\''`);

/** A double-quoted string literal (Python), JSON's escaping. */
const quoted = (text: string) => JSON.stringify(text);

/** A single-quoted JavaScript string literal, as the examples are written. */
const jsQuoted = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export function gatewaySnippets(baseUrl: string, model: string): Snippet[] {
  const js = { url: jsQuoted(baseUrl), model: jsQuoted(model) };
  const py = { url: quoted(baseUrl), model: quoted(model) };
  return [
    {
      id: 'curl',
      label: 'curl',
      install: null,
      code: [
        `curl ${baseUrl}/chat/completions \\`,
        `  -H "Authorization: Bearer ${TOKEN_PLACEHOLDER}" \\`,
        `  -H "Content-Type: application/json" \\`,
        `  -d '${shellSingleQuoted(JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }))}'`,
      ].join('\n'),
    },
    {
      id: 'node',
      label: 'Node (openai)',
      install: 'npm install openai',
      code: [
        `import OpenAI from 'openai';`,
        ``,
        `// VAULTRUN_TOKEN: an API token with the inference scope (${TOKEN_PLACEHOLDER})`,
        `const client = new OpenAI({ baseURL: ${js.url}, apiKey: process.env.VAULTRUN_TOKEN });`,
        ``,
        `const answer = await client.chat.completions.create({`,
        `  model: ${js.model},`,
        `  messages: [{ role: 'user', content: 'Hello' }],`,
        `});`,
        `console.log(answer.choices[0].message.content);`,
      ].join('\n'),
    },
    {
      id: 'python',
      label: 'Python (openai)',
      install: 'pip install openai',
      code: [
        `import os`,
        `from openai import OpenAI`,
        ``,
        `# VAULTRUN_TOKEN: an API token with the inference scope (${TOKEN_PLACEHOLDER})`,
        `client = OpenAI(base_url=${py.url}, api_key=os.environ["VAULTRUN_TOKEN"])`,
        ``,
        `answer = client.chat.completions.create(`,
        `    model=${py.model},`,
        `    messages=[{"role": "user", "content": "Hello"}],`,
        `)`,
        `print(answer.choices[0].message.content)`,
      ].join('\n'),
    },
    {
      id: 'ai-sdk',
      label: 'Vercel AI SDK',
      install: 'npm install ai @ai-sdk/openai',
      code: [
        `import { createOpenAI } from '@ai-sdk/openai';`,
        `import { generateText } from 'ai';`,
        ``,
        `// VAULTRUN_TOKEN: an API token with the inference scope (${TOKEN_PLACEHOLDER})`,
        `const vaultrun = createOpenAI({ baseURL: ${js.url}, apiKey: process.env.VAULTRUN_TOKEN });`,
        ``,
        `const { text } = await generateText({ model: vaultrun.chat(${js.model}), prompt: 'Hello' });`,
        `console.log(text);`,
      ].join('\n'),
    },
  ];
}
