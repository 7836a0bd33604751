import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InvalidationBus, worklistQueue } from '../cache/invalidation-bus.js';
import { TaggedCache } from '../cache/tagged-cache.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Subspecialty } from '../generated/prisma/enums.js';

/** One worklist page as sent: the JSON body, and the patients on it for each reader's audit event. */
export interface WorklistPage {
  json: string;
  etag: string;
  patientIds: readonly string[];
  count: number;
}

const ALL_SUBSPECIALTIES: readonly string[] = Object.values(Subspecialty);

/**
 * Worklist pages per eligibility (scope, subspecialties, filters, paging), so readers with the
 * same eligibility share one query and most requests need none. Every committed change to a
 * case goes through WorklistEvents.changed, which drops, in every process (InvalidationBus), the
 * pages that may show the case: those of its hospital and subspecialty, before and after a
 * re-route. WORKLIST_CACHE_SECONDS bounds what a change made around the platform (a direct SQL
 * fix, a late instance changing a study's modalities) can leave behind.
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
      weigh: (page) => 2 * page.json.length + 40 * page.patientIds.length + 200,
      enabled: () => this.ttlMs > 0 && bus.live,
    });
    bus.on('worklist', ({ hospitalIds, queues }) => (hospitalIds === null ? this.pages.clear() : this.pages.invalidate([...(hospitalIds ?? []), ...(queues ?? [])])));
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
    load: () => Promise<Omit<WorklistPage, 'etag'>>,
  ): Promise<WorklistPage> {
    const tags = () => hospitalIds.flatMap((h) => [h, ...(subspecialties ?? ALL_SUBSPECIALTIES).map((s) => worklistQueue(h, s))]);
    return this.pages.get(key, tags, async () => {
      const page = await load();
      // Hashed once here rather than by express on every response.
      return { value: { ...page, etag: `W/"${createHash('sha1').update(page.json).digest('base64url')}"` }, ttlMs: this.ttlMs };
    });
  }
}
