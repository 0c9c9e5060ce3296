#!/usr/bin/env bash
# The main job, on a fresh machine: install, get the data, 5-fold cross-validation of the
# default preset, the fold-ensemble submission, validated and scored. Safe to run again:
# finished folds (or ensemble members) are reused (--resume) and the submission rewritten;
# a run folder of other settings (an older version of the preset) is started afresh (--force).
#   PRESET=fast bash scripts/main.sh    # a quick run of another preset
#   PRESET=top bash scripts/main.sh     # an ensemble preset: the best submission (six networks:
#                                       # 103 minutes on a 2-core AMD EPYC, about half on a Xeon)
set -euo pipefail
source "$(dirname "$0")/setup_env.sh"
cd "$ROOT"
PRESET="${PRESET:-mlp}"
KM=("$PY" -m kaggle_mnist)

"${KM[@]}" prepare --data-dir data
if "$PY" -c "import sys; from kaggle_mnist.presets import ENSEMBLES; sys.exit(sys.argv[1] not in ENSEMBLES)" "$PRESET"; then
  RUN="runs/main-$PRESET"
  SUB="submissions/main-ensemble-$PRESET-seed0.csv"
  "${KM[@]}" ensemble --data-dir data --preset "$PRESET" --seed 0 --out "$RUN" --submission "$SUB" --resume --force
else
  RUN="runs/main-$PRESET"
  SUB="submissions/main-cv-$PRESET-seed0.csv"
  "${KM[@]}" cv --data-dir data --preset "$PRESET" --folds 5 --seed 0 --out "$RUN" --submission "$SUB" --resume --force
fi
"${KM[@]}" validate "$SUB" --test data/test.csv
if [ -f data/solution.csv ]; then
  "${KM[@]}" score "$SUB" --solution data/solution.csv
fi
echo
echo "data:        $ROOT/data (train.csv, test.csv, solution.csv)"
echo "run folder:  $ROOT/$RUN (report or metrics, one model per fold or member)"
echo "submission:  $ROOT/$SUB"
