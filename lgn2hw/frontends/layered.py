# SPDX-License-Identifier: MIT
"""Shared by the peer-library frontends: a stack of resolved layers -> ``Netlist``.

Every peer format ends up as: input bits, then layers of k-input nodes whose fan-ins index the
previous layer's outputs, then GroupSum over the last layer. The frontends only resolve their
parametrization (op logits, Walsh coefficients, LUT entries, candidate wiring) into a ``Layer``;
this module checks that the layers chain, widens narrower layers to the netlist's single
arity (unused fan-in slots read constant 0) and builds the netlist.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import limits, ops
from ..errors import CheckpointError
from ..limits import whole_number
from ..ir import Encoder, Netlist


@dataclass(frozen=True)
class Layer:
    """One resolved layer: ``tables`` uint64 [G] in lgn2hw's convention (input 0 is the MSB
    address bit), ``wiring`` int [G, k] into the previous layer's outputs (the input bits for
    the first layer). ``name`` names it in error messages (a module path or state_dict key)."""

    tables: np.ndarray
    wiring: np.ndarray
    name: str

    @property
    def arity(self) -> int:
        return int(self.wiring.shape[1])


def unsupported_module(path, name: str, rec, supported: str) -> CheckpointError:
    """The error for a module in a model that lgn2hw cannot compile."""
    return CheckpointError(path, f"module {name!r} is a {rec.qualname}, which lgn2hw cannot compile ({supported})")


def finite(arr: np.ndarray, path, key: str) -> np.ndarray:
    if arr.size and not np.all(np.isfinite(arr)):
        raise CheckpointError(path, f"{key}: contains NaN or infinity")
    return arr


def integer(arr: np.ndarray, path, key: str) -> np.ndarray:
    if not np.issubdtype(arr.dtype, np.integer):
        raise CheckpointError(path, f"{key}: expected integer indices, got {arr.dtype}")
    return arr.astype(np.int64)


def thermometer(thresholds: np.ndarray, num_inputs: int, path, key: str) -> Encoder:
    """Encoder from per-feature thresholds [F, T] or global thresholds [T] (bit f*T + t)."""
    thr = finite(np.asarray(thresholds, dtype=np.float64), path, key)
    if thr.ndim == 1 and thr.size and num_inputs % thr.size == 0:
        thr = np.tile(thr, (num_inputs // thr.size, 1))
    if thr.ndim != 2 or thr.size != num_inputs:
        raise CheckpointError(path, f"{key}: thresholds of shape {list(np.shape(thresholds))} make "
                                    f"{thr.size} bits, but the first layer reads {num_inputs}")
    return Encoder(thr)


def build(path, num_inputs: int, layers: list[Layer], classes, *, tau: float = 1.0,
          encoder: Encoder | None = None, pad_groups: bool = False,
          output_order: np.ndarray | None = None, provenance: dict | None = None, where: str = "") -> Netlist:
    """Check that the layers chain and build the netlist (one level per layer).

    ``pad_groups``: GroupSum zero-pads the last layer to a multiple of ``classes`` (torch_dwn);
    otherwise the count must divide. ``output_order``: a permutation applied to the last
    layer's outputs before grouping. ``where`` prefixes the names of num_inputs/classes/tau
    in messages (e.g. "config.").
    """
    if not layers:
        raise CheckpointError(path, "no logic layers found")
    if classes is None:
        raise CheckpointError(path, "the number of classes (GroupSum k) is not stored in this checkpoint; "
                                    "pass it with --classes")
    num_inputs = whole_number(num_inputs, f"{where}num_inputs", path, 0, limits.MAX_INPUTS, CheckpointError)
    classes = whole_number(classes, f"{where}classes (GroupSum k)", path, 1, limits.MAX_CLASSES, CheckpointError)
    if isinstance(tau, bool) or not isinstance(tau, (int, float, np.number)) or not np.isfinite(tau) or tau <= 0:
        raise CheckpointError(path, f"{where}tau: expected a positive number, got {str(tau)[:40]!r}")
    arity = max(layer.arity for layer in layers)
    width, base, next_id = num_inputs, 2, 2 + num_inputs
    tables, fanin, levels = [], [], []
    for depth, layer in enumerate(layers, start=1):
        g, k = layer.wiring.shape
        if layer.tables.shape != (g,):
            raise CheckpointError(path, f"{layer.name}: {layer.tables.shape[0]} truth tables but wiring for {g} gates")
        if not 1 <= k <= ops.MAX_ARITY:
            raise CheckpointError(path, f"{layer.name}: {k} inputs per node, expected 1..{ops.MAX_ARITY}")
        bad = (layer.wiring < 0) | (layer.wiring >= width)
        if bad.any():
            gate, slot = (int(v) for v in np.argwhere(bad)[0])
            raise CheckpointError(path, f"{layer.name}: gate {gate} input {slot} reads index "
                                        f"{int(layer.wiring[gate, slot])}, expected 0..{width - 1} "
                                        f"(the previous layer has {width} outputs)")
        fan = np.zeros((g, arity), dtype=np.int64)
        fan[:, :k] = base + layer.wiring  # slots >= k stay at constant 0
        tables.append(layer.tables if k == arity else ops.widen(layer.tables, k, arity))
        fanin.append(fan)
        levels.append(np.full(g, depth, dtype=np.int32))
        base, width, next_id = next_id, g, next_id + g
    outputs = np.arange(base, base + width, dtype=np.int64)
    if output_order is not None:
        order = np.asarray(output_order, dtype=np.int64).reshape(-1)
        if np.sort(order).tolist() != list(range(width)):
            raise CheckpointError(path, f"GroupSum permutation is not a permutation of the {width} outputs")
        outputs = outputs[order]
    if width % classes:
        if not pad_groups:
            raise CheckpointError(path, f"GroupSum k={classes} does not divide the last layer's {width} outputs")
        outputs = np.concatenate([outputs, np.zeros(classes - width % classes, dtype=np.int64)])
    return Netlist.build(int(num_inputs), arity, np.concatenate(tables), np.concatenate(fanin), outputs,
                         classes, encoder=encoder, tau=float(tau), provenance=provenance,
                         levels=np.concatenate(levels))


def lut_tables(bits: np.ndarray, k: int, lsb_first: bool = False) -> np.ndarray:
    """uint64 tables from truth-table rows [G, 2**k] (column = address).

    ``lsb_first``: the row's address has input 0 as its least significant bit (torch_dwn).
    """
    tables = ops.bits_table(np.asarray(bits, dtype=np.uint8), k)
    return ops.from_lsb_first(tables, k) if lsb_first and k > 1 else tables
