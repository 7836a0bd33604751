import { NextResponse, type NextRequest } from 'next/server';

/**
 * socket.io (namespace /sessions) goes to the API at API_URL, read at runtime.
 * A rewrite to an absolute URL from proxy.ts is also applied to WebSocket upgrade
 * requests, which a Route Handler cannot take. Everything else under /api,
 * /dicomweb and /health goes through streaming Route Handlers (see next.config.ts).
 */
export function proxy(req: NextRequest) {
  const api = (process.env.API_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
  return NextResponse.rewrite(new URL(`${api}${req.nextUrl.pathname}${req.nextUrl.search}`));
}

export const config = {
  matcher: ['/socket.io/:path*'],
};
