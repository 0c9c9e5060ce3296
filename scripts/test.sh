#!/usr/bin/env bash
# Set up .venv if needed, then run the whole test suite (extra arguments go to pytest).
set -euo pipefail
source "$(dirname "$0")/setup_env.sh"
cd "$ROOT"
exec "$PY" -m pytest "$@"
