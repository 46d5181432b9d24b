# SPDX-License-Identifier: MIT
"""difflogic (Petersen et al.) checkpoints.

Accepted forms:

* a full pickle, ``torch.save(model)`` of ``nn.Sequential(..., LogicLayer, ..., GroupSum)``,
  read by the restricted unpickler (nothing from the file runs). ``nn.Flatten``/``Identity``/
  ``Dropout`` are no-ops for bit vectors and may appear anywhere;
* ``{'state_dict': model.state_dict(), 'indices': {'<module>': int [2, G] | (a, b)},
  'config': {'k': classes, 'tau': τ, 'in_dim': inputs}}`` -- the usual workaround for
  difflogic issue #34 (``LogicLayer.indices`` is a plain attribute, not in the state_dict).

A bare state_dict (``N.weights`` [G, 16] only) has no wiring: it is refused with a hint.
A LogicLayer computes gate g as op ``argmax(weights[g])`` (difflogic's op ids are lgn2hw's
2-input truth tables) of ``x[indices[0][g]]`` (input a, the MSB) and ``x[indices[1][g]]``.
GroupSum(k, τ) sums k contiguous groups; k and τ come from the module, the config or the
``classes``/``tau`` options (options win).
"""
from __future__ import annotations

import numpy as np

from ..errors import CheckpointError
from . import Imported, layered, safe_pickle, to_numpy

NO_OPS = ("Flatten", "Identity", "Dropout", "Unflatten")
SAVE_HINT = ("save the wiring with it: torch.save({'state_dict': model.state_dict(), "
             "'indices': {name: torch.stack(m.indices) for name, m in model.named_modules() "
             "if hasattr(m, 'indices')}, 'config': {'k': <classes>, 'tau': <tau>}}, path), "
             "or save the whole model with torch.save(model, path)")


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(isinstance(k, str) for k in obj) and \
        all(hasattr(v, "shape") for v in obj.values())


def _bare_weights(obj) -> bool:
    """A state_dict whose only entries are difflogic op logits ``N.weights`` [G, 16]."""
    return _is_state_dict(obj) and all(k.endswith(".weights") and tuple(v.shape)[-1:] == (16,)
                                       for k, v in obj.items())


def matches(obj) -> bool:
    if isinstance(obj, safe_pickle.Record):
        return safe_pickle.contains_class(obj, "difflogic")
    if isinstance(obj, dict) and "state_dict" in obj and "indices" in obj:
        return _is_state_dict(obj["state_dict"]) and any(str(k).endswith(".weights") for k in obj["state_dict"])
    return _bare_weights(obj)


def convert(obj, path, classes=None, tau=None, **_options) -> Imported:
    if isinstance(obj, safe_pickle.Record):
        return _from_model(obj, path, classes, tau)
    if isinstance(obj, dict) and "state_dict" in obj:
        return _from_dict(obj, path, classes, tau)
    if _bare_weights(obj):
        raise CheckpointError(path, "a bare difflogic state_dict holds only the gate logits; the wiring "
                                    "(LogicLayer.indices) is not saved in it (difflogic issue #34), so the "
                                    "network cannot be rebuilt. To import it, " + SAVE_HINT)
    raise CheckpointError(path, "not a difflogic checkpoint: expected a full model pickle or a dict with "
                                "'state_dict' and 'indices'")


def _layer(weights, indices, name: str, path) -> layered.Layer:
    w = layered.finite(to_numpy(weights, path, f"{name}.weights", dtype=np.float64, ndim=2), path, f"{name}.weights")
    if w.shape[1] != 16:
        raise CheckpointError(path, f"{name}.weights: expected [G, 16] op logits, got {list(w.shape)}")
    if isinstance(indices, (tuple, list)):
        if len(indices) != 2:
            raise CheckpointError(path, f"{name}.indices: expected 2 index tensors (a, b), got {len(indices)}")
        parts = [to_numpy(v, path, f"{name}.indices[{i}]", ndim=1) for i, v in enumerate(indices)]
        if parts[0].shape != parts[1].shape:
            raise CheckpointError(path, f"{name}.indices: a has {parts[0].shape[0]} entries, b has {parts[1].shape[0]}")
        idx = np.stack(parts)
    else:
        idx = to_numpy(indices, path, f"{name}.indices", ndim=2)
    idx = layered.integer(idx, path, f"{name}.indices")
    if idx.shape != (2, w.shape[0]):
        raise CheckpointError(path, f"{name}: indices of shape {list(idx.shape)} do not match "
                                    f"{w.shape[0]} gates (expected [2, {w.shape[0]}])")
    return layered.Layer(np.argmax(w, axis=1).astype(np.uint64), idx.T, name)


