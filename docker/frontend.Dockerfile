# syntax=docker/dockerfile:1
#
# Teleread web app: Next.js 16, served by `next start`.
#
# Build from the repository root (the context must be the whole monorepo):
#   docker build -f docker/frontend.Dockerfile -t teleread/frontend .
#   (add --build-arg API_URL=... if the backend is not reachable at http://backend:4000)
#
# API_URL is needed at BUILD time as well as at run time: Next.js evaluates
# next.config's rewrites()/redirects() during `next build` and `next start`
# serves them from .next/routes-manifest.json, so a rewrite to
# process.env.API_URL keeps the value the image was built with. Server code
# (route handlers, proxy.ts, server components) reads the runtime value.
#
# base/manifests/deps are identical to backend.Dockerfile (shared build cache).

ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------
# base: Node plus the npm release the lockfile and the root package.json's
# "allowScripts" policy are written for (npm 10, shipped with Node 22, ignores
# allowScripts and would run every dependency install script).
FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION=11.19.1
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    CHECKPOINT_DISABLE=1 \
    NEXT_TELEMETRY_DISABLED=1
RUN --mount=type=cache,target=/root/.npm \
    npm install -g "npm@${NPM_VERSION}" && npm --version
WORKDIR /app

# ---------------------------------------------------------------------------
# manifests: package.json + package-lock.json of the root and of every
# workspace, and nothing else (see backend.Dockerfile).
FROM base AS manifests
COPY . /src
RUN mkdir -p /manifests \
 && cd /src \
 && cp package.json package-lock.json /manifests/ \
 && find . -mindepth 2 -maxdepth 3 -name package.json -not -path '*/node_modules/*' \
      -exec cp --parents '{}' /manifests/ ';'

# ---------------------------------------------------------------------------
# deps: every workspace, dev dependencies included.
FROM base AS deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci

# ---------------------------------------------------------------------------
# build: `next build`. The Prisma client is generated first, as the root
# `npm run build` does, in case the web app type-checks code shared with the
# backend; it needs no database and no engine download.
FROM deps AS build
ARG API_URL=http://backend:4000
ENV API_URL=${API_URL}
COPY . .
RUN npm run db:generate \
 && npm run build -w frontend
# Keep what `next start` needs (package.json, next.config.*, public/, .next/),
# minus the build cache and any dev node_modules.
RUN test -d frontend/.next || { echo 'next build did not produce frontend/.next' >&2; exit 1; } \
 && mkdir -p /out \
 && cp -a frontend /out/frontend \
 && rm -rf /out/frontend/node_modules /out/frontend/.next/cache

# ---------------------------------------------------------------------------
# prod-deps: the frontend workspace's production dependencies only.
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace frontend \
 && mkdir -p frontend/node_modules

# ---------------------------------------------------------------------------
# runtime
FROM ${NODE_IMAGE} AS runtime
ARG API_URL=http://backend:4000
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    API_URL=${API_URL}
WORKDIR /app

# Code and dependencies stay owned by root; only .next/cache (image
# optimisation, ISR) is writable by the `node` user.
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
# The root tsconfig.json too: frontend/tsconfig.json may extend it, and Next
# reads it when it transpiles a next.config.ts at start.
COPY --from=build /app/tsconfig.json ./tsconfig.json
COPY --from=build /out/frontend ./frontend
COPY --from=prod-deps /app/frontend/node_modules ./frontend/node_modules
RUN test -f /app/node_modules/next/dist/bin/next \
 && mkdir -p /app/frontend/.next/cache \
 && chown -R node:node /app/frontend/.next/cache

WORKDIR /app/frontend
USER node
EXPOSE 3000

# Any answer below 500 on the login page means the server is up.
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/login', { redirect: 'manual', signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]

# node runs next directly (no npm wrapper in between) so SIGTERM reaches it;
# the port comes from $PORT.
CMD ["node", "/app/node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0"]
