#!/usr/bin/env bash
# Trains examples/mnist_conv.pt, the convolutional LGN of issue 12, from the mnist8k data set
# (8,000 real MNIST digits, uint8 [8000, 784]; see ../shared/datasets/README.md):
#
#   examples/make_mnist_conv.sh [PATH/TO/mnist8k.npz] [OUT.pt]
#
# Train on the first 6,000 digits, choose the epoch on the hard accuracy of the next 1,000, test on
# the last 1,000. One CPU thread, one hour of this process's CPU time (--clock cpu; the learning
# rate's cosine decay follows that budget, so a rerun lands on a similar, not a bit-identical,
# model). Two conv blocks of depth-3 logic-tree kernels (16 and 32 kernels, 3x3 windows, zero
# padding) each followed by 2x2 OR pooling, a 2,000 + 1,000 gate dense head with learnable
# interconnect, 10 classes of 100 outputs; 3 uniform thresholds per pixel, +-2 px shifts.
# bench/bench_train_conv.py trains the same recipe next to a dense LGN with the same budget.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/datasets/mnist8k.npz}"
OUT="${2:-examples/mnist_conv.pt}"
LGN2HW="${LGN2HW:-.venv/bin/lgn2hw}"
"$LGN2HW" train --dataset "$DATA" --split 6000,1000,1000 \
    --arch "conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32,d=3,rf=3,pad=1)-pool(2)-dense(2000)-dense(1000)" \
    --thresholds 3 --encoding uniform --interconnect learnable --augment 2 \
    --epochs 1000 --batch-size 64 --lr 0.075 --tau 10 --time-limit 3600 --clock cpu \
    --threads 1 --seed 0 --sample 64 --out "$OUT"
