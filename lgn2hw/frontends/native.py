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

from .. import limits, ops
from ..errors import CheckpointError
from ..ir import Encoder, Netlist, NetlistError
from ..limits import whole_number
from . import Imported, to_numpy

FORMAT = "lgn2hw"
VERSION = 1
CONV_VERSION = 2  # kind "conv"


def matches(obj) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def layer_tables(layer: dict, k: int, path, where: str) -> np.ndarray:
    """Hard truth tables of one layer (uint64 [G])."""
    if "ops" in layer and "logits" in layer:
        raise CheckpointError(path, f"{where}: has both 'ops' and 'logits'; give one (which would win is not defined)")
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


def layers_netlist(layers, num_inputs: int, classes: int, path, where: str = "layers",
                   tau: float = 1.0, encoder: Encoder | None = None) -> Netlist:
    """A netlist from layer dicts: layer 0 reads the ``num_inputs`` bits, layer l layer l-1."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise CheckpointError(path, f"'{where}' must be a non-empty list")
    arities = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise CheckpointError(path, f"{where}[{i}]: expected a dict, got {type(layer).__name__}")
        k = whole_number(layer.get("arity", 2), f"{where}[{i}].arity", path, 1, ops.MAX_ARITY, CheckpointError)
        arities.append(k)
    arity = max(arities)

    base = 2 + num_inputs
    prev = np.arange(2, base, dtype=np.int64)
    all_tables, all_fanin, all_levels = [], [], []
    next_id = base
    for i, (layer, k) in enumerate(zip(layers, arities)):
        at = f"{where}[{i}]"
        tables = layer_tables(layer, k, path, at)
        idx = layer_indices(layer, k, tables.shape[0], prev.shape[0], path, at)
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

    if classes < 1 or prev.shape[0] % classes:
        raise CheckpointError(path, f"classes={classes} does not divide the last layer's {prev.shape[0]} outputs"
                              + ("" if where == "layers" else f" ({where})"))
    return Netlist.build(num_inputs, arity, np.concatenate(all_tables), np.concatenate(all_fanin), prev,
                         classes, encoder=encoder, tau=tau,
                         levels=np.concatenate(all_levels) if len(set(arities)) == 1 else None)


def convert(obj: dict, path, **_options) -> Imported:
    version = obj.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(path, f"version: expected an integer, got {type(version).__name__}")
    if version == CONV_VERSION and obj.get("kind") == "conv":
        return convert_conv(obj, path)
    if version != VERSION:
        raise CheckpointError(path, f"lgn2hw checkpoint version {version!r}, this lgn2hw reads {VERSION} "
                                    f"(dense) and {CONV_VERSION} (kind 'conv')")
    for key in ("num_inputs", "layers", "classes"):
        if key not in obj:
            raise CheckpointError(path, f"missing key {key!r}")
    _check_common(obj, path)
    num_inputs = whole_number(obj["num_inputs"], "num_inputs", path, 0, limits.MAX_INPUTS, CheckpointError)
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
    nl = layers_netlist(obj["layers"], num_inputs, _classes(obj, path), path, tau=_tau(obj, path),
                        encoder=encoder)
    return Imported(nl, "native", data=_data(obj, path), config=dict(obj.get("config") or {}))


def _check_common(obj: dict, path) -> None:
    for key in ("config", "data", "encoder"):
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            raise CheckpointError(path, f"{key!r}: expected a dict, got {type(obj[key]).__name__}")


def _classes(obj: dict, path) -> int:
    return whole_number(obj["classes"], "classes", path, 1, limits.MAX_CLASSES, CheckpointError)


def _tau(obj: dict, path) -> float:
    tau = obj.get("tau", 1.0)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not np.isfinite(tau) or tau <= 0:
        raise CheckpointError(path, f"tau: expected a positive number, got {tau!r}"[:200])
    return float(tau)


def _data(obj: dict, path) -> dict:
    data = {}
    for key, value in (obj.get("data") or {}).items():
        data[key] = to_numpy(value, path, f"data.{key}")
    return data


def _int(value, path, key: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < lo:
        raise CheckpointError(path, f"{key}: expected an integer >= {lo}, got {value!r}")
    return int(value)


def convert_conv(obj: dict, path) -> Imported:
    """Version 2, kind 'conv': an image encoder, conv/pool stages and a dense head (docs/checkpoint-format.md)."""
    from ..conv import ConvBlock, ConvModel, OrPool

    for key in ("in_shape", "stages", "layers", "classes"):
        if key not in obj:
            raise CheckpointError(path, f"missing key {key!r}")
    _check_common(obj, path)
    shape = obj["in_shape"]
    if not isinstance(shape, (list, tuple)) or len(shape) != 3:
        raise CheckpointError(path, f"in_shape: expected [C, H, W], got {shape!r}")
    c, h, w = (_int(v, path, "in_shape", 1) for v in shape)
    thr = None
    if obj.get("thresholds") is not None:
        thr = to_numpy(obj["thresholds"], path, "thresholds", dtype=np.float64, ndim=2)
        if thr.shape[0] != c:
            raise CheckpointError(path, f"thresholds: expected [{c}, T] (one row per input channel), got {list(thr.shape)}")
        if not np.all(np.isfinite(thr)):
            raise CheckpointError(path, "thresholds: contains NaN or infinity")
    limits.check_elements(c * h * w * (1 if thr is None else thr.shape[1]), "in_shape x thresholds: input bits",
                          path, CheckpointError, limits.MAX_INPUTS)
    if not isinstance(obj["stages"], (list, tuple)) or not obj["stages"]:
        raise CheckpointError(path, "'stages' must be a non-empty list")
    channels, hh, ww = c * (1 if thr is None else thr.shape[1]), h, w
    stages = []
    for i, st in enumerate(obj["stages"]):
        where = f"stages[{i}]"
        if not isinstance(st, dict) or st.get("type") not in ("conv", "pool"):
            raise CheckpointError(path, f"{where}: expected a dict with type 'conv' or 'pool'")
        if st["type"] == "conv":
            rf = _int(st.get("rf"), path, f"{where}.rf", 1)
            kern = layers_netlist(st.get("layers"), rf * rf * channels, 1, path, f"{where}.layers")
            stage = ConvBlock(kern, rf, _int(st.get("stride", 1), path, f"{where}.stride", 1),
                              _int(st.get("padding", 0), path, f"{where}.padding"))
        else:
            k = _int(st.get("kernel"), path, f"{where}.kernel", 1)
            stride = st.get("stride")
            stage = OrPool(k, None if stride is None else _int(stride, path, f"{where}.stride", 1),
                           _int(st.get("padding", 0), path, f"{where}.padding"))
        channels, hh, ww = stage.out_shape((channels, hh, ww))
        if hh < 1 or ww < 1:
            raise CheckpointError(path, f"{where}: {stage.describe()} leaves an empty {hh}x{ww} map")
        stages.append(stage)
    head = layers_netlist(obj["layers"], channels * hh * ww, _classes(obj, path), path, tau=_tau(obj, path))
    try:
        model = ConvModel((c, h, w), thr, tuple(stages), head)
    except NetlistError as e:
        raise CheckpointError(path, str(e)) from None
    return Imported(model.unroll(), "native", data=_data(obj, path), config=dict(obj.get("config") or {}),
                    conv=model)


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


def make_conv_checkpoint(in_shape, thresholds, stages: list[dict], head_layers: list[dict], classes: int,
                         tau: float = 1.0, config: dict | None = None, data: dict | None = None) -> dict:
    """The dict to ``torch.save`` for a conv model (version 2, kind 'conv').

    ``stages``: ``{"type": "conv", "rf", "stride", "padding", "layers": [layer, ...]}`` (layer 0
    indexes the window bits ``(dy*rf + dx)*Cin + c``, the last layer's outputs are the kernels)
    or ``{"type": "pool", "kernel", "stride", "padding"}``; ``head_layers`` read the flattened
    last map (``k*H*W + y*W + x``).
    """
    import torch

    def t(v):
        return torch.as_tensor(np.asarray(v)) if isinstance(v, np.ndarray) else v

    def layer(lay):
        return {key: t(v) for key, v in lay.items()}

    out_stages = []
    for st in stages:
        st = dict(st)
        if "layers" in st:
            st["layers"] = [layer(x) for x in st["layers"]]
        out_stages.append(st)
    ck = {"format": FORMAT, "version": CONV_VERSION, "kind": "conv",
          "in_shape": [int(v) for v in in_shape],
          "thresholds": None if thresholds is None else t(np.asarray(thresholds, np.float32)),
          "stages": out_stages, "layers": [layer(x) for x in head_layers],
          "classes": int(classes), "tau": float(tau), "config": config or {}}
    if data:
        ck["data"] = {key: t(v) for key, v in data.items()}
    return ck


def conv_model_checkpoint(model, config: dict | None = None, data: dict | None = None) -> dict:
    """A ``ConvModel`` whose kernels and head are netlists, as a version 2 checkpoint."""
    stages = []
    for st in model.stages:
        if st.kind == "conv":
            stages.append({"type": "conv", "rf": st.rf, "stride": st.stride, "padding": st.padding,
                           "layers": netlist_layers(st.kernel)})
        else:
            stages.append({"type": "pool", "kernel": st.kernel, "stride": st.step, "padding": st.padding})
    return make_conv_checkpoint(model.in_shape, model.thresholds, stages, netlist_layers(model.head),
                                model.num_classes, model.tau, config, data)


def netlist_layers(nl: Netlist) -> list[dict]:
    """Any netlist as layer dicts: one layer per level; a signal read by a later level than the
    next is carried through the levels in between as a wire (exact; the passes remove the wires).
    """
    k = nl.arity
    ptr = nl.level_ptr
    depth = nl.depth
    if nl.num_inputs < 1:
        raise NetlistError("netlist_layers: a netlist without inputs has no layer form")
    # layers read no constants: a fan-in slot on a constant is folded into the table and
    # pointed at input 0 (the table no longer depends on it)
    tables, fanin = nl.tables.copy(), nl.fanin.astype(np.int64)
    for j in range(k):
        for value in (0, 1):
            m = fanin[:, j] == value
            tables[m] = ops.cofactor(tables[m], k, j, value)
            fanin[m, j] = 2
    out_const = nl.outputs < 2
    outputs = np.where(out_const, 2, nl.outputs).astype(np.int64)
    last_use = np.zeros(nl.num_signals, np.int64)  # the last layer (1-based) that reads a signal
    np.maximum.at(last_use, fanin.reshape(-1), np.repeat(nl.level.astype(np.int64), k))
    last_use[outputs] = depth + 1
    wire = int(ops.var_table(0, k))
    avail = np.arange(2, 2 + nl.num_inputs, dtype=np.int64)  # signal ids visible to the next layer
    layers = []
    for lvl in range(1, depth + 2):
        pos = np.full(nl.num_signals, -1, np.int64)
        pos[avail] = np.arange(avail.size)
        if lvl <= depth:
            lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
            keep = avail[last_use[avail] > lvl]
            tabs = np.concatenate([np.full(keep.size, wire, np.uint64), tables[lo:hi]])
            idx = np.concatenate([np.concatenate([pos[keep][:, None], np.zeros((keep.size, k - 1), np.int64)], axis=1),
                                  pos[fanin[lo:hi]]])
            avail = np.concatenate([keep, nl.base + np.arange(lo, hi)])
        else:
            tabs = np.full(nl.num_outputs, wire, np.uint64)
            tabs[nl.output_inv] = ops.negate_output(np.uint64(wire), k)  # output polarity: a NOT
            ones = (nl.outputs == 1) ^ nl.output_inv
            tabs[out_const] = np.where(ones[out_const], ops.full_mask(k), np.uint64(0))
            idx = np.concatenate([pos[outputs][:, None], np.zeros((nl.num_outputs, k - 1), np.int64)], axis=1)
        if (idx < 0).any():
            raise NetlistError("netlist_layers: a layer reads a signal that is not carried to it")
        layers.append({"arity": k, "indices": idx, "ops": tabs.astype(np.int64)})
    return layers
