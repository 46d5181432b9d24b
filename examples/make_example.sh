#!/usr/bin/env bash
# Regenerates examples/digits.pt, the model the README, the tests and CI compile.
# Small on purpose (3 x 500 gates on 64 x 3 thermometer bits) so CI can simulate and
# synthesize it; learnable interconnect with gradient-guided gate sampling.
set -euo pipefail
cd "$(dirname "$0")/.."
LGN2HW="${LGN2HW:-.venv/bin/lgn2hw}"
"$LGN2HW" train --dataset digits --layers 3 --width 500 --thresholds 3 --interconnect learnable \
    --sampling gradient --epochs 60 --seed 0 --quiet --out examples/digits.pt