def _from_model(root, path, classes, tau) -> Imported:
    layers, in_dims, group = [], [], None
    for name, rec in safe_pickle.module_sequence(root, units=("LogicLayer",)):
        kind = rec.class_name
        if group is not None:
            raise CheckpointError(path, f"module {name!r} ({rec.qualname}) comes after GroupSum")
        if kind == "LogicLayer" and rec.qualname.startswith("difflogic."):
            if rec.get("weights") is None or rec.get("indices") is None:
                raise CheckpointError(path, f"module {name!r}: LogicLayer without 'weights' or 'indices'")
            layers.append(_layer(rec.get("weights"), rec.get("indices"), name or "LogicLayer", path))
            in_dims.append((name, rec.get("in_dim"), rec.get("out_dim")))
        elif kind == "GroupSum":
            group = rec
        elif kind in NO_OPS:
            continue
        else:
            raise layered.unsupported_module(path, name, rec, "expected difflogic LogicLayer, GroupSum, Flatten")
    if not layers:
        raise CheckpointError(path, "no difflogic LogicLayer in the model")
    num_inputs = in_dims[0][1]
    if not isinstance(num_inputs, int):
        num_inputs = int(layers[0].wiring.max()) + 1
    for (name, in_dim, _), layer, prev in zip(in_dims[1:], layers[1:], layers):
        if isinstance(in_dim, int) and in_dim != prev.tables.shape[0]:
            raise CheckpointError(path, f"module {name!r}: in_dim {in_dim} but the previous layer has "
                                        f"{prev.tables.shape[0]} gates (layers do not chain)")
    if classes is None and group is not None:
        classes = group.get("k")
    if tau is None and group is not None:
        tau = group.get("tau")
    nl = layered.build(path, num_inputs, layers, classes, tau=1.0 if tau is None else tau,
                       provenance={"source": "difflogic full model"})
    return Imported(nl, "difflogic", config={"form": "full model"})


def _from_dict(obj, path, classes, tau) -> Imported:
    sd, indices = obj["state_dict"], obj.get("indices")
    if obj.get("config") is not None and not isinstance(obj["config"], dict):
        raise CheckpointError(path, f"'config': expected a dict, got {type(obj['config']).__name__}")
    config = dict(obj.get("config") or {})
    if not isinstance(indices, dict):
        raise CheckpointError(path, f"'indices': expected a dict of module name -> [2, G] indices, "
                                    f"got {type(indices).__name__}")
    names = [k[: -len(".weights")] for k in sd if k.endswith(".weights")]
    if not names:
        raise CheckpointError(path, "'state_dict' has no '<module>.weights' gate logits")
    layers = []
    for name in names:
        idx = indices.get(name, indices.get(f"{name}.indices"))
        if idx is None:
            raise CheckpointError(path, f"'indices' has no entry for layer {name!r} (keys: {sorted(map(str, indices))})")
        layers.append(_layer(sd[f"{name}.weights"], idx, name, path))
    extra = sorted(str(k) for k in indices if str(k) not in names and str(k).removesuffix(".indices") not in names)
    if extra:
        raise CheckpointError(path, f"'indices' has entries for layers the state_dict lacks: {extra[:5]} "
                                    f"(layers: {names})")
    num_inputs = config.get("in_dim")
    if num_inputs is None:
        num_inputs = int(layers[0].wiring.max()) + 1
    if classes is None:
        classes = config.get("k", config.get("classes", config.get("num_classes")))
    if tau is None:
        tau = config.get("tau")
    nl = layered.build(path, num_inputs, layers, classes, tau=1.0 if tau is None else tau,
                       provenance={"source": "difflogic state_dict + indices"}, where="config.")
    return Imported(nl, "difflogic", config=config)
