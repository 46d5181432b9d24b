#!/usr/bin/env bash
# Trains examples/mnist_conv.pt, the convolutional LGN of issue 12, from the mnist8k data set
# (8,000 real MNIST digits, uint8 [8000, 784]; see ../shared/datasets/README.md):
#
#   examples/make_mnist_conv.sh [PATH/TO/mnist8k.npz] [OUT.pt] [CPU-SECONDS]
#
# Train on the first 6,000 digits, choose the epoch on the hard accuracy of the next 1,000, test on
# the last 1,000. One CPU thread, CPU-SECONDS (default 600) of this process's CPU time (--clock cpu;
# the learning rate's cosine decay follows that budget, so a rerun lands on a similar, not a
# bit-identical, model). Three conv blocks of depth-3 logic-tree kernels (close to the conv LGN
# paper's MNIST layout: 16 kernels over 5x5 windows, then 48 (zero padding 1) and 144 over 3x3), each
# followed by 2x2 OR pooling (28 -> 24 -> 12 -> 12 -> 6 -> 4 -> 2), so the head reads a 144 x 2 x 2
# map; a 1,500 + 500 gate dense head with learnable interconnect, 10 classes of 50 outputs (tau 6);
# one threshold per pixel, +-2 px shifts. Every stage streams (no pooling padding), and the head
# stays small so that the streaming core fits an iCE40 UP5K (bench/bench_stream.py).
# bench/bench_train_conv.py trains the same recipe next to a dense LGN with the same budget.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/datasets/mnist8k.npz}"
OUT="${2:-examples/mnist_conv.pt}"
BUDGET="${3:-600}"
LGN2HW="${LGN2HW:-.venv/bin/lgn2hw}"
"$LGN2HW" train --dataset "$DATA" --split 6000,1000,1000 \
    --arch "conv(k=16,d=3,rf=5)-pool(2)-conv(k=48,d=3,rf=3,pad=1)-pool(2)-conv(k=144,d=3,rf=3)-pool(2)-dense(1500)-dense(500)" \
    --thresholds 1 --encoding uniform --interconnect learnable --augment 2 \
    --epochs 1000 --batch-size 64 --lr 0.075 --tau 6 --time-limit "$BUDGET" --clock cpu \
    --threads 1 --seed 0 --sample 64 --out "$OUT"
