import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fresh from 'fresh';
import Negotiator from 'negotiator';
import type { PatientSetRef } from '../audit/audit.types.js';
import { InvalidationBus, worklistCase, worklistQueue } from '../cache/invalidation-bus.js';
import { TaggedCache } from '../cache/tagged-cache.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Subspecialty } from '../generated/prisma/enums.js';

/** One worklist page as sent: the JSON body (plain and gzipped), and its patients, stored once for every reader's audit event. */
export interface WorklistPage {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  patientSet: PatientSetRef | null;
  count: number;
}

const gzipAsync = promisify(gzip);

/**
 * Sends a page as stored: gzipped to clients that accept it (browsers, proxies), so the ~40 kB of
 * a full page is compressed once per cache fill rather than once per request, or not at all;
 * 304 to a client that holds it (If-None-Match), as Express's res.send would. Plain node:http, so
 * that the regular route and WorklistReadFastPath answer alike.
 */
export function sendWorklistPage(req: IncomingMessage, res: ServerResponse, page: WorklistPage): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('ETag', page.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (fresh(req.headers, { etag: page.etag })) {
    res.writeHead(304).end();
    return;
  }
  const gzipped = acceptsGzip(req);
  if (gzipped) res.setHeader('Content-Encoding', 'gzip');
  const body = gzipped ? page.gzipped : page.body;
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Accept-Encoding values seen and whether they take gzip: clients send a handful, each parsed once. */
const gzipAccepted = new Map<string, boolean>();
const ACCEPT_ENCODINGS_KEPT = 100;

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'] ?? '';
  let gzip = gzipAccepted.get(header);
  if (gzip === undefined) {
    gzip = new Negotiator(req).encoding(['gzip', 'identity']) === 'gzip';
    // Bounded: odd values from odd clients are parsed each time instead of filling memory.
    if (gzipAccepted.size < ACCEPT_ENCODINGS_KEPT) gzipAccepted.set(header, gzip);
  }
  return gzip;
}

const ALL_SUBSPECIALTIES: readonly string[] = Object.values(Subspecialty);

/**
 * Worklist pages per eligibility (scope, subspecialties, filters, paging), so readers with the
 * same eligibility share one query and most requests need none. Every committed change to a
 * case (or to its study, by late instances) goes through WorklistEvents.changed, which drops, in
 * every process (InvalidationBus), the pages that may show the case: those of its hospital and
 * subspecialty, before and after a re-route. WORKLIST_CACHE_SECONDS bounds what a change made
 * around the platform (a fix in SQL) can leave behind.
 */
@Injectable()
export class WorklistCache {
  private readonly ttlMs: number;
  private readonly pages: TaggedCache<string, WorklistPage>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, bus: InvalidationBus) {
    this.ttlMs = config.WORKLIST_CACHE_SECONDS * 1000;
    this.pages = new TaggedCache({
      // JSON is mostly ASCII: two bytes per character is a safe estimate of the memory held.
      maxWeight: config.WORKLIST_CACHE_MB * 1024 * 1024,
      weigh: (page) => page.body.length + page.gzipped.length + 200,
      enabled: () => this.ttlMs > 0 && bus.live,
      // The TTL only bounds changes made around the platform: readers need not wait on its reloads.
      staleMs: Math.min(this.ttlMs, 10_000),
    });
    bus.on('worklist', ({ hospitalIds, queues, items }) =>
      hospitalIds === null ? this.pages.clear() : this.pages.invalidate([...(hospitalIds ?? []), ...(queues ?? []), ...(items ?? []).map(worklistCase)]),
    );
    bus.onReset(() => this.pages.clear());
  }

  /**
   * `hospitalIds` and `subspecialties` (null: all): whose cases may appear on the page. A change to
   * a case of one of those hospitals routed (before or after) to one of those subspecialties drops it.
   */
  page(
    key: string,
    hospitalIds: readonly string[],
    subspecialties: readonly string[] | null,
    load: () => Promise<{ json: string; itemIds: readonly string[]; patientSet: PatientSetRef | null; count: number }>,
  ): Promise<WorklistPage> {
    const tags = () => hospitalIds.flatMap((h) => [h, ...(subspecialties ?? ALL_SUBSPECIALTIES).map((s) => worklistQueue(h, s))]);
    return this.pages.get(key, tags, async () => {
      const { json, itemIds, patientSet, count } = await load();
      const body = Buffer.from(json);
      // Hashed and compressed once here rather than on every response.
      const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
      // Tagged with its cases too: a change to one that moves no case in any list drops only the pages listing it.
      return { value: { body, gzipped: await gzipAsync(body), etag, patientSet, count }, ttlMs: this.ttlMs, tags: itemIds.map(worklistCase) };
    });
  }
}
