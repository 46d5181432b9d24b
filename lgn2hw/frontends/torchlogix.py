# SPDX-License-Identifier: MIT
"""torchlogix checkpoints (state_dicts and full pickles), implemented from its documented
eval-mode semantics; torchlogix itself is never imported.

Per ``LogicDense`` layer of LUT rank k (G nodes):

* wiring -- fixed: ``connections.indices`` int [k, G] (row l feeds slot l; slot 0 is the MSB of
  the LUT address); learnable: candidates ``connections.indices`` [C, k, G] with scores
  ``connections.weights`` [C, k, G], slot l of node o reads ``indices[argmax_c weights[c,l,o], l, o]``
  (without ``indices``, C must equal the input width and the candidates are 0..C-1);
* function -- ``weight`` [G, E] in one of the parametrizations (torchlogix 0.2.2 classes
  ``torchlogix.parametrization.RawLUTParametrization`` / ``WarpLUTParametrization`` /
  ``LightLUTParametrization``; ``WalshLUTParametrization`` is the pre-0.2 name of warp):
  ``raw``   k = 2, E = 16 op logits, op = argmax (difflogic's op ids);
  ``warp``  (Walsh coefficients) E = 2**k: with s_i = 1 - 2 x_i,
            y = sum_S w_S prod_{i in S} s_i (coefficient index bits = subset, slot 0 the MSB),
            output = y < 0, i.e. the LUT is (w @ H) < 0 for the Sylvester Hadamard matrix H;
  ``light`` E = 2**k indicator coefficients: output at address a = weight[a] > 0.
  torchlogix 0.1.x pickles (``parametrization`` a string, ``indices`` a tuple) use its older
  Walsh form: A = 2a - 1, B = 2b - 1, y = w0 + w1 A + w2 B + w3 A B, output = y > 0.

``FixedBinarization``/``SoftBinarization`` (thresholds [F, T] or [T]; bit f*T + t = x_f > t) and
``LearnableBinarization`` (thresholds = cumsum of the first raw diff and softplus-scaled rest)
become the netlist's input encoder. ``GroupSum(k, τ, β)``: k contiguous groups; β shifts every
class equally and does not change the argmax. A state_dict does not record the
parametrization when the weight shape is ambiguous (``parametrization`` option), nor k and τ
(``classes``/``tau`` options); with the constructor config (``config`` option, a JSON file
with every layer's class and keyword arguments, see torchlogix_conv.py) it is read like the
full pickle. Models with ``LogicConv2d`` become a ``ConvModel`` (frontends/torchlogix_conv.py).
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import CheckpointError
from . import Imported, layered, safe_pickle, to_numpy

PARAMETRIZATIONS = ("raw", "warp", "light")
_ALIASES = {"walsh": "warp", "walsh-hadamard": "warp"}
#: torchlogix.parametrization classes (0.2.2) -> kind; Walsh... is the pre-0.2 name of Warp...
PARAM_CLASSES = {"torchlogix.parametrization.RawLUTParametrization": "raw",
                 "torchlogix.parametrization.WarpLUTParametrization": "warp",
                 "torchlogix.parametrization.LightLUTParametrization": "light",
                 "torchlogix.parametrization.WalshLUTParametrization": "warp"}
BINARIZATIONS = ("FixedBinarization", "SoftBinarization", "LearnableBinarization", "DummyBinarization")
NO_OPS = ("Flatten", "Identity", "Dropout", "Unflatten")


_SD_SUFFIXES = (".connections.indices", ".connections.weights", ".connections._indices_L0")


def matches(obj) -> bool:
    if isinstance(obj, safe_pickle.Record):
        return safe_pickle.contains_class(obj, "torchlogix")
    return isinstance(obj, dict) and any(isinstance(k, str) and k.endswith(_SD_SUFFIXES) for k in obj)


def convert(obj, path, classes=None, tau=None, parametrization=None, config=None, **_options) -> Imported:
    from . import torchlogix_conv

    parametrization = canonical_kind(parametrization, path)
    form = "full model"
    if isinstance(obj, dict) and config is not None:
        obj, form = torchlogix_conv.records_from_config(obj, config, path), "state_dict + config"
    if isinstance(obj, safe_pickle.Record):
        if torchlogix_conv.is_conv_model(obj):
            return torchlogix_conv.convert_model(obj, path, classes, tau, parametrization, form)
        return _from_model(obj, path, classes, tau, parametrization, form)
    if isinstance(obj, dict):
        conv_keys = [k for k in obj if isinstance(k, str) and k.endswith("._indices_L0")]
        if conv_keys:
            raise CheckpointError(path, f"'{conv_keys[0]}' is a LogicConv2d's wiring: a conv state_dict does not "
                                        f"record the geometry, pooling or parametrization; pass the constructor "
                                        f"config with --config (or load the full pickle)")
        return _from_state_dict(obj, path, classes, tau, parametrization)
    raise CheckpointError(path, "not a torchlogix checkpoint")


def canonical_kind(kind: str | None, path) -> str | None:
    """raw / warp / light from a user's or a config's spelling (walsh = warp)."""
    if kind is None:
        return None
    if not isinstance(kind, str):
        raise CheckpointError(path, f"torchlogix parametrization {kind!r} is not a name; known: "
                                    f"{', '.join(PARAMETRIZATIONS)}")
    kind = _ALIASES.get(kind, kind)
    if kind not in PARAMETRIZATIONS:
        raise CheckpointError(path, f"unknown torchlogix parametrization {kind!r}; "
                                    f"known: {', '.join(PARAMETRIZATIONS)} (walsh = warp)")
    return kind


def param_kind(rec, name: str, path, option: str | None) -> tuple[str, int, bool]:
    """(kind, LUT rank, legacy) of a logic layer record: its parametrization child module
    (0.2.x), a string (0.1.x, ``legacy``) or, absent both, the option (default raw)."""
    k = rec.get("lut_rank", 2)
    param = rec.get("parametrization")
    legacy = isinstance(param, str)
    if legacy:
        kind = _ALIASES.get(param, param)
    elif isinstance(param, safe_pickle.Record):
        kind = PARAM_CLASSES.get(param.qualname)
        if kind is None:
            raise CheckpointError(path, f"module {name!r}: unsupported parametrization {param.qualname} "
                                        f"(supported: torchlogix.parametrization.RawLUTParametrization, "
                                        f"WarpLUTParametrization, LightLUTParametrization)")
        k = param.get("lut_rank", k)
    else:
        kind = option or "raw"
    if kind not in PARAMETRIZATIONS:
        raise CheckpointError(path, f"module {name!r}: unsupported parametrization {kind!r}")
    if option is not None and option != kind:
        raise CheckpointError(path, f"module {name!r} is {kind}-parametrized, but --parametrization {option} was given")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= ops.MAX_ARITY:
        raise CheckpointError(path, f"module {name!r}: LUT rank {k!r}, expected 1..{ops.MAX_ARITY}")
    return kind, k, legacy


# ---------------------------------------------------------------------- LUT functions
def hadamard(k: int) -> np.ndarray:
    """Sylvester Hadamard matrix H[j, a] = (-1)^popcount(j & a), size 2**k."""
    j = np.arange(1 << k)
    parity = np.zeros((1 << k, 1 << k), dtype=np.int64)
    both = j[:, None] & j[None, :]
    for b in range(k):
        parity ^= (both >> b) & 1
    return (1 - 2 * parity).astype(np.float64)


def lut_bits(weight: np.ndarray, kind: str, k: int, path, where: str, legacy: bool = False) -> np.ndarray:
    """uint8 [G, 2**k] truth tables (column = address, slot 0 the MSB) of one layer's weights."""
    g, e = weight.shape
    if kind == "raw":
        if k != 2 or e != 16:
            raise CheckpointError(path, f"{where}: raw parametrization needs rank 2 and [G, 16] op logits, "
                                        f"got rank {k} and {list(weight.shape)}")
        return ops.table_bits(np.argmax(weight, axis=1).astype(np.uint64), 2)
    if e != 1 << k:
        raise CheckpointError(path, f"{where}: {kind} parametrization of rank {k} needs [G, {1 << k}] "
                                    f"coefficients, got {list(weight.shape)}")
    if kind == "light":
        return (weight > 0).astype(np.uint8)
    if legacy:  # torchlogix 0.1.x: A = 2a-1, basis (1, A, B, AB), output y > 0
        addr = np.arange(4)
        a, b = 2 * (addr >> 1) - 1, 2 * (addr & 1) - 1
        basis = np.stack([np.ones(4), a, b, a * b]).astype(np.float64)  # [4 coefficients, 4 addresses]
        return (weight @ basis > 0).astype(np.uint8)
    return (weight @ hadamard(k) < 0).astype(np.uint8)


