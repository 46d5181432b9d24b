# SPDX-License-Identifier: MIT
"""torch_dwn (Differentiable Weightless Networks) checkpoints; torch_dwn is never imported.

Accepted forms: a state_dict, a full pickle of the model (``nn.Sequential`` of ``LUTLayer`` and
``GroupSum``), and ``{'model': <model or state_dict>, 'thermometer': <Thermometer or thresholds>}``
(the form dwn2rtl reads). Full pickles go through the restricted unpickler.

Per ``LUTLayer(input_size, output_size, n)``:

* wiring -- fixed: ``mapping`` int [G, n]; learnable: ``mapping.weights`` float [input_size, G*n],
  wiring = argmax over dim 0, reshaped [G, n]. ``_LUTLayer__dummy_mapping`` is an arange
  placeholder, not the wiring;
* function -- ``luts`` float [G, 2**n], bit = value > 0 (the STE), addressed **LSB-first**:
  ``addr = sum_l x[slot l] << l``; converted to lgn2hw's MSB-first tables.

``GroupSum(k, τ)`` zero-pads the last layer to a multiple of k (the padding is the constant 0
signal), optionally after a fixed ``randperm``; groups are contiguous. A thermometer's
``thresholds`` ([F, T] feature-wise, or [T] global) become the input encoder (bit f*T + t).
A state_dict stores neither k nor τ (``classes``/``tau`` options).
"""
from __future__ import annotations

import numpy as np

from ..errors import CheckpointError
from . import Imported, layered, safe_pickle, to_numpy

NO_OPS = ("Flatten", "Identity", "Dropout")
THERMOMETERS = ("Thermometer", "DistributiveThermometer", "GaussianThermometer")


def _is_lut_state_dict(obj) -> bool:
    return isinstance(obj, dict) and any(isinstance(k, str) and k.endswith(".luts") for k in obj)


def matches(obj) -> bool:
    if isinstance(obj, dict) and "model" in obj:
        obj = obj["model"]
    if isinstance(obj, safe_pickle.Record):
        return safe_pickle.contains_class(obj, "torch_dwn")
    return _is_lut_state_dict(obj)


def convert(obj, path, classes=None, tau=None, **_options) -> Imported:
    thermo = None
    if isinstance(obj, dict) and "model" in obj:
        thermo = obj.get("thermometer")
        obj = obj["model"]
    thresholds = _thermometer(thermo, path) if thermo is not None else None
    if isinstance(obj, safe_pickle.Record):
        layers, num_inputs, group = _from_model(obj, path)
        form = "full model"
    elif _is_lut_state_dict(obj):
        layers, num_inputs, group = _from_state_dict(obj, path), None, None
        form = "state_dict"
    else:
        raise CheckpointError(path, "not a torch_dwn checkpoint: expected LUTLayer modules or '<layer>.luts' keys")
    if not layers:
        raise CheckpointError(path, "no torch_dwn LUTLayer found")
    order = None
    if group is not None:
        classes = group.get("k") if classes is None else classes
        tau = group.get("tau") if tau is None else tau
        perm = group.get("randperm")
        if perm is not None and not isinstance(perm, (bool, int)):
            order = layered.integer(to_numpy(perm, path, "GroupSum.randperm", ndim=1), path, "GroupSum.randperm")
    if num_inputs is None:
        num_inputs = thresholds.size if thresholds is not None and thresholds.ndim == 2 else int(layers[0].wiring.max()) + 1
    encoder = None if thresholds is None else layered.thermometer(thresholds, num_inputs, path, "thermometer.thresholds")
    nl = layered.build(path, num_inputs, layers, classes, tau=1.0 if tau is None else float(tau), encoder=encoder,
                       pad_groups=True, output_order=order, provenance={"source": f"torch_dwn {form}"})
    return Imported(nl, "torch_dwn", config={"form": form})


