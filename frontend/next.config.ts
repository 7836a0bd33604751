import type { NextConfig } from 'next';
const API = process.env.API_URL ?? 'http://127.0.0.1:4000';
const nextConfig: NextConfig = {
  images: { unoptimized: true },
  async rewrites() {
    return [{ source: '/rw-test/:path*', destination: `${API}/:path*` }];
  },
};
export default nextConfig;
