import { MultipartError, parseMultipartContentType, receiveMultipart, type ReceivedPart } from '../common/multipart-related.js';

/** What the client needs from an Archive row. */
export interface ArchiveEndpoint {
  dicomwebUrl: string;
  /** "none" | "basic" (authSecret = "user:password") | "bearer" (authSecret = the token). */
  authType: string;
  authSecret: string | null;
}

export interface ArchiveClientOptions {
  /** Whole-request limit for metadata calls (QIDO, Orthanc REST). */
  requestTimeoutMs?: number;
  /** WADO-RS: longest wait for the answer's headers and between two chunks of its body. */
  idleTimeoutMs?: number;
  /** Aborts everything in flight (application shutdown). */
  signal?: AbortSignal;
}

/** The archive could not be reached or answered with an error: the message says which request and why. */
export class ArchiveError extends Error {
  constructor(
    message: string,
    /** HTTP status when the archive answered; undefined for network errors and timeouts. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RemoteStudy {
  studyInstanceUid: string;
  /** NumberOfStudyRelatedInstances (0020,1208); null when the archive does not say. */
  numInstances: number | null;
}

export interface RemoteSeries {
  seriesInstanceUid: string;
  numInstances: number | null;
}

export interface OrthancChanges {
  changes: { seq: number; changeType: string; resourceType: string; id: string }[];
  done: boolean;
  last: number;
}

type DicomJsonItem = Record<string, { Value?: unknown[] } | undefined>;

const PAGE = 100;
const ACCEPT_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*';

const firstValue = (item: DicomJsonItem, tag: string) => item[tag]?.Value?.[0];
const intValue = (v: unknown) => {
  const n = typeof v === 'number' ? v : parseInt(String(v ?? ''), 10);
  return Number.isFinite(n) ? n : null;
};

/** Why a fetch failed, in words an operator can act on (Node hides the cause behind "fetch failed"). */
function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  if (e?.name === 'AbortError') return 'aborted';
  const cause = e?.cause?.message ?? e?.cause?.code;
  return cause ? cause : (e?.message ?? String(err));
}

/**
 * A hospital archive seen through DICOMweb (QIDO-RS, WADO-RS) and, when it is an
 * Orthanc, its REST API (/system, /changes, /studies/{id}). Every call is bounded
 * in time; retrieval streams each instance to disk, never a whole study in memory.
 */
export class ArchiveClient {
  /** The DICOMweb root, always ending in "/". */
  readonly base: string;
  /** Orthanc's REST root when the DICOMweb root is Orthanc's default ".../dicom-web/"; otherwise null. */
  readonly origin: string | null;
  private readonly requestTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly signal?: AbortSignal;

  constructor(
    private readonly endpoint: ArchiveEndpoint,
    options: ArchiveClientOptions = {},
  ) {
    this.base = endpoint.dicomwebUrl.endsWith('/') ? endpoint.dicomwebUrl : `${endpoint.dicomwebUrl}/`;
    const m = /^(.*)\/dicom-web\/$/.exec(this.base);
    this.origin = m ? m[1] : null;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.signal = options.signal;
  }

