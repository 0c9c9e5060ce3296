#!/usr/bin/env bash
# The main job, on a fresh machine: install, get the data, 5-fold cross-validation of the
# default preset, the fold-ensemble submission, validated and scored. Safe to run again:
# finished folds are reused (--resume) and the submission is rewritten.
#   PRESET=fast bash scripts/main.sh    # a quick run of another preset
set -euo pipefail
source "$(dirname "$0")/setup_env.sh"
cd "$ROOT"
PRESET="${PRESET:-mlp}"
RUN="runs/main-$PRESET"
SUB="submissions/main-cv-$PRESET-seed0.csv"
KM=("$PY" -m kaggle_mnist)

"${KM[@]}" prepare --data-dir data
"${KM[@]}" cv --data-dir data --preset "$PRESET" --folds 5 --seed 0 \
  --out "$RUN" --submission "$SUB" --resume --force
"${KM[@]}" validate "$SUB" --test data/test.csv
if [ -f data/solution.csv ]; then
  "${KM[@]}" score "$SUB" --solution data/solution.csv
fi
echo
echo "data:        $ROOT/data (train.csv, test.csv, solution.csv)"
echo "run folder:  $ROOT/$RUN (report.md, metrics.json, figures, one model per fold)"
echo "submission:  $ROOT/$SUB"
