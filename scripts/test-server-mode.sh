#!/usr/bin/env bash
# The retrieval, chat, admin and guard tests again, against a real Chroma server and a real PostgreSQL
# (started here on loopback, stopped on exit).   scripts/test-server-mode.sh [pytest args]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
trap 'scripts/services.sh stop' EXIT
scripts/services.sh start
eval "$(scripts/services.sh env)"
export ASSISTANT_CHROMA_URL SFA_TEST_POSTGRES_URL
# Its own data folder (seeded with the embedding cache, so nothing is embedded twice): data/ stays embedded-mode.
export SFA_TEST_DATA_DIR="${SFA_SERVICES_DIR:-/tmp/sfa-services}/data"
mkdir -p "$SFA_TEST_DATA_DIR"
cp data/embedding-cache.sqlite3 "$SFA_TEST_DATA_DIR/" 2>/dev/null || true
.venv/bin/python -m pytest -q tests/test_retrieval.py tests/test_chat.py tests/test_admin.py tests/test_guards.py \
  tests/test_index.py tests/test_scale.py tests/test_outages.py "$@"
