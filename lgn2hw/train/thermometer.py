# SPDX-License-Identifier: MIT
"""Learnable thermometer thresholds (as torchlogix and the WARP paper train them).

``LearnedThermometer`` holds the thresholds [F, T] as a parameter, in units of each feature's
standard deviation on the training data (so one optimizer step moves every feature's
thresholds alike). Its forward pass is the hard thermometer bit ``x > t`` (what the compiled
encoder computes) with the gradient of ``sigmoid((x - t) / s)`` (straight-through), ``s`` a
per-feature softness from the training data's spread. ``thresholds()`` gives them as float64 of float32 values, the form the native
checkpoint stores, and the trainer encodes its validation and test data with exactly those.

``collapse(X, thr)`` counts features whose thermometer bits repeat or never change on the
training data (on MNIST the distributive encoding gives most background pixels identical bits).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class LearnedThermometer(nn.Module):
    def __init__(self, thresholds: np.ndarray, X_train: np.ndarray, softness: float = 0.1):
        super().__init__()
        thr = np.asarray(thresholds, dtype=np.float64)
        std = np.asarray(X_train, dtype=np.float64).std(axis=0)
        std = np.where(std > 0, std, 1.0)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32)[:, None])
        self.softness = float(softness)
        self.thresholds_ = nn.Parameter(torch.tensor(thr / std[:, None], dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """float [B, F] features -> [B, F*T] bits (feature-major, as ``ir.Encoder``)."""
        t = self.thresholds_ * self.std
        soft = torch.sigmoid((x[:, :, None] - t) / (self.std * self.softness))
        hard = (x[:, :, None] > t).to(soft.dtype)
        return (soft + (hard - soft).detach()).reshape(x.shape[0], -1)

    def thresholds(self) -> np.ndarray:
        """float64 [F, T]: the learned thresholds, rounded to float32 (the checkpoint's storage)."""
        t = (self.thresholds_ * self.std).detach()
        return t.cpu().numpy().astype(np.float32).astype(np.float64)


def collapse(X_train: np.ndarray, thr: np.ndarray, chunk: int = 256) -> tuple[int, int]:
    """(features with a repeated or constant thermometer bit, bits that add nothing) on ``X_train``.

    A bit adds nothing when it is constant over the data or equals another bit of its feature
    (thermometer bits of one feature are nested, so equal columns have equal counts).
    """
    X = np.asarray(X_train, dtype=np.float64)
    thr = np.asarray(thr, dtype=np.float64)
    n, t = X.shape[0], thr.shape[1]
    counts = np.zeros(thr.shape, dtype=np.int64)
    for lo in range(0, n, chunk):
        counts += (X[lo:lo + chunk, :, None] > thr[None]).sum(axis=0)
    s = np.sort(counts, axis=1)
    new = np.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    distinct = (new & (s > 0) & (s < n)).sum(axis=1)  # a constant bit carries nothing
    wasted = t - distinct
    return int(np.count_nonzero(wasted)), int(wasted.sum())
