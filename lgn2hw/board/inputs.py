# SPDX-License-Identifier: MIT
"""User inputs -> the core's ``in_data`` bits, and the reference result for those bits.

``input_format`` is the core's metadata entry: ``{"kind": "bits"}`` (in_data = input bits)
or ``{"kind": "fixed", ...}`` (in_data = F fixed-point features of W bits, two's complement
when signed, feature f at bits [f*W, (f+1)*W), compared on chip with the quantized thresholds).
"""
from __future__ import annotations

import numpy as np

from .. import sim
from ..errors import LgnError
from ..ir import Netlist


def _fixed(fmt: dict):
    from ..quantize import FixedFormat
    return FixedFormat(int(fmt["width"]), int(fmt["frac_bits"]), bool(fmt["signed"]))


def to_in_data(x: np.ndarray, input_format: dict, nl: Netlist) -> np.ndarray:
    """Input bits [N, I] or real features [N, F] -> in_data bits uint8 [N, W]."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise LgnError(f"inputs must be a 2-D array [vectors, values], got shape {list(x.shape)}")
    if input_format.get("kind") == "fixed":
        ff = _fixed(input_format)
        codes = ff.quantize(x) if x.shape[1] == nl.encoder.num_features else None
        if codes is None:
            raise LgnError(f"inputs: this core takes {nl.encoder.num_features} features per vector, got {x.shape[1]}")
        unsigned = codes & ((1 << ff.width) - 1)
        bits = (unsigned[:, :, None] >> np.arange(ff.width)) & 1
        return bits.reshape(x.shape[0], -1).astype(np.uint8)
    if x.shape[1] == nl.num_inputs and np.all((x == 0) | (x == 1)):
        return x.astype(np.uint8)
    if nl.encoder is not None and x.shape[1] == nl.encoder.num_features:
        return nl.encoder.encode(x)
    raise LgnError(f"inputs: expected {nl.num_inputs} input bits per vector"
                   + (f" or {nl.encoder.num_features} features" if nl.encoder is not None else "")
                   + f", got {x.shape[1]} values")


def reference(nl: Netlist, input_format: dict, in_bits: np.ndarray) -> sim.SimResult:
    """What the core computes for in_data bits [N, W] (the golden model of the board)."""
    in_bits = np.asarray(in_bits, dtype=np.uint8)
    if input_format.get("kind") == "fixed":
        ff = _fixed(input_format)
        w = ff.width
        codes = in_bits.reshape(in_bits.shape[0], -1, w).astype(np.int64) @ (1 << np.arange(w, dtype=np.int64))
        if ff.signed:
            codes = np.where(codes >= 1 << (w - 1), codes - (1 << w), codes)
        return sim.simulate_bits(nl, ff.encode(codes, nl.encoder))
    return sim.simulate_bits(nl, in_bits)
