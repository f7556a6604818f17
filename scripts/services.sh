#!/usr/bin/env bash
# A Chroma server and a PostgreSQL server on loopback, for the server-mode test run and for trying the scale-out
# setup on one machine.   scripts/services.sh start|stop|env
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user (Debian's package
# creates it). Everything lives under $SFA_SERVICES_DIR (default /tmp/sfa-services) and is thrown away on stop.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${SFA_SERVICES_DIR:-/tmp/sfa-services}
CHROMA_PORT=${SFA_CHROMA_PORT:-18001}
PG_PORT=${SFA_PG_PORT:-55432}
CHROMA=${CHROMA:-$ROOT/.venv/bin/chroma}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

print_env() {
  echo "export ASSISTANT_CHROMA_URL=http://127.0.0.1:$CHROMA_PORT"
  echo "export SFA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
}

start() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] || { echo "services.sh: PostgreSQL is not installed (make system-deps installs it)" >&2; exit 1; }
  stop >/dev/null 2>&1 || true
  mkdir -p "$RUN/pg"
  chmod 755 "$RUN"
  [ "$(id -u)" = 0 ] && chown postgres "$RUN/pg"
  as_pg "$bin/initdb" -D "$RUN/pg/data" -A trust -U postgres --no-sync >"$RUN/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$RUN/pg/data" -l "$RUN/pg/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $RUN/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null

  "$CHROMA" run --path "$RUN/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" >"$RUN/chroma.log" 2>&1 &
  echo $! >"$RUN/chroma.pid"
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" >/dev/null || {
    echo "services.sh: chroma did not start; see $RUN/chroma.log" >&2; exit 1; }
  echo "services.sh: PostgreSQL on 127.0.0.1:$PG_PORT, Chroma on 127.0.0.1:$CHROMA_PORT" >&2
}

stop() {
  if [ -f "$RUN/chroma.pid" ]; then kill "$(cat "$RUN/chroma.pid")" 2>/dev/null || true; rm -f "$RUN/chroma.pid"; fi
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -d "$RUN/pg/data" ]; then as_pg "$bin/pg_ctl" -D "$RUN/pg/data" -m fast -w stop >/dev/null || true; fi
  rm -rf "$RUN"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: scripts/services.sh start|stop|env" >&2; exit 2 ;;
esac
