# syntax=docker/dockerfile:1
#
# Teleread backend: NestJS API (HTTP, DICOMweb, socket.io) + DIMSE C-STORE SCP.
#
# Build from the repository root (the context must be the whole monorepo):
#   docker build -f docker/backend.Dockerfile -t teleread/backend .
# Run it with an init process so SIGTERM reaches node (compose: `init: true`;
# plain docker: `docker run --init ...`). See docker/README.md.
#
# Stages: base -> manifests -> deps -> build   (full install, compile)
#         base -> manifests -> prod-deps       (production node_modules only)
#         runtime = node image + prod-deps + build output
# base/manifests/deps are identical in frontend.Dockerfile, so BuildKit runs the
# expensive `npm ci` once for both images.

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
# workspace, and nothing else. `npm ci` needs every workspace's package.json;
# collecting them here (instead of one COPY per workspace) keeps working when a
# workspace is added, and because COPY --from is cached by content, the
# `npm ci` layers below are reused until a manifest or the lockfile changes.
FROM base AS manifests
COPY . /src
RUN mkdir -p /manifests \
 && cd /src \
 && cp package.json package-lock.json /manifests/ \
 && find . -mindepth 2 -maxdepth 3 -name package.json -not -path '*/node_modules/*' \
      -exec cp --parents '{}' /manifests/ ';'

# ---------------------------------------------------------------------------
# deps: every workspace, dev dependencies included (prisma CLI, typescript...).
FROM base AS deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci

# ---------------------------------------------------------------------------
# build: generate the Prisma client into backend/src/generated/prisma, then tsc
# compiles backend/src (generated client included) into backend/dist.
# `db:generate` points PRISMA_SCHEMA_ENGINE_BINARY at /bin/true unless set, so
# no engine download is needed; prisma.config.ts supplies a placeholder
# DATABASE_URL (generate never connects).
FROM deps AS build
COPY . .
RUN npm run db:generate \
 && npm run build -w backend
# Fail here, not at container start, if the layout the runtime relies on moved.
RUN for f in backend/dist/main.js backend/dist/generated/prisma/client.js; do \
      test -f "$f" || { echo "backend build did not produce $f" >&2; exit 1; }; \
    done

# ---------------------------------------------------------------------------
# prod-deps: the backend workspace's production dependencies only (no next,
# react, vitest, swc...). Packages npm places inside backend/node_modules (version
# conflicts with another workspace) are kept too; the mkdir makes that folder
# exist either way so the runtime COPY never fails.
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace backend \
 && mkdir -p backend/node_modules

# ---------------------------------------------------------------------------
# runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PORT=4000 \
    DICOM_PORT=11112 \
    DICOM_AET=TELEREAD \
    STORAGE_DIR=/var/lib/teleread/images
WORKDIR /app

# Code and dependencies stay owned by root (read-only for the `node` user).
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/backend/package.json ./backend/package.json
COPY --from=prod-deps /app/backend/node_modules ./backend/node_modules
# backend/package.json ("type": "module") makes node load dist/*.js as ESM.
COPY --from=build /app/backend/dist ./backend/dist
# Migrations: prisma/migrate.mjs applies prisma/migrations/*/migration.sql with
# the `pg` package (no Prisma engine binary), under a PostgreSQL advisory lock.
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/prisma.config.ts ./prisma.config.ts

# The image store. Created (and owned by `node`) before VOLUME so a fresh named
# volume is initialised with the right ownership.
RUN mkdir -p /var/lib/teleread/images \
 && chown node:node /var/lib/teleread/images
VOLUME ["/var/lib/teleread/images"]

USER node

# 4000: HTTP API, DICOMweb, socket.io, /health.  11112: DIMSE (C-ECHO, C-STORE).
EXPOSE 4000 11112

# No curl in slim images: use node's fetch. /health answers 200 only when
# PostgreSQL and Redis answer. start-period covers migrations + boot.
HEALTHCHECK --interval=15s --timeout=6s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health', { signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Apply pending migrations (serialized across replicas by an advisory lock),
# then replace the shell with node (`exec`) so node receives SIGTERM directly
# and can shut down gracefully.
CMD ["sh", "-c", "node prisma/migrate.mjs deploy && exec node backend/dist/main.js"]
