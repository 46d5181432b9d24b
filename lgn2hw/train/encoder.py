# SPDX-License-Identifier: MIT
"""Thermometer encoder thresholds (the bits are computed by ``ir.Encoder``, the one definition).

Thresholds are rounded to float32 because the native checkpoint stores them as float32: the
bits the model trains on are then exactly the bits the compiled netlist sees.
"""
from __future__ import annotations

import numpy as np

from ..errors import LgnError
from ..ir import Encoder

KINDS = ("uniform", "distributive")


def thresholds(X_train: np.ndarray, num_thresholds: int, kind: str = "uniform") -> np.ndarray:
    """float64 [F, T] thresholds fitted on training features.

    ``uniform``: T evenly spaced cut points strictly inside each feature's [min, max];
    ``distributive``: the per-feature quantiles t/(T+1), so every bit is set on about the
    same share of the training data (ties in discrete features can repeat a threshold).
    """
    if num_thresholds < 1:
        raise LgnError(f"--thresholds must be at least 1, got {num_thresholds}")
    X = np.asarray(X_train, dtype=np.float64)
    q = np.arange(1, num_thresholds + 1) / (num_thresholds + 1)
    if kind == "uniform":
        lo, hi = X.min(axis=0), X.max(axis=0)
        thr = lo[:, None] + (hi - lo)[:, None] * q[None, :]
    elif kind == "distributive":
        thr = np.quantile(X, q, axis=0).T
    else:
        raise LgnError(f"unknown encoding {kind!r}; expected one of {', '.join(KINDS)}")
    return thr.astype(np.float32).astype(np.float64)


def encode(X: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """uint8 [N, F*T] input bits, exactly as the compiled netlist's encoder computes them."""
    return Encoder(np.asarray(thr, dtype=np.float64)).encode(X)
