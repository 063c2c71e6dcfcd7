import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Operator, User } from '@vaultrun/db';
import { randomSecret } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { PasswordService } from '../auth/password.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';

export interface FirstOwner {
  email: string;
  /** Only set when the password was generated here: it is printed once and never stored in clear. */
  generatedPassword: string | null;
  workspaceName: string;
}

/** The first workspace's starter operators: they run on the mock provider until a real account is the default. */
export const STARTER_OPERATORS: Pick<Operator, 'name' | 'description' | 'instructions' | 'maxOutputTokens' | 'outputFormat' | 'outputSchema'>[] = [
  {
    name: 'Researcher',
    description: 'Lists the key facts and open questions about a topic',
    instructions: 'List the key facts and the open questions about the topic you are given, as short bullet points.',
    maxOutputTokens: 400,
    outputFormat: 'text',
    outputSchema: null,
  },
  {
    name: 'Writer',
    description: 'Turns notes into a short, clear note for the team',
    instructions: 'Write a short, clear note for the team from the notes you are given. Plain words, no more than 150 words.',
    maxOutputTokens: 400,
    outputFormat: 'text',
    outputSchema: null,
  },
  {
    name: 'Reviewer',
    description: 'Checks a text for mistakes and unclear wording (answers in JSON)',
    instructions: 'Review the text you are given for factual mistakes and unclear wording. Approve it only if it can be sent as is.',
    maxOutputTokens: 300,
    outputFormat: 'json_schema',
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['approved', 'comments'],
      properties: { approved: { type: 'boolean' }, comments: { type: 'array', items: { type: 'string' } } },
    },
  },
];

/** First start: when no user exists, create the first workspace and its owner. */
@Injectable()
export class BootstrapService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passwords: PasswordService,
    private readonly workspaces: WorkspacesService,
  ) {}

  /** Creates the first workspace, its owner and three starter operators — once, whatever number of processes boot. */
  async ensureFirstOwner(): Promise<FirstOwner | null> {
    if ((await this.db.getRepository(User).count()) > 0) return null;
    const { email, password, name, workspaceName } = this.config.bootstrap;
    const generated = password ? null : randomSecret(15);
    const passwordHash = await this.passwords.hash(password ?? generated!, 'VAULTRUN_ADMIN_PASSWORD');
    return this.db.transaction(async (m) => {
      // Several API processes may boot at once: one of them creates the owner.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('vaultrun:bootstrap'))`);
      if ((await m.getRepository(User).count()) > 0) return null;
      // The first owner is also the instance administrator (docs/managed.md).
      const user = await m.getRepository(User).save({ email, name, passwordHash, isInstanceAdmin: true });
      const workspace = await this.workspaces.create(m, {
        name: workspaceName,
        ownerId: user.id,
        actor: { actorType: 'system', actorId: null, actorLabel: 'first start', ip: '' },
      });
      // Something to run on the first visit: three operators on the workspace default (the mock provider).
      const operators = m.getRepository(Operator);
      await operators.save(STARTER_OPERATORS.map((o) => operators.create({ ...o, workspaceId: workspace.id, createdById: user.id })));
      return { email, generatedPassword: generated, workspaceName };
    });
  }
}