def _infer_kind(e: int, k: int, path, where: str) -> str:
    if k == 2 and e == 16:
        return "raw"
    raise CheckpointError(path, f"{where}: weights with {e} columns at LUT rank {k} are warp (Walsh) or light "
                                f"coefficients and a state_dict does not say which; pass --parametrization warp "
                                f"or --parametrization light (or the constructor config with --config)")


def wiring(indices, weights, in_width: int | None, path, where: str) -> np.ndarray:
    """int [G, k] wiring from fixed indices [k, G] or candidates [C, k, G] with scores."""
    if weights is None:
        idx = layered.integer(to_numpy(indices, path, f"{where}.indices"), path, f"{where}.indices")
        if idx.ndim != 2:
            raise CheckpointError(path, f"{where}.indices: expected [k, G] fixed indices, got shape {list(idx.shape)}")
        return idx.T
    w = layered.finite(to_numpy(weights, path, f"{where}.weights", dtype=np.float64, ndim=3), path, f"{where}.weights")
    if indices is None:
        if in_width is not None and w.shape[0] != in_width:
            raise CheckpointError(path, f"{where}: {w.shape[0]} candidate scores per slot but no candidate "
                                        f"'indices'; without them every one of the {in_width} inputs must be a "
                                        f"candidate (save the full model, or the indices)")
        return np.argmax(w, axis=0).T.astype(np.int64)
    cand = layered.integer(to_numpy(indices, path, f"{where}.indices"), path, f"{where}.indices")
    if cand.shape != w.shape:
        raise CheckpointError(path, f"{where}: candidate indices {list(cand.shape)} and weights {list(w.shape)} differ")
    best = np.argmax(w, axis=0)  # [k, G]
    return np.take_along_axis(cand, best[None], axis=0)[0].T


