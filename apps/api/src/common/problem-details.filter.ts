import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { isGatewayPath, sendGatewayError } from '../modules/gateway/gateway-errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details.js';

/** The one place where errors become HTTP responses (RFC 9457). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('ProblemDetailsFilter');
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: { error: (obj: object, msg: string) => void; warn?: (obj: object, msg: string) => void },
): void {
  // The OpenAI-compatible gateway answers OpenAI-shaped, whichever layer refused the request (docs/gateway.md).
  if (isGatewayPath(request.url)) return sendGatewayError(error, request, reply, logger);
  const { problem, headers, unexpected, degraded } = toProblem(error);
  problem.instance = request.url.split('?')[0];
  problem.requestId = String(request.id);
  if (unexpected) logger.error({ err: error, errorId: problem.errorId, requestId: request.id }, 'request failed');
  // Expected while a dependency is down: say which request it refused, without a stack trace per request.
  if (degraded) logger.warn?.({ code: problem.code, requestId: request.id, cause: error instanceof Error ? error.message : String(error) }, 'request refused: dependency unavailable');
  if (reply.sent) return;
  void reply
    .status(problem.status)
    .headers({ ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' })
    .send(JSON.stringify(problem));
}
