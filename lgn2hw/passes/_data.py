# SPDX-License-Identifier: MIT
"""Shared by the data-driven passes: activations on samples and held-out accuracy."""
from __future__ import annotations

import numpy as np

from .. import sim
from ..ir import Netlist
from . import PassData


def node_ones(nl: Netlist, bits: np.ndarray) -> np.ndarray:
    """Fraction of samples on which each node outputs 1 (float64 [N])."""
    vals = sim.simulate_packed(nl, sim.pack_bits(bits))[nl.base:]
    ones = np.unpackbits(vals.view(np.uint8), axis=1, bitorder="little")[:, : bits.shape[0]]
    return ones.mean(axis=1) if bits.shape[0] else np.zeros(nl.num_nodes)


def activations(nl: Netlist, bits: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """uint8 [hi-lo, samples]: outputs of nodes lo..hi-1 on the samples."""
    vals = sim.simulate_packed(nl, sim.pack_bits(bits))[nl.base + lo: nl.base + hi]
    return np.unpackbits(vals.view(np.uint8), axis=1, bitorder="little")[:, : bits.shape[0]]


def accuracy(nl: Netlist, data: PassData, reference: Netlist) -> dict:
    """Held-out figures: accuracy vs labels (when given) and agreement with ``reference``."""
    res = sim.simulate_bits(nl, data.bits, return_output_bits=False)
    ref = sim.simulate_bits(reference, data.bits, return_output_bits=False)
    out = {"samples": int(data.bits.shape[0]), "agreement": float(np.mean(res.classes == ref.classes))}
    if data.y is not None:
        out["accuracy"] = float(np.mean(res.classes == data.y))
        out["accuracy_before"] = float(np.mean(ref.classes == data.y))
    return out
