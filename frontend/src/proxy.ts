import { NextResponse, type NextRequest } from 'next/server';
export function proxy(req: NextRequest) {
  const api = process.env.API_URL ?? 'http://127.0.0.1:4000';
  const u = new URL(req.nextUrl.pathname + req.nextUrl.search, api);
  return NextResponse.rewrite(u);
}
export const config = { matcher: ['/socket.io/:path*', '/mw-test/:path*'] };
