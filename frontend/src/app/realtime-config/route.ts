/**
 * Where the browser opens its socket.io connections, read at run time (not baked into the build).
 *
 * `url: null` (the default) means the web app's own origin: src/proxy.ts rewrites /socket.io/*
 * to API_URL, WebSocket upgrades included, so no CORS and API_URL may stay an internal address
 * (http://backend:4000 in Docker). Set PUBLIC_API_URL (e.g. https://api.teleread.example) to let
 * browsers connect to the API directly; the API must then allow this site's origin.
 * Not under /api/*, which is proxied to the backend as a whole.
 */
export const dynamic = 'force-dynamic';

export function GET() {
  const url = process.env.PUBLIC_API_URL?.trim().replace(/\/+$/, '') || null;
  return Response.json({ url }, { headers: { 'cache-control': 'no-store' } });
}