# ---------------------------------------------------------------------- encoders
def learnable_thresholds(raw_diffs, temperature_softplus: float) -> np.ndarray:
    """LearnableBinarization's thresholds, computed in float32 with torch as the library does."""
    import torch

    raw = torch.as_tensor(raw_diffs, dtype=torch.float32)
    if raw.shape[-1] == 1:
        diffs = raw
    else:
        s = temperature_softplus + 1e-6
        diffs = torch.cat([raw[..., :1], s * torch.nn.functional.softplus(raw[..., 1:] / s)], dim=-1)
    return torch.cumsum(diffs, dim=-1).numpy()


def _encoder_thresholds(rec, path, name):
    kind = rec.class_name
    if kind == "DummyBinarization":
        return None
    fd = rec.get("feature_dim", -2)
    if fd not in (-2, 1):
        raise CheckpointError(path, f"module {name!r}: {kind} with feature_dim={fd}; only flat feature "
                                    f"vectors (feature_dim -2) are supported")
    return binarization_thresholds(rec, path, name)


def binarization_thresholds(rec, path, name):
    """The eval-mode thresholds [F, T] or [T] of a binarization record (not DummyBinarization)."""
    kind = rec.class_name
    if kind == "LearnableBinarization":
        raw = rec.get("raw_diffs")
        if raw is None:
            raise CheckpointError(path, f"module {name!r}: LearnableBinarization without raw_diffs")
        return learnable_thresholds(raw, float(rec.get("temperature_softplus", 0.1)))
    thr = rec.get("thresholds")
    if thr is None:
        raise CheckpointError(path, f"module {name!r}: {kind} without thresholds")
    return to_numpy(thr, path, f"{name}.thresholds", dtype=np.float64)


