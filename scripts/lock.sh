#!/usr/bin/env bash
# Refresh constraints.txt: install the kit with its dev extras into a fresh virtual
# environment at the newest versions its ranges allow, run the tests there, and keep
# those versions only if the tests pass. setup_env.sh (and so CI) installs with them.
#   bash scripts/lock.sh            # then commit constraints.txt
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
python3 -m venv "$TMP/venv"
"$TMP/venv/bin/python" -m pip install --quiet --upgrade pip
"$TMP/venv/bin/python" -m pip install --quiet -e "$ROOT[dev]"
(cd "$ROOT" && "$TMP/venv/bin/python" -m pytest -q -x -m "not slow")
{
  echo "# Versions the test suite passed with; written by scripts/lock.sh on $(date -u +%Y-%m-%d)."
  echo "# setup_env.sh installs with these constraints: two installs months apart are the same."
  "$TMP/venv/bin/python" -m pip freeze --exclude-editable | grep -v "^kaggle-mnist"
} > "$ROOT/constraints.txt.new"
mv "$ROOT/constraints.txt.new" "$ROOT/constraints.txt"
echo "wrote $ROOT/constraints.txt"
