import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { MetricsService } from '../health/metrics.service.js';

/** Request duration per route template (never per raw URL, which would explode the label set). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const stop = this.metrics.httpDuration.startTimer({ method: req.method, route: req.route?.path ?? 'unknown' });
    // 'finish' sees the final status, including errors mapped by the exception filter.
    res.once('finish', () => stop({ status: String(res.statusCode) }));
    return next.handle();
  }
}
