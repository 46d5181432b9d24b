# SPDX-License-Identifier: MIT
"""lgn2hw's own checkpoint format (see docs/checkpoint-format.md).

A ``torch.save``d dict that loads with ``weights_only=True``::

    {"format": "lgn2hw", "version": 1,
     "num_inputs": I,                                  # input bits
     "encoder": {"thresholds": float [F, T]} | None,   # thermometer; F*T == I
     "layers": [layer, ...],                           # in order; layer 0 reads the input bits
     "classes": C, "tau": float,
     "config": {...},                                  # optional: architecture / training config
     "data": {"X": float [N, F] | "bits": uint8 [N, I], "y": int [N]}}   # optional samples

    layer = {"arity": k,                               # 2 for logic gates, up to 6 for LUTs
             # wiring (indices into the previous layer's outputs), one of:
             "indices": int [G, k]
             | "candidates": int [G, k, Cand], "candidate_weights": float [G, k, Cand],  # argmax over Cand
             # function, one of:
             "ops": int [G]                            # truth tables (k = 2: difflogic op id)
             | "logits": float [G, 2**k ... ] }        # k = 2: [G, 16] op logits, argmax
                                                       # k > 2: [G, 2**k] LUT entries, bit = value > 0
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import CheckpointError
from ..ir import Encoder, Netlist
from . import Imported, to_numpy

FORMAT = "lgn2hw"
VERSION = 1


def matches(obj) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def layer_tables(layer: dict, k: int, path, where: str) -> np.ndarray:
    """Hard truth tables of one layer (uint64 [G])."""
    if "ops" in layer:
        t = to_numpy(layer["ops"], path, f"{where}.ops", ndim=1)
        if not np.issubdtype(t.dtype, np.integer):
            raise CheckpointError(path, f"{where}.ops: expected integers, got {t.dtype}")
        if t.size and (t.min() < 0 or t.max() > int(ops.full_mask(k))):
            raise CheckpointError(path, f"{where}.ops: truth tables must be in 0..{int(ops.full_mask(k))}")
        return t.astype(np.uint64)
    if "logits" in layer:
        lg = to_numpy(layer["logits"], path, f"{where}.logits", dtype=np.float64, ndim=2)
        if not np.all(np.isfinite(lg)):
            raise CheckpointError(path, f"{where}.logits: contains NaN or infinity")
        if k == 2:
            if lg.shape[1] != 16:
                raise CheckpointError(path, f"{where}.logits: expected [G, 16] op logits, got {list(lg.shape)}")
            return np.argmax(lg, axis=1).astype(np.uint64)
        if lg.shape[1] != 1 << k:
            raise CheckpointError(path, f"{where}.logits: expected [G, {1 << k}] LUT entries, got {list(lg.shape)}")
        return ops.bits_table((lg > 0).astype(np.uint8), k)
    raise CheckpointError(path, f"{where}: needs 'ops' or 'logits'")


def layer_indices(layer: dict, k: int, g: int, fan_in: int, path, where: str) -> np.ndarray:
    """Resolved wiring of one layer (int64 [G, k]) into the previous layer's outputs."""
    if "indices" in layer:
        idx = to_numpy(layer["indices"], path, f"{where}.indices", ndim=2)
    elif "candidates" in layer:
        cand = to_numpy(layer["candidates"], path, f"{where}.candidates", ndim=3)
        w = to_numpy(layer.get("candidate_weights"), path, f"{where}.candidate_weights", dtype=np.float64, ndim=3)
        if cand.shape != w.shape:
            raise CheckpointError(path, f"{where}: candidates {list(cand.shape)} and weights {list(w.shape)} differ")
        if not np.all(np.isfinite(w)):
            raise CheckpointError(path, f"{where}.candidate_weights: contains NaN or infinity")
        idx = np.take_along_axis(cand, np.argmax(w, axis=2)[:, :, None], axis=2)[:, :, 0]
    else:
        raise CheckpointError(path, f"{where}: needs 'indices' or 'candidates'")
    if not np.issubdtype(idx.dtype, np.integer):
        raise CheckpointError(path, f"{where}: wiring indices must be integers, got {idx.dtype}")
    if idx.shape != (g, k):
        raise CheckpointError(path, f"{where}: wiring shape {list(idx.shape)}, expected [{g}, {k}]")
    if idx.size and (idx.min() < 0 or idx.max() >= fan_in):
        bad = int(np.argwhere((idx < 0) | (idx >= fan_in))[0][0])
        raise CheckpointError(path, f"{where}: gate {bad} reads index {int(idx[bad].max() if idx[bad].max() >= fan_in else idx[bad].min())}, "
                                    f"expected 0..{fan_in - 1} (the previous layer has {fan_in} outputs)")
    return idx.astype(np.int64)


