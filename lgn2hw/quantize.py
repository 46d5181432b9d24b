# SPDX-License-Identifier: MIT
"""Fixed-point inputs for the on-chip thermometer encoder, modelled exactly.

A feature travels as a ``width``-bit integer q = round(x * 2**frac_bits), saturated to the
format's range (two's complement when ``signed``). The hardware compares q against integer
thresholds T = floor(t * 2**frac_bits): for an integer q, ``q > T`` holds exactly when
``q / 2**frac_bits > t``, so ``encode(q)`` equals the float encoder applied to the
dequantized features and the reference simulator stays bit-exact with the hardware.
Only the rounding of x into q is a change of the function, and ``quantize`` defines it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LgnError
from .ir import Encoder


@dataclass(frozen=True)
class FixedFormat:
    width: int
    frac_bits: int
    signed: bool

    def __post_init__(self):
        if not 1 <= self.width <= 48:
            raise LgnError(f"input width {self.width}: expected 1..48 bits")
        if self.frac_bits < 0:
            raise LgnError(f"fractional bits {self.frac_bits}: expected >= 0")

    @property
    def lo(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def scale(self) -> float:
        return float(2 ** self.frac_bits)

    @classmethod
    def for_encoder(cls, encoder: Encoder | None, width: int, frac_bits: int | None = None,
                    signed: bool | None = None) -> "FixedFormat":
        """The format for ``encoder``'s features; unset fields are chosen so that every
        threshold is inside the range with as many fractional bits as possible."""
        if encoder is None:
            raise LgnError("the on-chip encoder needs a model with a thermometer encoder (this one takes bits)")
        thr = encoder.thresholds
        if signed is None:
            signed = bool(thr.size and thr.min() < 0)
        if frac_bits is None:
            mag = float(np.abs(thr).max()) if thr.size else 0.0
            int_bits = int(np.floor(np.log2(mag))) + 1 if mag >= 1 else 0
            frac_bits = max(0, width - int(signed) - int_bits)
        return cls(int(width), int(frac_bits), bool(signed))

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Features (float) -> int64 fixed-point codes: round half up, saturate."""
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise LgnError("features contain NaN or infinity")
        q = np.floor(x * self.scale + 0.5)
        return np.clip(q, self.lo, self.hi).astype(np.int64)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, dtype=np.float64) / self.scale

    def thresholds(self, encoder: Encoder) -> np.ndarray:
        """int64 [F, T]: bit = q > T; clipped to lo-1 (always 1) .. hi (always 0)."""
        t = np.floor(encoder.thresholds * self.scale)
        return np.clip(t, self.lo - 1, self.hi).astype(np.int64)

    def encode(self, q: np.ndarray, encoder: Encoder) -> np.ndarray:
        """The hardware encoder's bits (uint8 [N, F*T]) for fixed-point codes q [N, F]."""
        q = np.asarray(q, dtype=np.int64)
        if q.ndim != 2 or q.shape[1] != encoder.num_features:
            raise LgnError(f"fixed-point features must be [N, {encoder.num_features}], got {list(q.shape)}")
        if q.size and (q.min() < self.lo or q.max() > self.hi):
            raise LgnError(f"fixed-point features outside {self.lo}..{self.hi} for a {self.width}-bit format")
        t = self.thresholds(encoder)
        return (q[:, :, None] > t[None]).reshape(q.shape[0], -1).astype(np.uint8)

    def metadata(self, num_features: int) -> dict:
        return {"kind": "fixed", "features": int(num_features), "width": self.width,
                "frac_bits": self.frac_bits, "signed": self.signed}
