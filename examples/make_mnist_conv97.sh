#!/usr/bin/env bash
# Trains examples/mnist_conv97.pt, the >= 97 % convolutional LGN of issue 12 / 13, from mnist8k
# (8,000 real MNIST digits; see ../shared/datasets/README.md):
#
#   examples/make_mnist_conv97.sh [PATH/TO/mnist8k.npz] [OUT.pt] [CPU-SECONDS]
#
# The default conv recipe of bench/bench_train_conv.py, run 2 of its docstring (seed 1): train on
# the first 6,500 digits, keep the epoch with the best hard accuracy on the next 500, test on the
# last 1,000 (97.20 % for the shipped file; its checkpoint's config.results records it). One CPU
# thread, CPU-SECONDS (default 3600) of this process's CPU time (--clock cpu: the learning rate's
# cosine decay follows that budget, so a rerun lands on a similar, not a bit-identical, model).
# Three conv blocks of depth-3 logic-tree kernels (32 over 5x5 windows, 96 with zero padding 1
# and 288 over 3x3), each followed by 2x2 OR pooling (28 -> 24 -> 12 -> 12 -> 6 -> 4 -> 2), a
# 12,000 + 3,000 gate dense head with learnable interconnect, 10 classes of 300 outputs (tau 10),
# one threshold per pixel, +-2 px shifts. The exact passes leave 1,541 head gates; the streaming
# core counts its 3,000 GroupSum bits serially (docs/rtl-backend.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/datasets/mnist8k.npz}"
OUT="${2:-examples/mnist_conv97.pt}"
BUDGET="${3:-3600}"
LGN2HW="${LGN2HW:-.venv/bin/lgn2hw}"
"$LGN2HW" train --dataset "$DATA" --split 6500,500,1000 \
    --arch "conv(k=32,d=3,rf=5)-pool(2)-conv(k=96,d=3,rf=3,pad=1)-pool(2)-conv(k=288,d=3,rf=3)-pool(2)-dense(12000)-dense(3000)" \
    --thresholds 1 --encoding uniform --interconnect learnable --augment 2 \
    --epochs 1000 --batch-size 64 --lr 0.075 --tau 10 --time-limit "$BUDGET" --clock cpu \
    --threads 1 --seed 1 --sample 64 --out "$OUT"