# ---------------------------------------------------------------------- full pickles
def dense_from_record(rec, name, path, in_width, option):
    """One LogicDense record -> (Layer, kind)."""
    kind, k, legacy = param_kind(rec, name, path, option)
    weight = rec.get("weight")
    if weight is None:
        raise CheckpointError(path, f"module {name!r}: LogicDense without 'weight'")
    w = layered.finite(to_numpy(weight, path, f"{name}.weight", dtype=np.float64, ndim=2), path, f"{name}.weight")
    conn = rec.get("connections")
    if isinstance(conn, safe_pickle.Record):
        learn = conn.class_name.startswith("Learnable")
        wire = wiring(conn.get("indices"), conn.get("weights") if learn else None, in_width, path, f"{name}.connections")
    elif rec.get("indices") is not None:  # 0.1.x: (a, b) tuple attribute
        idx = rec.get("indices")
        idx = np.stack([to_numpy(v, path, f"{name}.indices", ndim=1) for v in idx]) if isinstance(idx, (tuple, list)) \
            else to_numpy(idx, path, f"{name}.indices", ndim=2)
        wire = layered.integer(idx, path, f"{name}.indices").T
    else:
        raise CheckpointError(path, f"module {name!r}: LogicDense without connections")
    if wire.shape[0] != w.shape[0]:
        raise CheckpointError(path, f"module {name!r}: wiring for {wire.shape[0]} nodes but weights for {w.shape[0]}")
    k = wire.shape[1]
    bits = lut_bits(w, kind, k, path, name, legacy=legacy and kind == "warp")
    tables = ops.bits_table(bits, k)
    check_export_ids(rec.get("_export_lut_ids"), tables, k, path, f"{name}._export_lut_ids")
    return layered.Layer(tables, wire, name), kind


def check_export_ids(ids, tables: np.ndarray, k: int, path, key: str) -> None:
    """A layer once put in torchlogix's export mode keeps the LUT ids it computed from its
    weights (id bit 2**k-1-a = output at address a, the same as lgn2hw's rank-2 op ids); ids
    that disagree with the weights make the file ambiguous."""
    if ids is None:
        return
    ids = to_numpy(ids, path, key).reshape(-1)
    if k != 2 or ids.size != tables.size:
        raise CheckpointError(path, f"{key}: {ids.size} export LUT ids for {tables.size} gates of rank {k}")
    if not np.array_equal(ids.astype(np.int64), tables.astype(np.int64)):
        j = int(np.flatnonzero(ids.astype(np.int64) != tables.astype(np.int64))[0])
        raise CheckpointError(path, f"{key}: gate {j} has export LUT id {int(ids[j])}, but its weights give "
                                    f"{int(tables[j])}; the file is inconsistent (re-export it)")


def _from_model(root, path, classes, tau, option, form="full model") -> Imported:
    layers, thresholds, group, kinds, first_in = [], None, None, [], None
    for name, rec in safe_pickle.module_sequence(root, units=("LogicDense",) + BINARIZATIONS):
        kind = rec.class_name
        if group is not None:
            raise CheckpointError(path, f"module {name!r} ({rec.qualname}) comes after GroupSum")
        if kind == "LogicDense":
            width = layers[-1].tables.shape[0] if layers else None
            if layers and rec.get("in_dim") not in (None, width):
                raise CheckpointError(path, f"module {name!r}: in_dim {rec.get('in_dim')} but the previous "
                                            f"layer has {width} nodes (layers do not chain)")
            if not layers:
                first_in = rec.get("in_dim")
            layer, pk = dense_from_record(rec, name, path, width if layers else first_in, option)
            layers.append(layer)
            kinds.append(pk)
        elif kind in BINARIZATIONS:
            if layers:
                raise CheckpointError(path, f"module {name!r}: a binarization after the first logic layer")
            thresholds = (name, _encoder_thresholds(rec, path, name))
        elif kind == "GroupSum":
            group = rec
        elif kind in NO_OPS:
            continue
        else:
            raise layered.unsupported_module(path, name, rec, "supported: LogicDense, binarization, Flatten, GroupSum")
    classes, tau = group_settings(group, classes, tau, path)
    return _finish(path, layers, thresholds, first_in, classes, tau, kinds, form)


