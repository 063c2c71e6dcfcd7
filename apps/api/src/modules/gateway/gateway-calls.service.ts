import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { GatewayCallInfo } from '@vaultrun/db';
import { type Admission, finishGatewayCall, type GatewayAdmissions, type GatewayCapacity, type GatewayUpstreams, type NoSlot, type RunBus, type Slot } from '@vaultrun/engine';
import { costOfCall, pricedWith, quoteRun, type Refusal, type RunQuote } from '@vaultrun/money';
import {
  choicesOf,
  classifyProviderError,
  countTokens,
  estimateGatewayPromptTokens,
  formatUsd,
  type GatewayEndpoint,
  gatewayTranslationProblem,
  type GatewayUpstream,
  priceFor,
  type PromptEstimate,
  ProviderError,
  requestedMaxOutputTokens,
} from '@vaultrun/providers';
import { DomainError, Forbidden } from '@vaultrun/vault-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import type { TokenPrincipal } from '../auth/principal.js';
import { TokensService } from '../tokens/tokens.service.js';
import { type CallResult, pipeStream, sendAnswer } from './gateway-answer.js';
import { type DirectoryAccount, GatewayDirectory, modelAllowed, type Target, type WorkspaceDirectory } from './gateway-directory.js';
import { GatewayError, gatewayErrors, providerGatewayError, sendGatewayError } from './gateway-errors.js';
import { headerText, vaultrunHeaders } from './gateway-headers.js';
import { checkGatewayBody } from './gateway-request.js';
import { GATEWAY_ADMISSIONS, GATEWAY_CAPACITY, GATEWAY_RUN_BUS, GATEWAY_UPSTREAMS } from './gateway.tokens.js';

type Obj = Record<string, unknown>;

/** Account states a call never starts on (the next target is tried instead). */
const UNUSABLE = new Set(['invalid_key', 'quota_exhausted', 'disabled']);
/** Provider failures that move a call to its route's next target: the provider may do better elsewhere or later. */
const FALLBACK_CODES = new Set(['provider_unavailable', 'rate_limited']);
/**
 * The most of a prompt (the request body as JSON) or an output a record keeps under `keep_bodies`: enough to read what
 * was asked and answered; inline images and huge documents are not worth a row each (the rest is marked as cut).
 */
export const KEPT_BODY_CHARS = 256 * 1024;
const kept = (text: string) => (text.length <= KEPT_BODY_CHARS ? text : `${text.slice(0, KEPT_BODY_CHARS)}… [cut: ${text.length - KEPT_BODY_CHARS} more characters]`);

/** Account errors a successful call proves over (as runs clear them). */
const PASSING_ACCOUNT_ERRORS = ['rate_limited', 'provider_unavailable'];

/** One request being served: what every attempt shares. */
interface Call {
  endpoint: GatewayEndpoint;
  body: Obj;
  stream: boolean;
  /** A chat stream whose client asked for the usage chunk itself. */
  clientWantsUsage: boolean;
  requested: string;
  /** The route the requested model resolved through (null: `account/model` or the default account). */
  routeId: string | null;
  /** The account of the last attempt (the record's). */
  accountId: string | null;
  token: TokenPrincipal;
  directory: WorkspaceDirectory;
  arrivedAt: Date;
  callId: string;
  requestId: string;
  /** Max output tokens held for (the client's limit, or the gateway's default, × choices). */
  maxOutputTokens: number;
  controller: AbortController;
  abortReason: 'client' | 'timeout' | null;
  /** The record exists (the first attempt was admitted). */
  recorded: boolean;
  attempts: number;
  /** The open holds of the last admitted attempt, and how they close if the call ends now. */
  openHolds: { attempt: number; closing: 'release' | 'keep' } | null;
  reply: FastifyReply;
}

/** One target, priced: what its attempt holds and sends. */
interface Plan {
  target: Target;
  estimate: PromptEstimate;
  quote: RunQuote;
}

type AttemptOutcome = { kind: 'done' } | { kind: 'refused'; refusal: Refusal } | { kind: 'failed'; error: ProviderError; account: DirectoryAccount; closing: 'release' | 'keep' } | { kind: 'lost' };

