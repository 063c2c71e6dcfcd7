/** Writes the OpenAPI document without connecting to anything (Nest preview mode). */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { loadConfig } from './config.js';
import { buildOpenApiDocument } from './openapi.js';

const out = process.argv[2] ?? 'openapi.json';
const app = await NestFactory.create(AppModule.forRoot(loadConfig({ VAULTRUN_MASTER_KEYS: `1:${Buffer.alloc(32).toString('base64')}` })), new FastifyAdapter(), { preview: true, logger: false });
const document = buildOpenApiDocument(app);
writeFileSync(out, JSON.stringify(document, null, 2) + '\n');
process.stdout.write(`Wrote ${out} (${Object.keys(document.paths).length} paths)\n`);
