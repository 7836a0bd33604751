import type { NextConfig } from 'next';

/*
 * How the browser reaches the API (same origin, no CORS):
 *
 * `rewrites()` in this file are NOT used on purpose. Verified with next 16.4.6:
 * `next build` serialises rewrites into .next/routes-manifest.json and `next start`
 * reads that manifest, so an API_URL given only at `next start` time is ignored.
 * External rewrites also buffer request bodies and cut them at 10 MB
 * (experimental.proxyClientMaxBodySize), which would break STOW-RS uploads.
 *
 * Instead, API_URL is read at runtime (every request) by:
 *   - Route Handlers src/app/api/[...path]/route.ts, src/app/dicomweb/[...path]/route.ts
 *     and src/app/health/route.ts: they stream method, headers, body and status to
 *     API_URL (src/lib/server/upstream.ts), with no size limit and no timeout.
 *   - src/proxy.ts for /socket.io/*: a Route Handler cannot take a WebSocket upgrade,
 *     but a proxy.ts rewrite to an absolute URL is applied to upgrade requests too
 *     (socket.io polling and websocket transports both work).
 */
const nextConfig: NextConfig = {
  // Plain `next start` server output (not 'export', not 'standalone').
  reactStrictMode: true,
  poweredByHeader: false,
  // No sharp / image optimizer needed (and no install script to approve).
  images: { unoptimized: true },
  // socket.io (engine.io) only answers on "/socket.io/" with the trailing slash;
  // Next would otherwise 308-redirect it to "/socket.io" before proxy.ts runs.
  skipTrailingSlashRedirect: true,
  experimental: {
    // socket.io long-polling GETs are held up to pingInterval (25 s) upstream;
    // the default 30 s proxy timeout is too close.
    proxyTimeout: 120_000,
  },
};

export default nextConfig;