/**
 * Serves the OpenAI-compatible endpoints (docs/gateway.md): a token's call is resolved to its targets, waits for an
 * account slot in the limiter runs use, is written and held against every budget that covers it in one statement,
 * goes to the provider, answers the client as the provider answered (streams forwarded as they arrive), and is
 * settled to the provider's usage after the last byte — one Redis script and one statement before the provider, one
 * statement after.
 */
@Injectable()
export class GatewayCalls implements OnApplicationShutdown {
  /** Writes that follow answers (records, account states): shutdown waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly directories: GatewayDirectory,
    private readonly tokens: TokensService,
    @Inject(GATEWAY_CAPACITY) private readonly capacity: GatewayCapacity,
    @Inject(GATEWAY_ADMISSIONS) private readonly admissions: GatewayAdmissions,
    @Inject(GATEWAY_UPSTREAMS) private readonly upstreams: GatewayUpstreams,
    @Inject(GATEWAY_RUN_BUS) private readonly bus: RunBus,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('Gateway');
  }

  /** `Authorization: Bearer vr_…` with the `inference` scope: the gateway takes API tokens only. */
  async authenticate(request: FastifyRequest, endpoint: GatewayEndpoint | null = null): Promise<TokenPrincipal> {
    const header = request.headers.authorization;
    // The Anthropic SDK sends its key as x-api-key (or, with authToken, as a bearer): /v1/messages takes either.
    const apiKey = endpoint === 'messages' && header === undefined ? request.headers['x-api-key'] : undefined;
    if (typeof apiKey === 'string') return this.tokenWithScope(apiKey.trim());
    if (header === undefined) {
      throw new DomainError('missing_api_key', 'unauthenticated', endpoint === 'messages' ? 'Send a Vaultrun API token as "x-api-key: vr_…" or "Authorization: Bearer vr_…".' : 'Send a Vaultrun API token as "Authorization: Bearer vr_…".');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('invalid_authorization', 'unauthenticated', 'The Authorization header must be "Bearer <token>".');
    return this.tokenWithScope(match[1]!);
  }

  private async tokenWithScope(secret: string): Promise<TokenPrincipal> {
    const token = await this.tokens.resolveBearer(secret);
    if (!token.permissions.has('gateway:use')) {
      throw new Forbidden(`This API token's scopes (${token.scopes.join(', ')}) do not include "inference", which the gateway needs.`, 'missing_scope', { permission: 'gateway:use' });
    }
    return token;
  }

  async models(request: FastifyRequest, reply: FastifyReply, id: string | null): Promise<void> {
    const token = await this.authenticate(request);
    const models = (await this.directories.of(token.workspaceId)).models(token);
    const entry = (m: (typeof models)[number]) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy });
    if (id === null) {
      void reply.headers({ 'cache-control': 'no-store' }).send({ object: 'list', data: models.map(entry) });
      return;
    }
    const found = models.find((m) => m.id === id);
    if (!found) throw gatewayErrors.modelNotFound(id);
    void reply.headers({ 'cache-control': 'no-store' }).send(entry(found));
  }

  /**
   * `POST /v1/messages/count_tokens`: the prompt's input tokens on the model the request resolves to — Anthropic's own
   * count on an Anthropic target, Vaultrun's estimate (the one holds use) on every other. Not a model call: no slot,
   * no hold, no record.
   */
  async countMessageTokens(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = await this.authenticate(request, 'messages');
    const body = checkGatewayBody('messages', request.body, { countOnly: true });
    const requested = body.model as string;
    if (!modelAllowed(token, requested)) throw gatewayErrors.modelNotAllowed(requested);
    const directory = await this.directories.of(token.workspaceId);
    if (directory.suspension) throw gatewayErrors.workspaceSuspended(directory.suspension.reason);
    const targets = directory.resolve(requested, token).filter((t) => !UNUSABLE.has(t.account.status));
    if (!targets.length) throw unusableAccountError(directory.resolve(requested, token)[0]!.account);
    const { account, model } = targets[0]!;
    let inputTokens = estimateGatewayPromptTokens(account.kind, model, 'messages', body).tokens;
    const upstream = account.kind === 'anthropic' ? await this.upstreams.get(account) : null;
    if (upstream?.countMessageTokens) {
      const controller = new AbortController();
      const onClose = () => controller.abort('client');
      reply.raw.on('close', onClose);
      try {
        inputTokens = await upstream.countMessageTokens({ ...body, model }, controller.signal);
      } catch (err) {
        throw providerGatewayError(classifyProviderError(err), account.name);
      } finally {
        reply.raw.off('close', onClose);
      }
    }
    void reply.headers({ 'cache-control': 'no-store', 'x-vaultrun-account': headerText(account.name), 'x-vaultrun-model': headerText(model) }).send({ input_tokens: inputTokens });
  }

  async serve(endpoint: GatewayEndpoint, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const arrivedAt = new Date();
    const token = await this.authenticate(request, endpoint);
    const body = checkGatewayBody(endpoint, request.body);
    const requested = body.model as string;
    if (!modelAllowed(token, requested)) throw gatewayErrors.modelNotAllowed(requested);
    const directory = await this.directories.of(token.workspaceId);
    if (directory.suspension) throw gatewayErrors.workspaceSuspended(directory.suspension.reason);
    const resolved = directory.resolve(requested, token);
    // Targets whose kind cannot serve this request (an endpoint or a field a translating upstream does not map) are
    // passed over; when none can, a 400 says why — before anything is held.
    const targets = resolved.filter((t) => gatewayTranslationProblem(t.account.kind, endpoint, body) === null);
    if (!targets.length) {
      const problem = gatewayTranslationProblem(resolved[0]!.account.kind, endpoint, body)!;
      throw gatewayErrors.invalidRequest(problem.message, problem.param, 'unsupported_by_provider');
    }
    const stream = endpoint !== 'embeddings' && body.stream === true;
    const call: Call = {
      endpoint,
      body,
      stream,
      clientWantsUsage: endpoint === 'chat.completions' && (body.stream_options as Obj | undefined)?.include_usage === true,
      requested,
      routeId: targets[0]!.routeId,
      accountId: null,
      token,
      directory,
      arrivedAt,
      callId: randomUUID(),
      requestId: String(request.id),
      maxOutputTokens: requestedMaxOutputTokens(endpoint, body) ?? this.config.gateway.defaultMaxOutputTokens * choicesOf(endpoint, body),
      controller: new AbortController(),
      abortReason: null,
      recorded: false,
      attempts: 0,
      openHolds: null,
      reply,
    };
    // A client that hangs up aborts the provider call; the gateway's timeout bounds the whole call (streams included).
    const onClose = () => {
      if (reply.raw.writableFinished) return;
      call.abortReason ??= 'client';
      call.controller.abort('client');
    };
    reply.raw.on('close', onClose);
    const timer = setTimeout(() => {
      call.abortReason ??= 'timeout';
      call.controller.abort('timeout');
    }, this.config.gateway.timeoutMs);
    try {
      await this.run(call, targets);
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
  }

  private plan(call: Call, target: Target): Plan {
    const { account, model } = target;
    const estimate = estimateGatewayPromptTokens(account.kind, model, call.endpoint, call.body);
    const quote = quoteRun({
      kind: account.kind,
      model,
      overrides: call.directory.overridesFor(account),
      promptTokens: estimate.tokens,
      maxOutputTokens: call.maxOutputTokens,
      calibration: call.directory.calibration(account.id, model),
      multiplierPermille: call.directory.multiplierFor(account),
    });
    return { target, estimate, quote };
  }

  /**
   * The first admissible target is used: targets are tried in order, each taking a slot only if one is free now; a
   * provider 5xx, timeout or rate limit moves the call on (never an invalid key, a quota, or a bad request). When no
   * target had a free slot, the call waits for the first one that denied it, up to VAULTRUN_GATEWAY_MAX_WAIT_MS.
   */
  private async run(call: Call, targets: Target[]): Promise<void> {
    const plans = targets.map((t) => this.plan(call, t));
    const usable = plans.filter((p) => !UNUSABLE.has(p.target.account.status));
    if (!usable.length) throw unusableAccountError(plans[0]!.target.account);
    // Written from inside `consider` (a closure), so kept in one object: what the targets answered so far.
    const seen: { failure: Extract<AttemptOutcome, { kind: 'failed' }> | null; refusal: Refusal | null; busy: { plan: Plan; denial: NoSlot } | null } = {
      failure: null,
      refusal: null,
      busy: null,
    };
    const consider = async (plan: Plan, slot: Slot): Promise<boolean> => {
      const outcome = await this.attempt(call, plan, slot);
      if (outcome.kind === 'done' || outcome.kind === 'lost') return true;
      if (outcome.kind === 'refused') {
        seen.refusal ??= outcome.refusal;
        return false;
      }
      if (FALLBACK_CODES.has(outcome.error.code) && !call.controller.signal.aborted) {
        seen.failure = outcome;
        return false;
      }
      await this.failed(call, outcome);
      return true;
    };
    for (const plan of usable) {
      const slot = await this.capacity.acquire(this.slotRequest(call, plan, 0));
      if (slot.granted) {
        if (await consider(plan, slot)) return;
      } else if (slot.reason === 'aborted') {
        return this.abandon(call);
      } else {
        seen.busy ??= { plan, denial: slot };
      }
    }
    // Nothing admitted yet and a target was busy: wait for it (the line runs and calls share), if time allows.
    if (seen.busy && !seen.failure && !seen.refusal) {
      const slot = await this.capacity.acquire(this.slotRequest(call, seen.busy.plan, call.arrivedAt.getTime() + this.config.gateway.maxWaitMs));
      if (slot.granted) {
        if (await consider(seen.busy.plan, slot)) return;
      } else if (slot.reason === 'aborted') {
        return this.abandon(call);
      } else {
        seen.busy = { plan: seen.busy.plan, denial: slot };
      }
    }
    if (seen.failure) return this.failed(call, seen.failure);
    if (seen.refusal) return this.refused(call, seen.refusal);
    const { plan, denial } = seen.busy!;
    const limit = denial.reason === 'concurrency' ? 'max concurrency' : denial.reason === 'cooldown' ? 'cooling down after a provider rate limit' : `its ${denial.reason.toUpperCase()} window`;
    throw gatewayErrors.busy(
      `Account "${plan.target.account.name}" is at its limit (${limit}) and no slot came free within ${this.config.gateway.maxWaitMs} ms; retry after the time given.`,
      denial.retryAfterMs,
    );
  }

  private slotRequest(call: Call, plan: Plan, waitUntil: number) {
    const a = plan.target.account;
    return {
      accountId: a.id,
      callId: call.callId,
      limits: { maxConcurrency: a.maxConcurrency, requestsPerMinute: a.requestsPerMinute, tokensPerMinute: a.tokensPerMinute },
      estimatedTokens: plan.estimate.tokens + call.maxOutputTokens,
      waitUntil,
      signal: call.controller.signal,
      // A managed connector: its managed account's own limits too, shared by every workspace (docs/managed.md).
      shared: a.keyAccount ? { accountId: a.keyAccount.id, limits: a.keyAccount.limits } : null,
    };
  }

  /** The record and the holds (one statement), then the provider. The slot is released whatever happens. */
  private async attempt(call: Call, plan: Plan, slot: Slot): Promise<AttemptOutcome> {
    const { account, model, routeId } = plan.target;
    let released = false;
    const release = async (tokens: number | null) => {
      if (released) return;
      released = true;
      await this.capacity.release(slot, tokens);
    };
    try {
      const previous = call.openHolds;
      const gateway: GatewayCallInfo = { endpoint: call.endpoint, stream: call.stream, requestedModel: call.requested, routeId, attempts: call.attempts + 1 };
      const admission: Admission = await this.admissions.admit({
        runId: call.callId,
        workspaceId: call.token.workspaceId,
        tokenId: call.token.tokenId,
        accountId: account.id,
        model,
        worstCase: plan.quote.worstCaseMicroUsd,
        shrink: plan.quote.shrink,
        input: call.recorded ? '' : call.directory.retention === 'keep_bodies' ? kept(JSON.stringify(call.body)) : '',
        maxOutputTokens: call.maxOutputTokens,
        gateway,
        requestId: call.requestId,
        arrivedAt: call.arrivedAt,
        leaseOwner: this.capacity.processId,
        leaseMs: this.config.gateway.holdTtlMs,
        promptTokensHeld: plan.quote.promptTokensHeld,
        message: `${call.recorded ? 'Falling back to' : 'Calling'} ${account.name} (${model})${routeId ? ` for route "${call.requested}"` : ''}`,
        eventData: { attempt: call.attempts + 1, accountId: account.id, model, routeId, promptTokensEstimated: plan.estimate.tokens, promptTokensHeld: plan.quote.promptTokensHeld },
        previousClosing: call.recorded ? (previous?.closing ?? 'release') : null,
      });
      if (!admission.ok && 'lost' in admission) return { kind: 'lost' };
      call.recorded = true;
      call.attempts += 1;
      call.accountId = account.id;
      call.openHolds = null;
      if (!admission.ok) return { kind: 'refused', refusal: admission.refusal };
      const holds = admission.budgets > 0 ? admission.attempt : null;
      // The provider has not been called: if nothing else happens, these holds are simply released.
      if (holds !== null) call.openHolds = { attempt: holds, closing: 'release' };
      if (call.controller.signal.aborted) {
        await release(0);
        this.later(this.finishRecordPlain(call, 'cancelled', { error_code: 'client_disconnected', error_message: 'The client disconnected before the provider was called' }, 'The client disconnected before the provider was called', 'release'));
        return { kind: 'done' };
      }
      const maxOutputTokens = admission.maxOutputTokens ?? call.maxOutputTokens;
      const held = admission.heldMicroUsd ?? plan.quote.worstCaseMicroUsd;
      return await this.callProvider(call, plan, { holds, maxOutputTokens, held }, release);
    } finally {
      await release(null);
    }
  }

  private async callProvider(
    call: Call,
    plan: Plan,
    admitted: { holds: number | null; maxOutputTokens: number; held: number | null },
    release: (tokens: number | null) => Promise<void>,
  ): Promise<AttemptOutcome> {
    const { account, model } = plan.target;
    const startedAt = performance.now();
    const startedWall = Date.now();
    let upstream: GatewayUpstream;
    try {
      upstream = await this.upstreams.get(account);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'secret_unreadable') {
        this.logger.warn({ accountId: account.id, callId: call.callId }, 'gateway: the account\'s stored key cannot be decrypted');
        return { kind: 'failed', error: new ProviderError('provider_rejected', { requestSent: false }), account, closing: 'release' };
      }
      return { kind: 'failed', error: classifyProviderError(err), account, closing: 'release' };
    }
    const body = this.upstreamBody(call, account, model, admitted.maxOutputTokens);
    let answer;
    try {
      answer = await upstream.call({ endpoint: call.endpoint, body, stream: call.stream, maxOutputTokens: admitted.maxOutputTokens, signal: call.controller.signal });
    } catch (err) {
      const error = classifyProviderError(err);
      // The provider answered with an error: nothing to pay. No answer (timeout, dropped, aborted after sending): unknown.
      const closing = error.requestSent && error.httpStatus === null ? 'keep' : 'release';
      if (call.openHolds) call.openHolds.closing = closing;
      await release(error.requestSent ? null : 0);
      if (error.code === 'cancelled' && call.abortReason === 'client') {
        this.later(this.finishRecordPlain(call, 'cancelled', { error_code: 'client_disconnected', error_message: 'The client disconnected before the answer', cost_label: closing === 'keep' ? 'unavailable' : null }, 'The client disconnected before the answer; the provider call was aborted', closing));
        return { kind: 'done' };
      }
      this.later(this.noteProviderError(account, error, call.token.workspaceId));
      return { kind: 'failed', error: error.code === 'cancelled' ? new ProviderError('provider_unavailable', { requestSent: error.requestSent }) : error, account, closing };
    }
    const headers = vaultrunHeaders({ callId: call.callId, requestId: call.requestId, accountName: account.name, model });
    const result =
      answer.kind === 'json'
        ? sendAnswer(call.reply, answer, headers, call.endpoint, { at: startedAt, wall: startedWall })
        : await pipeStream(call.reply, answer, {
            endpoint: call.endpoint,
            stripUsage: call.endpoint === 'chat.completions' && !call.clientWantsUsage,
            headers,
            signal: call.controller.signal,
            abortReason: () => call.abortReason,
            startedAt,
            estimatedPromptTokens: plan.estimate.tokens,
            countTokens,
          });
    // After the last byte: the slot (with the tokens really used), then the record and the money.
    await release(result.usage ? result.usage.inputTokens + result.usage.outputTokens : null);
    this.later(this.settle(call, plan, admitted, result));
    return { kind: 'done' };
  }

  /** The client's body as the provider receives it: its model, usage asked for on chat streams, a shrunk output limit. */
  private upstreamBody(call: Call, account: DirectoryAccount, model: string, maxOutputTokens: number): Obj {
    const body: Obj = { ...call.body, model };
    if (call.stream && call.endpoint === 'chat.completions') body.stream_options = { ...((call.body.stream_options as Obj | undefined) ?? {}), include_usage: true };
    if (maxOutputTokens < call.maxOutputTokens) {
      // Shrink-to-fit (docs/budgets.md): a budget lowered the output allowance; the provider must not exceed it.
      if (call.endpoint === 'responses') body.max_output_tokens = maxOutputTokens;
      else if (call.endpoint === 'chat.completions') {
        const perChoice = Math.max(1, Math.floor(maxOutputTokens / choicesOf(call.endpoint, call.body)));
        const field = 'max_tokens' in call.body && !('max_completion_tokens' in call.body) ? 'max_tokens' : account.kind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens';
        body[field] = perChoice;
      } else if (call.endpoint === 'messages') body.max_tokens = maxOutputTokens;
    }
    return body;
  }

  /** The record's end after an answer: usage, cost and its label, timings, retention; the holds settle to the cost. */
  private async settle(call: Call, plan: Plan, admitted: { holds: number | null; held: number | null }, r: CallResult): Promise<void> {
    const { account, model } = plan.target;
    const multiplier = call.directory.multiplierFor(account);
    const price = pricedWith(priceFor(account.kind, model, call.directory.overridesFor(account)), multiplier);
    const costSync = account.costSync;
    let cost = costOfCall({ usage: r.usage, reportedCostMicroUsd: r.reportedCostMicroUsd }, price?.price ?? null, costSync, multiplier);
    // Counted from the streamed text: Vaultrun's own estimate, whatever cost sync will say later.
    if (r.usageSource === 'counted' && cost.label !== 'unavailable') cost = { ...cost, label: 'estimated' };
    if (r.unknownOutcome) cost = { costMicroUsd: null, label: 'unavailable' };
    const overage = admitted.held !== null && cost.costMicroUsd !== null && cost.costMicroUsd > admitted.held ? cost.costMicroUsd - admitted.held : null;
    const keep = call.directory.retention === 'keep_bodies';
    const status = r.status;
    const message =
      status === 'succeeded'
        ? overage !== null
          ? `Charged ${formatUsd(cost.costMicroUsd!)}, ${formatUsd(overage)} more than the ${formatUsd(admitted.held!)} held: the provider counted ${r.usage?.inputTokens ?? '?'} prompt tokens where ${plan.quote.promptTokensHeld} were held`
          : ''
        : status === 'cancelled'
          ? `The client disconnected mid-stream; the provider call was aborted and what it produced was ${r.usageSource === 'provider' ? 'settled to the provider\'s usage' : 'counted from the streamed text'}`
          : (r.error?.message ?? 'Provider unavailable');
    const gateway: GatewayCallInfo = {
      endpoint: call.endpoint,
      stream: call.stream,
      requestedModel: call.requested,
      routeId: plan.target.routeId,
      attempts: call.attempts,
      usageSource: r.usageSource,
      clientDisconnected: r.clientDisconnected,
    };
    await this.finishRecord(call, {
      status,
      patch: {
        input_tokens: r.usage?.inputTokens ?? null,
        output_tokens: r.usage?.outputTokens ?? null,
        cached_input_tokens: r.usage?.cachedInputTokens ?? null,
        cost_micro_usd: cost.costMicroUsd,
        cost_label: cost.label,
        provider_request_id: r.providerRequestId,
        provider_latency_ms: Math.round(r.providerMs),
        first_byte_at: r.firstByteAt,
        output: keep ? kept(r.outputText()) : null,
        overage_micro_usd: overage,
        gateway: JSON.stringify(gateway),
        error_code: status === 'succeeded' ? null : status === 'cancelled' ? 'client_disconnected' : (r.error?.code ?? 'provider_unavailable'),
        error_message: status === 'succeeded' ? null : message,
      },
      message,
      data: overage !== null ? { overageMicroUsd: overage, heldMicroUsd: admitted.held, promptTokensHeld: plan.quote.promptTokensHeld, promptTokensReported: r.usage?.inputTokens ?? null } : undefined,
      holds: admitted.holds === null ? null : { attempt: admitted.holds, closing: r.unknownOutcome ? { charge: null } : { charge: cost.costMicroUsd } },
      calibrate: plan.estimate.counting !== 'mock' && r.usageSource === 'provider' && r.usage ? { estimatedPromptTokens: plan.estimate.tokens } : undefined,
    });
    if (status === 'succeeded') await this.noteAccountHealthy(account, call.token.workspaceId);
  }

  /** The call ends with a provider error (its record and holds too); the client gets the mapped error. */
  private async failed(call: Call, outcome: Extract<AttemptOutcome, { kind: 'failed' }>): Promise<void> {
    const error = providerGatewayError(outcome.error, outcome.account.name, { timedOut: call.abortReason === 'timeout' });
    sendGatewayError(error, call.reply.request, call.reply, this.logger, this.recordHeaders(call));
    if (!call.recorded) return;
    const closing = call.openHolds?.closing ?? outcome.closing;
    this.later(
      this.finishRecordPlain(call, 'failed', { error_code: outcome.error.code, error_message: error.message, cost_label: closing === 'keep' ? 'unavailable' : null }, error.message, closing),
    );
  }

  /** Every target admissible by its limits was refused by a budget (or the model has no price under one). */
  private refused(call: Call, refusal: Refusal): void {
    sendGatewayError(gatewayErrors.budget(refusal.code, refusal.message), call.reply.request, call.reply, this.logger, this.recordHeaders(call));
    this.later(
      this.finishRecordPlain(
        call,
        'blocked',
        { status_reason: refusal.message, error_code: refusal.code, error_message: refusal.message, blocked_budget_id: refusal.budgetId },
        refusal.message,
        call.openHolds?.closing ?? 'release',
        refusal.details,
      ),
    );
  }

  /** The client left while the call waited for a slot: nothing was written, nothing is answered. */
  private abandon(call: Call): void {
    if (call.recorded) this.later(this.finishRecordPlain(call, 'cancelled', { error_code: 'client_disconnected', error_message: 'The client disconnected' }, 'The client disconnected', 'release'));
  }

  private recordHeaders(call: Call): Record<string, string> {
    return call.recorded ? { 'x-vaultrun-request-id': call.callId } : {};
  }

  private finishRecordPlain(call: Call, status: 'failed' | 'cancelled' | 'blocked', patch: Record<string, unknown>, message: string, closing: 'release' | 'keep', data?: Record<string, unknown>): Promise<void> {
    const holds = call.openHolds ? { attempt: call.openHolds.attempt, closing: closing === 'keep' ? { charge: null } : ('release' as const) } : null;
    return this.finishRecord(call, { status, patch: { ...patch, gateway: JSON.stringify(this.gatewayInfo(call)) }, message, data, holds });
  }

  private gatewayInfo(call: Call): GatewayCallInfo {
    return { endpoint: call.endpoint, stream: call.stream, requestedModel: call.requested, routeId: call.routeId, attempts: call.attempts };
  }

  private async finishRecord(
    call: Call,
    f: {
      status: 'succeeded' | 'failed' | 'cancelled' | 'blocked';
      patch: Record<string, unknown>;
      message: string;
      data?: Record<string, unknown>;
      holds: { attempt: number; closing: { charge: number | null } | 'release' } | null;
      calibrate?: { estimatedPromptTokens: number };
    },
  ): Promise<void> {
    call.openHolds = null;
    const written = await finishGatewayCall(this.db, {
      runId: call.callId,
      leaseOwner: this.capacity.processId,
      status: f.status,
      patch: f.patch,
      event: { type: f.status, message: f.message, ...(f.data ? { data: f.data } : {}) },
      holds: f.holds,
      ...(f.calibrate ? { calibrate: f.calibrate } : {}),
    });
    if (!written) {
      this.logger.warn({ callId: call.callId }, 'gateway call record was already finished by the reconciler (lease ran out); its holds were closed as kept');
      return;
    }
    // Best effort, like every live update: the record is in Postgres either way.
    await this.bus.changed({ id: call.callId, workspaceId: call.token.workspaceId, status: f.status, kind: 'gateway', operatorId: null, accountId: call.accountId, errorCode: (f.patch.error_code as string | null | undefined) ?? null });
  }

  /** What a provider failure says about the account, recorded as runs record it (cooldown, refused key or quota). */
  private async noteProviderError(account: DirectoryAccount, error: ProviderError, workspaceId: string): Promise<void> {
    if (error.code === 'rate_limited') {
      const until = await this.capacity.cooldown(account.id, error.retryAfterMs ?? 5_000);
      // A managed account's key is shared by every workspace: all of them back off.
      if (account.keyAccount) await this.capacity.cooldown(account.keyAccount.id, error.retryAfterMs ?? 5_000);
      await this.db.query(
        `UPDATE provider_accounts SET status = 'rate_limited', rate_limited_until = to_timestamp($2 / 1000.0), last_error_code = 'rate_limited'
          WHERE id = $1 AND status IN ('active', 'unverified', 'rate_limited')`,
        [account.id, until],
      );
      this.directories.invalidate(workspaceId);
    } else if (error.accountStatus) {
      await this.db.query(`UPDATE provider_accounts SET status = $2, last_error_code = $3 WHERE id = $1 AND status <> 'disabled'`, [account.id, error.accountStatus, error.code]);
      this.upstreams.forget(account.id);
      this.directories.invalidate(workspaceId);
      // Everyone waiting for this account (runs and calls) can fail now, with the same message, instead of waiting to.
      const waiting = await this.capacity.waiting(account.id);
      if (waiting.length) await this.capacity.wakeAll(account.id, waiting);
    }
  }

  /** A success proves a cooldown or an outage over (only written when the account still says otherwise). */
  private async noteAccountHealthy(account: DirectoryAccount, workspaceId: string): Promise<void> {
    if (account.status !== 'rate_limited' && !(account.lastErrorCode && PASSING_ACCOUNT_ERRORS.includes(account.lastErrorCode))) return;
    await this.db.query(
      `UPDATE provider_accounts SET status = CASE WHEN status = 'rate_limited' THEN 'active' ELSE status END,
         rate_limited_until = CASE WHEN status = 'rate_limited' THEN NULL ELSE rate_limited_until END,
         last_error_code = CASE WHEN last_error_code = ANY($2::text[]) THEN NULL ELSE last_error_code END WHERE id = $1`,
      [account.id, PASSING_ACCOUNT_ERRORS],
    );
    this.directories.invalidate(workspaceId);
  }

  /** Work that follows an answer: not awaited by the client, awaited by shutdown, failures logged once with context. */
  private later(work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => {
      // The record stays `running` until its lease runs out; the worker's reconciler then finishes it (worst case kept).
      this.logger.error({ err }, 'gateway: writing a call\'s record failed; the reconciler will finish it when its lease runs out');
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Finishes writing what answered calls left (bounded): their records and money. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  }
}

function unusableAccountError(account: DirectoryAccount): GatewayError {
  if (account.status === 'disabled') return new GatewayError(503, 'upstream_error', 'account_disabled', `The provider account "${account.name}" is disabled.`, null, { 'x-should-retry': 'false' });
  return providerGatewayError(new ProviderError(account.status === 'invalid_key' ? 'invalid_api_key' : 'insufficient_quota', { requestSent: false }), account.name);
}