def group_settings(group, classes, tau, path) -> tuple[int | None, float | None]:
    """GroupSum's k and τ (the options win over the record), checked."""
    if classes is None and group is not None:
        classes = group.get("k")
        if classes is not None and (isinstance(classes, bool) or not isinstance(classes, (int, np.integer))
                                    or classes < 1):
            raise CheckpointError(path, f"GroupSum k = {classes!r}, expected a positive integer")
    if tau is None and group is not None:
        tau = group.get("tau")
        if tau is not None and (isinstance(tau, bool) or not isinstance(tau, (int, float, np.number))
                                or not np.isfinite(tau) or tau <= 0):
            raise CheckpointError(path, f"GroupSum tau = {tau!r}, expected a positive number")
    return classes, tau


# ---------------------------------------------------------------------- state_dicts
def _from_state_dict(sd, path, classes, tau, option) -> Imported:
    prefixes: list[str] = []
    for key in sd:
        for suffix in (".connections.indices", ".connections.weights"):
            if isinstance(key, str) and key.endswith(suffix) and key[: -len(suffix)] not in prefixes:
                prefixes.append(key[: -len(suffix)])
    thresholds = None
    for key in sd:
        if isinstance(key, str) and (key.endswith(".thresholds") or key.endswith(".raw_diffs")):
            name = key.rsplit(".", 1)[0]
            if f"{name}.raw_diffs" in sd:
                thr = learnable_thresholds(to_numpy(sd[f"{name}.raw_diffs"], path, f"{name}.raw_diffs"), 0.1)
            else:
                thr = to_numpy(sd[f"{name}.thresholds"], path, f"{name}.thresholds", dtype=np.float64)
            thresholds = (name, thr)
            break
    layers, kinds, first_in = [], [], None
    for p in prefixes:
        if f"{p}.weight" not in sd:
            raise CheckpointError(path, f"missing key '{p}.weight' (the LUT parameters of layer {p!r})")
        w = layered.finite(to_numpy(sd[f"{p}.weight"], path, f"{p}.weight", dtype=np.float64, ndim=2),
                           path, f"{p}.weight")
        width = layers[-1].tables.shape[0] if layers else None
        wire = wiring(sd.get(f"{p}.connections.indices"), sd.get(f"{p}.connections.weights"), width, path,
                      f"{p}.connections")
        if wire.shape[0] != w.shape[0]:
            raise CheckpointError(path, f"layer {p!r}: wiring for {wire.shape[0]} nodes but '{p}.weight' "
                                        f"has {w.shape[0]} rows")
        if not layers:  # a state_dict has no in_dim: the candidates tell the input width best
            first_in = _candidate_width(sd.get(f"{p}.connections.indices"), sd.get(f"{p}.connections.weights"))
        k = wire.shape[1]
        kind = option or _infer_kind(w.shape[1], k, path, f"{p}.weight")
        layers.append(layered.Layer(ops.bits_table(lut_bits(w, kind, k, path, f"{p}.weight"), k), wire, p))
        kinds.append(kind)
    return _finish(path, layers, thresholds, first_in, classes, tau, kinds, "state_dict")


def _candidate_width(indices, weights) -> int | None:
    """Input width implied by learnable candidates (all inputs, or the largest candidate)."""
    if weights is None:
        return None
    if indices is None:
        return int(weights.shape[0])
    return int(np.asarray(to_numpy(indices, None, "indices")).max()) + 1


def _finish(path, layers, thresholds, first_in, classes, tau, kinds, form) -> Imported:
    if not layers:
        raise CheckpointError(path, "no torchlogix LogicDense layer found")
    encoder = None
    if thresholds is not None:
        name, thr = thresholds
        if thr is not None:
            n = first_in if isinstance(first_in, int) else (thr.size if thr.ndim == 2 else None)
            if n is None:
                n = int(layers[0].wiring.max()) + 1
            encoder = layered.thermometer(thr, n, path, f"{name}.thresholds")
    if isinstance(first_in, int):
        num_inputs = first_in
    elif encoder is not None:
        num_inputs = encoder.num_features * encoder.bits_per_feature
    else:
        num_inputs = int(layers[0].wiring.max()) + 1
    nl = layered.build(path, num_inputs, layers, classes, tau=1.0 if tau is None else float(tau), encoder=encoder,
                       provenance={"source": f"torchlogix {form}", "parametrization": ",".join(sorted(set(kinds)))})
    return Imported(nl, "torchlogix", config={"form": form, "parametrization": kinds})
