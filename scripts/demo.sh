#!/usr/bin/env bash
# `npm run demo`: the whole platform with demo data on this machine, from a fresh clone.
#  1. installs npm dependencies (and Orthanc for the demo hospital archives, if apt is available)
#  2. starts PostgreSQL and Redis if they are down, creates the database, migrates
#  3. starts three Orthanc hospital archives (one per demo hospital) from ../shared/peers
#  4. builds, seeds ~50 demo studies, runs backend (:4000) and web app (:3000) until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/teleread}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export STORAGE_DIR="${STORAGE_DIR:-$ROOT/var/storage}"
export PORT="${PORT:-4000}"
export NEXT_TELEMETRY_DISABLED="${NEXT_TELEMETRY_DISABLED:-1}"
WEB_PORT="${WEB_PORT:-3000}"
PEERS="${PEERS:-$ROOT/../shared/peers}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PORT" "$WEB_PORT"; do
  if port_busy "$port"; then
    echo "port $port is already in use (an earlier demo still running?): stop it, or set PORT / WEB_PORT" >&2
    exit 1
  fi
done

step "dependencies"
[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
if [ -x "$PEERS/archive.sh" ] && ! command -v Orthanc >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends orthanc orthanc-dicomweb dcmtk >/dev/null || true
fi

step "PostgreSQL and Redis"
bash scripts/ensure-services.sh
db_name="${DATABASE_URL##*/}"; db_name="${db_name%%\?*}"
admin_url="${DATABASE_URL%/*}/postgres"
if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
  psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
fi
npm run --silent db:migrate

step "hospital archives (Orthanc)"
archives=""
if [ -x "$PEERS/archive.sh" ] && command -v Orthanc >/dev/null; then
  ARCHIVE_STATE_DIR="$ROOT/var/archives" "$PEERS/archive.sh" up 3 >/dev/null
  i=1
  for key in stmary pacific lakeside; do
    archives+="${archives:+,}$key=$(ARCHIVE_STATE_DIR="$ROOT/var/archives" "$PEERS/archive.sh" url $i)/dicom-web/"
    i=$((i + 1))
  done
  echo "$archives" | tr ',' '\n'
  # A few studies waiting in each archive: the platform pulls them in once it runs.
  for i in 1 2 3; do
    gen="$ROOT/var/archive-studies/hosp$i"
    if [ ! -f "$gen/manifest.json" ]; then
      node "$PEERS/gen-study.mjs" --out "$gen" --seed "demo-archive-$i" --studies 3 --slices 16 --rows 128 --cols 128 \
        --modality MIX --accession "PULL$i-{n}" --quiet >/dev/null
    fi
    ARCHIVE_STATE_DIR="$ROOT/var/archives" ARCHIVE_ALLOW_FAIL=1 "$PEERS/archive.sh" load $i "$gen" >/dev/null
  done
  echo "3 studies waiting in each archive (pulled by the platform within seconds of start)"
else
  echo "Orthanc or ../shared/peers not available: continuing without demo archives"
fi

step "build"
npm run --silent build

step "demo data"
DEMO_ARCHIVES="$archives" npm run --silent db:seed

step "start"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
node backend/dist/main.js &
pids+=($!)
API_URL="http://127.0.0.1:$PORT" PORT="$WEB_PORT" npm run --silent start -w frontend &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$WEB_PORT/login" >/dev/null 2>&1 && break
  sleep 0.5
done
cat <<MSG

Teleread is running:
  web app   http://localhost:$WEB_PORT        (sign in with a demo login below)
  API       http://localhost:$PORT/api/docs   (OpenAPI)
  health    http://localhost:$PORT/health

MSG
node backend/dist/seed/main.js --logins
cat <<MSG

Ctrl-C stops the platform (PostgreSQL, Redis and the archives keep running).
MSG
wait -n "${pids[@]}"
