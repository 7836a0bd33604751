/**
 * Forwards a request to the Teleread API at API_URL, read at request time so that
 * `API_URL=... next start` works without rebuilding. Streams the request and
 * response bodies; no size limit, no buffering.
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
]);

export function apiBaseUrl(): string {
  return (process.env.API_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
}

function requestHeaders(req: Request): Headers {
  const out = new Headers();
  req.headers.forEach((value, key) => {
    const k = key.toLowerCase();
    if (HOP_BY_HOP.has(k) || k.startsWith('x-middleware-') || k.startsWith('next-') || k === 'rsc') return;
    out.set(key, value);
  });
  // Next fills x-forwarded-for/-host/-proto/-port on the incoming request;
  // they are passed on so the API can audit and throttle by the client address.
  // fetch() would transparently decompress; ask the API for identity instead.
  out.set('accept-encoding', 'identity');
  return out;
}

function responseHeaders(res: Response): Headers {
  const out = new Headers();
  res.headers.forEach((value, key) => {
    const k = key.toLowerCase();
    if (HOP_BY_HOP.has(k) || k === 'set-cookie') return;
    out.set(key, value);
  });
  for (const cookie of res.headers.getSetCookie()) out.append('set-cookie', cookie);
  if (res.headers.has('content-encoding')) {
    // fetch() already decoded the body.
    out.delete('content-encoding');
    out.delete('content-length');
  }
  return out;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

export async function forwardToApi(req: Request): Promise<Response> {
  const incoming = new URL(req.url);
  const target = `${apiBaseUrl()}${incoming.pathname}${incoming.search}`;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== null;

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers: requestHeaders(req),
      body: hasBody ? req.body : undefined,
      redirect: 'manual',
      cache: 'no-store',
      signal: req.signal,
      // Required by undici to stream a request body.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch (err) {
    if (req.signal.aborted) return new Response(null, { status: 499 });
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    console.error(`[upstream] ${req.method} ${target} failed: ${cause}`);
    return Response.json(
      { statusCode: 502, message: 'Cannot reach the Teleread server', error: 'Bad Gateway' },
      { status: 502 },
    );
  }

  return new Response(NULL_BODY_STATUS.has(upstream.status) || req.method === 'HEAD' ? null : upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders(upstream),
  });
}
