import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { Prisma } from '../generated/prisma/client.js';
import { requestContext } from './request-context.js';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId?: string;
}

/**
 * One error shape for every route: {statusCode, error, message, requestId}.
 * Client mistakes get a precise 4xx; anything unexpected is logged with the
 * request id and answered 500 without internals.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    body.requestId = requestContext.current()?.requestId;
    if (body.statusCode >= 500) this.logger.error({ err: exception, requestId: body.requestId }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    const cause = (exception as { cause?: { type?: string } })?.cause;
    if (cause?.type === 'entity.parse.failed' || (exception as { type?: string })?.type === 'entity.parse.failed') {
      const detail = exception instanceof Error ? exception.message : 'unparseable';
      return { statusCode: 400, error: 'BAD_REQUEST', message: `Malformed JSON body: ${detail}` };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? exception.message);
      return { statusCode: status, error: HttpStatus[status] ?? 'Error', message };
    }
    // Other client errors raised outside Nest (body too large, bad charset) carry their status.
    const e = exception as { status?: number; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      return { statusCode: e.status, error: HttpStatus[e.status] ?? 'Error', message: e.message ?? 'Bad request' };
    }
    if (exception instanceof Prisma.PrismaClientKnownRequestError) {
      if (exception.code === 'P2025') return { statusCode: 404, error: 'NOT_FOUND', message: 'Not found' };
      if (exception.code === 'P2002') return { statusCode: 409, error: 'CONFLICT', message: 'Already exists' };
    }
    return { statusCode: 500, error: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
  }
}