def _thermometer(thermo, path) -> np.ndarray:
    if isinstance(thermo, safe_pickle.Record):
        if thermo.class_name not in THERMOMETERS:
            raise CheckpointError(path, f"'thermometer' is a {thermo.qualname}, expected a torch_dwn Thermometer")
        thr = thermo.get("thresholds")
        if thr is None:
            raise CheckpointError(path, "'thermometer' has no thresholds (it was never fitted)")
    else:
        thr = thermo
    return to_numpy(thr, path, "thermometer.thresholds", dtype=np.float64)


def _layer(luts, mapping, mapping_weights, n, name, path) -> layered.Layer:
    lu = layered.finite(to_numpy(luts, path, f"{name}.luts", dtype=np.float64, ndim=2), path, f"{name}.luts")
    g, entries = lu.shape
    if n is None:
        n = entries.bit_length() - 1
    if entries != 1 << n or not 1 <= n <= 6:
        raise CheckpointError(path, f"{name}.luts: shape {list(lu.shape)}, expected [G, 2**n] with n in 1..6")
    if mapping_weights is not None:
        mw = layered.finite(to_numpy(mapping_weights, path, f"{name}.mapping.weights", dtype=np.float64, ndim=2),
                            path, f"{name}.mapping.weights")
        if mw.shape[1] != g * n:
            raise CheckpointError(path, f"{name}.mapping.weights: shape {list(mw.shape)}, expected "
                                        f"[inputs, {g * n}] for {g} LUTs of {n} inputs")
        wire = np.argmax(mw, axis=0).reshape(g, n).astype(np.int64)
    elif mapping is not None:
        wire = layered.integer(to_numpy(mapping, path, f"{name}.mapping", ndim=2), path, f"{name}.mapping")
        if wire.shape != (g, n):
            raise CheckpointError(path, f"{name}.mapping: shape {list(wire.shape)}, expected [{g}, {n}] "
                                        f"to match {name}.luts")
    else:
        raise CheckpointError(path, f"missing key '{name}.mapping' (or '{name}.mapping.weights'): the LUT wiring")
    return layered.Layer(layered.lut_tables((lu > 0).astype(np.uint8), n, lsb_first=True), wire, name)


def _from_model(root, path):
    layers, group, num_inputs = [], None, None
    for name, rec in safe_pickle.module_sequence(root, units=("LUTLayer",)):
        kind = rec.class_name
        if group is not None:
            raise CheckpointError(path, f"module {name!r} ({rec.qualname}) comes after GroupSum")
        if kind == "LUTLayer":
            if rec.get("ste", True) is False:
                raise CheckpointError(path, f"module {name!r}: LUTLayer with ste=False outputs real values, "
                                            f"not bits; it cannot be compiled to logic")
            width = layers[-1].tables.shape[0] if layers else None
            in_size = rec.get("input_size")
            if layers and in_size not in (None, width):
                raise CheckpointError(path, f"module {name!r}: input_size {in_size} but the previous layer has "
                                            f"{width} LUTs (layers do not chain)")
            if not layers and isinstance(in_size, int):
                num_inputs = in_size
            mapping = rec.get("mapping")
            learnable = isinstance(mapping, safe_pickle.Record)
            layers.append(_layer(rec.get("luts"), None if learnable else mapping,
                                 mapping.get("weights") if learnable else None, rec.get("n"), name, path))
        elif kind == "GroupSum":
            group = rec
        elif kind in NO_OPS:
            continue
        else:
            raise layered.unsupported_module(path, name, rec, "supported: LUTLayer, GroupSum, Flatten")
    return layers, num_inputs, group


def _from_state_dict(sd, path):
    layers = []
    for key in sd:
        if isinstance(key, str) and key.endswith(".luts"):
            name = key[: -len(".luts")]
            layers.append(_layer(sd[key], sd.get(f"{name}.mapping"), sd.get(f"{name}.mapping.weights"), None, name, path))
    return layers
