#!/usr/bin/env bash
# Compiles examples/mnist_conv97.pt into a streaming conv core for an iCE40 UP5K at 50 MHz, its
# dense head pruned on the digits it was trained on, and tests the pruned model:
#
#   examples/compile_mnist_conv97_up5k.sh [PATH/TO/mnist8k.npz] [OUT-FOLDER]
#
# The exact passes, greedy-prune (threshold 0.9: a head gate that takes one value on at least 90 %
# of the first 6,500 mnist8k digits, the model's training split, becomes that constant;
# docs/conv.md), the exact passes again; no register inside the kernels or the head
# (--pipeline-every 0 --adder-stages 0), yosys and nextpnr for the UP5K. Then `predict` runs the
# pruned model (OUT/netlist.npz, what the core computes) on the last 1,000 digits, which neither
# training nor pruning saw. Measured (stop 27): 1,350 head
# gates, 97.10 %, 4,448 of 5,280 logic cells, 51.2 MHz (unpruned: 97.20 %, 4,654 cells, 49.5 MHz).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/datasets/mnist8k.npz}"
OUT="${2:-build/mnist_conv97_up5k}"
PYTHON="${PYTHON:-.venv/bin/python}"
LGN2HW="${LGN2HW:-.venv/bin/lgn2hw}"
SPLITS="$OUT.data"
mkdir -p "$SPLITS"
"$PYTHON" - "$DATA" "$SPLITS" <<'PY'
import sys
import numpy as np
with np.load(sys.argv[1]) as d:
    X, y = d["X"].reshape(-1, 1, 28, 28).astype(np.float32), d["y"]
np.savez(f"{sys.argv[2]}/train.npz", X=X[:6500], y=y[:6500])
np.savez(f"{sys.argv[2]}/test.npz", X=X[-1000:], y=y[-1000:])
PY
EXACT="const-fold,wire-collapse,strash,sat-sweep,dce"
"$LGN2HW" compile examples/mnist_conv97.pt --out "$OUT" \
    --passes "$EXACT,greedy-prune{threshold=0.9},$EXACT" --data "$SPLITS/train.npz" \
    --pipeline-every 0 --adder-stages 0 --target ice40 --device up5k --clock 50
"$LGN2HW" predict "$OUT/netlist.npz" --inputs "$SPLITS/test.npz" --out "$SPLITS/test_predictions.npz"