def convert(obj: dict, path, **_options) -> Imported:
    version = obj.get("version")
    if version != VERSION:
        raise CheckpointError(path, f"lgn2hw checkpoint version {version!r}, this lgn2hw reads {VERSION}")
    for key in ("num_inputs", "layers", "classes"):
        if key not in obj:
            raise CheckpointError(path, f"missing key {key!r}")
    num_inputs = int(obj["num_inputs"])
    layers = obj["layers"]
    if not isinstance(layers, (list, tuple)) or not layers:
        raise CheckpointError(path, "'layers' must be a non-empty list")
    arities = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise CheckpointError(path, f"layers[{i}]: expected a dict, got {type(layer).__name__}")
        k = int(layer.get("arity", 2))
        if not 1 <= k <= ops.MAX_ARITY:
            raise CheckpointError(path, f"layers[{i}].arity: {k}, expected 1..{ops.MAX_ARITY}")
        arities.append(k)
    arity = max(arities)

    base = 2 + num_inputs
    prev = np.arange(2, base, dtype=np.int64)
    all_tables, all_fanin, all_levels = [], [], []
    next_id = base
    for i, (layer, k) in enumerate(zip(layers, arities)):
        where = f"layers[{i}]"
        tables = layer_tables(layer, k, path, where)
        idx = layer_indices(layer, k, tables.shape[0], prev.shape[0], path, where)
        if k < arity:
            tables = ops.widen(tables, k, arity)
            idx = np.concatenate([idx, np.zeros((idx.shape[0], arity - k), np.int64)], axis=1)
            fan = prev[idx]
            fan[:, k:] = 0  # unused slots read constant 0
        else:
            fan = prev[idx]
        all_tables.append(tables)
        all_fanin.append(fan)
        all_levels.append(np.full(tables.shape[0], i + 1, np.int32))
        prev = np.arange(next_id, next_id + tables.shape[0], dtype=np.int64)
        next_id += tables.shape[0]

    classes = int(obj["classes"])
    if classes < 1 or prev.shape[0] % classes:
        raise CheckpointError(path, f"classes={classes} does not divide the last layer's {prev.shape[0]} outputs")
    encoder = None
    enc = obj.get("encoder")
    if enc is not None:
        thr = to_numpy(enc.get("thresholds") if isinstance(enc, dict) else None, path,
                       "encoder.thresholds", dtype=np.float64, ndim=2)
        if thr.shape[0] * thr.shape[1] != num_inputs:
            raise CheckpointError(path, f"encoder.thresholds {list(thr.shape)} make {thr.size} bits, num_inputs is {num_inputs}")
        if not np.all(np.isfinite(thr)):
            raise CheckpointError(path, "encoder.thresholds: contains NaN or infinity")
        encoder = Encoder(thr)
    nl = Netlist.build(num_inputs, arity, np.concatenate(all_tables), np.concatenate(all_fanin), prev,
                       classes, encoder=encoder, tau=float(obj.get("tau", 1.0)),
                       levels=np.concatenate(all_levels) if arity == max(arities) and len(set(arities)) == 1 else None)
    data = {}
    for key, value in (obj.get("data") or {}).items():
        data[key] = to_numpy(value, path, f"data.{key}")
    return Imported(nl, "native", data=data, config=dict(obj.get("config") or {}))


def make_checkpoint(num_inputs: int, layers: list[dict], classes: int, tau: float = 1.0,
                    thresholds=None, config: dict | None = None, data: dict | None = None) -> dict:
    """The dict to ``torch.save`` (tensors are converted from numpy)."""
    import torch

    def t(v):
        return torch.as_tensor(np.asarray(v)) if isinstance(v, np.ndarray) else v

    ck = {"format": FORMAT, "version": VERSION, "num_inputs": int(num_inputs),
          "encoder": None if thresholds is None else {"thresholds": t(np.asarray(thresholds, np.float32))},
          "layers": [{key: t(v) for key, v in layer.items()} for layer in layers],
          "classes": int(classes), "tau": float(tau), "config": config or {}}
    if data:
        ck["data"] = {key: t(v) for key, v in data.items()}
    return ck