  private headers(accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept };
    const secret = this.endpoint.authSecret ?? '';
    if (this.endpoint.authType === 'basic' && secret) headers.authorization = `Basic ${Buffer.from(secret).toString('base64')}`;
    if (this.endpoint.authType === 'bearer' && secret) headers.authorization = `Bearer ${secret}`;
    return headers;
  }

  private signalFor(timeoutMs: number): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs);
    return this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;
  }

  /** GET returning JSON; null for 404 when `allow404`; 204 → null. */
  private async getJson<T>(url: string, accept: string, allow404 = false): Promise<T | null> {
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { headers: this.headers(accept), signal: this.signalFor(this.requestTimeoutMs) });
      body = await res.text();
    } catch (err) {
      throw new ArchiveError(`GET ${url}: ${describe(err, this.requestTimeoutMs)}`);
    }
    if (res.status === 404 && allow404) return null;
    if (res.status === 204) return null;
    if (!res.ok) throw new ArchiveError(`GET ${url} → HTTP ${res.status} ${res.statusText}${body ? `: ${body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, res.status);
    try {
      return (body ? JSON.parse(body) : null) as T;
    } catch {
      throw new ArchiveError(`GET ${url} → HTTP ${res.status} but the body is not JSON`, res.status);
    }
  }

  /**
   * True if the archive is an Orthanc (its /system answers JSON with Name and Version).
   * Network errors propagate: the archive is down, whatever it is.
   */
  async isOrthanc(): Promise<boolean> {
    if (!this.origin) return false;
    try {
      const system = await this.getJson<{ Name?: unknown; Version?: unknown }>(`${this.origin}/system`, 'application/json', true);
      return typeof system?.Name === 'string' && typeof system?.Version === 'string';
    } catch (err) {
      if (err instanceof ArchiveError && err.status !== undefined) return false; // answered, but not like Orthanc
      throw err;
    }
  }

  /** One page of Orthanc's change log after `since` (exclusive). */
  async orthancChanges(since: number, limit = PAGE): Promise<OrthancChanges> {
    const r = await this.getJson<{ Changes?: { Seq: number; ChangeType: string; ResourceType: string; ID: string }[]; Done?: boolean; Last?: number }>(
      `${this.origin}/changes?since=${since}&limit=${limit}`,
      'application/json',
    );
    return {
      changes: (r?.Changes ?? []).map((c) => ({ seq: c.Seq, changeType: c.ChangeType, resourceType: c.ResourceType, id: c.ID })),
      done: r?.Done ?? true,
      last: typeof r?.Last === 'number' ? r.Last : since,
    };
  }

  /** Orthanc study id → StudyInstanceUID; null when the study is gone. */
  async orthancStudyUid(orthancId: string): Promise<string | null> {
    if (!/^[0-9a-f-]+$/.test(orthancId)) return null;
    const r = await this.getJson<{ MainDicomTags?: { StudyInstanceUID?: string } }>(`${this.origin}/studies/${orthancId}`, 'application/json', true);
    return r?.MainDicomTags?.StudyInstanceUID ?? null;
  }

  /** QIDO-RS studies matching `query`, paged with limit/offset until a short page. */
  async *searchStudies(query: Record<string, string>, pageSize = PAGE): AsyncGenerator<RemoteStudy> {
    for (let offset = 0; ; offset += pageSize) {
      const params = new URLSearchParams({ ...query, includefield: '00201208', limit: String(pageSize), offset: String(offset) });
      const page = (await this.getJson<DicomJsonItem[]>(`${this.base}studies?${params}`, 'application/dicom+json')) ?? [];
      for (const item of page) {
        const uid = firstValue(item, '0020000D');
        if (typeof uid === 'string' && uid) yield { studyInstanceUid: uid, numInstances: intValue(firstValue(item, '00201208')) };
      }
      if (page.length < pageSize) return;
    }
  }

  /** One study by UID, with its instance count; null if the archive does not hold it. */
  async findStudy(studyInstanceUid: string): Promise<RemoteStudy | null> {
    for await (const s of this.searchStudies({ StudyInstanceUID: studyInstanceUid }, 10)) {
      if (s.studyInstanceUid === studyInstanceUid) return s;
    }
    return null;
  }

  /** The study's series with their instance counts (paged). */
  async listSeries(studyInstanceUid: string): Promise<RemoteSeries[]> {
    const out: RemoteSeries[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const params = new URLSearchParams({ includefield: '00201209', limit: String(PAGE), offset: String(offset) });
      const page = (await this.getJson<DicomJsonItem[]>(`${this.base}studies/${studyInstanceUid}/series?${params}`, 'application/dicom+json', true)) ?? [];
      for (const item of page) {
        const uid = firstValue(item, '0020000E');
        if (typeof uid === 'string' && uid) out.push({ seriesInstanceUid: uid, numInstances: intValue(firstValue(item, '00201209')) });
      }
      if (page.length < PAGE) return out;
    }
  }

  /**
   * WADO-RS retrieve of a study or series as stored (`transfer-syntax=*`), each part
   * streamed to its own file and handed to `onPart` before the next is read, so a
   * slow consumer slows the download instead of buffering it. Returns the part count.
   */
  async retrieve(resourcePath: string, newPath: () => string, onPart: (part: ReceivedPart) => Promise<void>): Promise<number> {
    const url = `${this.base}${resourcePath}`;
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(this.signal?.reason);
    this.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new DOMException('idle', 'TimeoutError')), this.idleTimeoutMs);
    };
    try {
      arm();
      let res: Response;
      try {
        res = await fetch(url, { headers: this.headers(ACCEPT_DICOM), signal: controller.signal });
      } catch (err) {
        throw new ArchiveError(`GET ${url}: ${describe(controller.signal.reason ?? err, this.idleTimeoutMs)}`);
      }
      clearTimeout(idle);
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        throw new ArchiveError(`GET ${url} → HTTP ${res.status} ${res.statusText}${text ? `: ${text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, res.status);
      }
      let boundary: string;
      try {
        boundary = parseMultipartContentType(res.headers.get('content-type') ?? undefined).boundary;
      } catch (err) {
        await res.body.cancel().catch(() => undefined);
        throw new ArchiveError(`GET ${url}: ${(err as Error).message} (got ${res.headers.get('content-type')})`, res.status);
      }
      const reader = res.body.getReader();
      // The idle timer runs only while waiting for the archive, not while we ingest a part.
      async function* chunks(): AsyncGenerator<Buffer> {
        try {
          for (;;) {
            arm();
            const { done, value } = await reader.read();
            clearTimeout(idle);
            if (done) return;
            yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
          }
        } finally {
          clearTimeout(idle);
          await reader.cancel().catch(() => undefined);
        }
      }
      try {
        return await receiveMultipart(chunks(), boundary, newPath, onPart);
      } catch (err) {
        if (err instanceof MultipartError) throw new ArchiveError(`GET ${url}: ${err.message}`, res.status);
        if (controller.signal.aborted) throw new ArchiveError(`GET ${url}: ${describe(controller.signal.reason ?? err, this.idleTimeoutMs)} (download stalled)`);
        throw err;
      }
    } finally {
      clearTimeout(idle);
      this.signal?.removeEventListener('abort', onOuterAbort);
    }
  }
}
