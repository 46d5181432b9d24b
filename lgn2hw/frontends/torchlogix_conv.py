# SPDX-License-Identifier: MIT
"""torchlogix convolutional models -> ``ConvModel``, and state_dict + constructor config ->
the module tree a full pickle would hold. Implemented from torchlogix 0.2.2's eval-mode
semantics (docs/conv.md, "Importing from torchlogix"); torchlogix itself is never imported.

Layers (class names as torchlogix 0.2.2 pickles them):

* ``torchlogix.layers.binarization.FixedBinarization`` (also ``SoftBinarization``,
  ``LearnableBinarization`` in eval mode; ``DummyBinarization`` = the input is already bits):
  thresholds [T] (every image channel) or [C, T]; with ``feature_dim=1`` bit-channel
  ``c*T + t`` = ``x[c] > thr[c, t]``. The default ``feature_dim=-2`` folds the T bits into the
  width axis of an image ([N, C, H, W*T]), which no per-channel thermometer is: refused by name
  unless T = 1 (then both layouts are the same).
* ``torchlogix.layers.conv.LogicConv2d``: K logic trees of depth d over an rf x rf window (one
  ``ConvBlock``). ``tree_weights.L`` [k**(d-1-L), K, E] (L = 0 the leaves), parametrized like
  ``LogicDense`` (raw / warp / light); ``connections._indices_L0`` [k, K, P, S, 3] the (h, w, c)
  of leaf operands in padded coordinates at every position p = oh*W' + ow, which must be the
  position-0 offsets plus (oh*stride, ow*stride) (weight sharing, checked);
  ``connections._indices_L{L}`` [k, n_L]: slot i of gate j reads gate ``idx[i, j]`` of level L-1.
* ``torchlogix.layers.pool.OrPooling2d`` (kernel, stride, padding) -> ``OrPool``;
  ``torch.nn.Flatten`` (c, h, w order); ``LogicDense`` layers and ``GroupSum`` -> the dense head.

Constructor config (for a state_dict, which records neither geometry nor parametrization, nor
pooling or GroupSum): JSON ``{"layers": [{"class": "LogicConv2d", "kwargs": {...},
"key_prefix": "1."}, ...]}`` in forward order, ``kwargs`` the constructor's keyword arguments
(``key_prefix`` defaults to ``"<index>."``; the torchlogix_conv test fixture is one).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import ops
from ..errors import CheckpointError
from . import Imported, layered, safe_pickle, to_numpy
from . import torchlogix as tlx

CONV = "LogicConv2d"
POOL = "OrPooling2d"
#: torchlogix conv layers; only LogicConv2d is imported, the others are refused by name
CONV_CLASSES = (CONV, "LogicConv3d", "LogicConvTranspose2d", "LogicConvTranspose3d")
UNITS = CONV_CLASSES + ("LogicDense",) + tlx.BINARIZATIONS
_PASS = ("Identity", "Dropout")


def is_conv_model(root) -> bool:
    return any(rec.class_name in CONV_CLASSES + (POOL, "OrPooling3d")
               for _, rec in safe_pickle.module_sequence(root, units=UNITS))


# ---------------------------------------------------------------------- small readers
def _int(value, path, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < low:
        raise CheckpointError(path, f"{what} = {value!r}, expected an integer >= {low}")
    return int(value)


def _square(value, path, what: str, low: int = 0) -> int:
    """An int, or a pair of equal ints (torch's _pair); non-square geometry is refused."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] != value[1]:
            raise CheckpointError(path, f"{what} = {tuple(value)!r}: only square geometry (equal height and "
                                        f"width) is supported")
        value = value[0]
    return _int(value, path, what, low)


def _array(value, path, key: str, ndim: int | None = None, dtype=None) -> np.ndarray:
    if value is None:
        raise CheckpointError(path, f"missing {key}")
    return to_numpy(value, path, key, dtype=dtype, ndim=ndim)


# ---------------------------------------------------------------------- encoder
def _thresholds(rec, name, path, cin: int) -> tuple[np.ndarray | None, int]:
    """(thresholds [C, T] or None, C) of the binarization feeding a first conv with cin channels."""
    kind = rec.class_name
    if kind == "DummyBinarization":
        return None, cin
    thr = tlx.binarization_thresholds(rec, path, name)
    thr = layered.finite(np.asarray(thr, dtype=np.float64), path, f"{name}.thresholds")
    if thr.ndim not in (1, 2) or thr.shape[-1] < 1:
        raise CheckpointError(path, f"{name}.thresholds: shape {list(thr.shape)}, expected [T] or [C, T]")
    t = thr.shape[-1]
    fd = rec.get("feature_dim", -2)
    if isinstance(fd, bool) or not isinstance(fd, int):
        raise CheckpointError(path, f"module {name!r}: feature_dim = {fd!r}, expected an integer")
    if fd % 5 != 1 and t > 1:  # dims of the [N, C, H, W, T] tensor that the T bits are merged into
        layout = {3: "the width axis ([N, C, H, W*T], column x*T + t)",
                  2: "the height axis ([N, C, H*T, W])"}.get(fd % 5, f"dimension {fd}")
        raise CheckpointError(path, f"module {name!r}: {kind} with feature_dim={fd} folds the {t} threshold bits "
                                    f"of an image into {layout}, which is not a per-channel thermometer; lgn2hw "
                                    f"imports image models binarized with feature_dim=1 (bit-channel c*T + t)")
    if cin % t:
        raise CheckpointError(path, f"module {name!r}: {t} thresholds per channel, but the first LogicConv2d "
                                    f"reads {cin} channels (not a multiple of {t})")
    c = cin // t
    if thr.ndim == 1 or thr.shape[0] == 1:  # one row: the same thresholds for every channel
        thr = np.tile(thr.reshape(1, t), (c, 1))
    elif thr.shape[0] != c:
        raise CheckpointError(path, f"{name}.thresholds: {thr.shape[0]} rows of thresholds, but the first "
                                    f"LogicConv2d reads {cin} = {c} channels x {t} bits")
    return thr, c


# ---------------------------------------------------------------------- conv block
def _level_tables(w: np.ndarray, kind: str, k: int, path, key: str) -> np.ndarray:
    """Truth tables, kernel-major (index kernel*n + j), of tree weights [n, K, E]."""
    n, kk, e = w.shape
    flat = np.ascontiguousarray(w.transpose(1, 0, 2)).reshape(kk * n, e)
    return ops.bits_table(tlx.lut_bits(flat, kind, k, path, key), k)


def in_hw(rec, name, path) -> tuple[int, int]:
    """A LogicConv2d's input (H, W): ``in_dim`` is an int or a pair."""
    in_dim = rec.get("in_dim")
    dims = (in_dim, in_dim) if not isinstance(in_dim, (tuple, list)) else tuple(in_dim)
    if len(dims) != 2:
        raise CheckpointError(path, f"module {name!r}: in_dim {in_dim!r}, expected H or (H, W)")
    return tuple(_int(v, path, f"module {name!r}: in_dim", 1) for v in dims)


def conv_block(rec, name, path, option, cin: int, hw: tuple[int, int]):
    """A LogicConv2d record -> (ConvBlock, kind)."""
    from ..conv import ConvBlock

    kind, k, _ = tlx.param_kind(rec, name, path, option)
    if rec.get("conv_dimension", 2) != 2:
        raise CheckpointError(path, f"module {name!r}: conv_dimension {rec.get('conv_dimension')!r}; only 2-D")
    K = _int(rec.get("num_kernels"), path, f"module {name!r}: num_kernels", 1)
    d = _int(rec.get("tree_depth"), path, f"module {name!r}: tree_depth", 1)
    rf = _square(rec.get("receptive_field_size"), path, f"module {name!r}: receptive_field_size", 1)
    stride = _square(rec.get("stride", 1), path, f"module {name!r}: stride", 1)
    pad = _square(rec.get("padding", 0), path, f"module {name!r}: padding", 0)
    channels = _int(rec.get("channels"), path, f"module {name!r}: channels", 1)
    h, w = in_hw(rec, name, path)
    if (h, w) != tuple(hw) or channels != cin:
        raise CheckpointError(path, f"module {name!r}: LogicConv2d expects {channels} x {h} x {w} inputs, but the "
                                    f"previous stage gives {cin} x {hw[0]} x {hw[1]}")
    oh, ow = (h + 2 * pad - rf) // stride + 1, (w + 2 * pad - rf) // stride + 1
    if oh < 1 or ow < 1:
        raise CheckpointError(path, f"module {name!r}: a {rf}x{rf} window does not fit a {h}x{w} map "
                                    f"with padding {pad}")
    weights = rec.get("tree_weights")
    if isinstance(weights, safe_pickle.Record):
        levels = sorted(key for key, v in (weights.attrs.get("_parameters") or {}).items() if v is not None)
        if levels != sorted(str(lv) for lv in range(d)):
            raise CheckpointError(path, f"module {name!r}: tree_weights has levels {levels}, but tree_depth is {d}")
    conn = rec.get("connections")
    if not isinstance(conn, safe_pickle.Record) or conn.class_name != "FixedConvConnections":
        what = conn.qualname if isinstance(conn, safe_pickle.Record) else type(conn).__name__
        raise CheckpointError(path, f"module {name!r}: connections {what}; LogicConv2d has fixed connections "
                                    f"(torchlogix.connections.FixedConvConnections)")
    # leaves: [k, K, P, S, 3] (h, w, c) in padded coordinates
    key0 = f"{name}.connections._indices_L0"
    idx = layered.integer(_array(conn.get("_indices_L0"), path, key0, ndim=5), path, key0)
    S = k ** (d - 1)
    if idx.shape != (k, K, oh * ow, S, 3):
        raise CheckpointError(path, f"{key0}: shape {list(idx.shape)}, expected [{k}, {K}, {oh * ow}, {S}, 3] "
                                    f"(rank, kernels, {oh}x{ow} positions, leaves, (h, w, c))")
    pos = np.arange(oh * ow)
    shift = np.stack([pos // ow * stride, pos % ow * stride, np.zeros_like(pos)], axis=1)  # [P, 3]
    rel = idx - shift[None, None, :, None, :]
    bad = np.argwhere(np.any(rel != rel[:, :, :1], axis=-1))
    if bad.size:
        slot, kern, p, leaf = (int(v) for v in bad[0])
        raise CheckpointError(path, f"{key0}: kernel {kern} leaf {leaf} input {slot} at position {p} reads "
                                    f"{tuple(int(v) for v in idx[slot, kern, p, leaf])}, not its position-0 offset "
                                    f"{tuple(int(v) for v in idx[slot, kern, 0, leaf])} shifted by "
                                    f"({p // ow * stride}, {p % ow * stride}): the kernel is not shared over positions")
    base = idx[:, :, 0]  # [k, K, S, 3]: dy, dx, c relative to the window's top-left (padded (0, 0))
    lim = np.array([rf, rf, cin])
    out = np.argwhere((base < 0) | (base >= lim))
    if out.size:
        slot, kern, leaf, axis = (int(v) for v in out[0])
        raise CheckpointError(path, f"{key0}: kernel {kern} leaf {leaf} input {slot} reads (h, w, c) = "
                                    f"{tuple(int(v) for v in base[slot, kern, leaf])} at position 0, outside its "
                                    f"{rf}x{rf}x{cin} window")
    win = (base[..., 0] * rf + base[..., 1]) * cin + base[..., 2]  # [k, K, S]
    layers = []
    n_prev = S
    for lv in range(d):
        wkey = f"{name}.tree_weights.{lv}"
        wl = weights.get(str(lv)) if isinstance(weights, safe_pickle.Record) else None
        wl = layered.finite(_array(wl, path, wkey, ndim=3, dtype=np.float64), path, wkey)
        if lv == 0:
            wiring = win.transpose(1, 2, 0).reshape(K * S, k)
            n = S
        else:
            ikey = f"{name}.connections._indices_L{lv}"
            li = layered.integer(_array(conn.get(f"_indices_L{lv}"), path, ikey, ndim=2), path, ikey)
            n = li.shape[1]
            if li.shape[0] != k or n < 1 or li.min(initial=0) < 0 or li.max(initial=0) >= n_prev:
                raise CheckpointError(path, f"{ikey}: shape {list(li.shape)} with values "
                                            f"{int(li.min(initial=0))}..{int(li.max(initial=0))}, expected [{k}, n] "
                                            f"indices into the {n_prev} gates of level {lv - 1}")
            wiring = (np.arange(K)[:, None, None] * n_prev + li.T[None]).reshape(K * n, k)
        if wl.shape[:2] != (n, K):
            raise CheckpointError(path, f"{wkey}: shape {list(wl.shape)}, expected [{n}, {K}, E] (level {lv} has "
                                        f"{n} gates per kernel)")
        tables = _level_tables(wl, kind, k, path, wkey)
        ids = rec.get(f"_export_lut_ids_L{lv}")
        if ids is not None:
            ids = to_numpy(ids, path, f"{name}._export_lut_ids_L{lv}")
            if ids.ndim != 3 or ids.shape[0] != K or ids.shape[2] != n or np.any(ids != ids[:, :1]):
                raise CheckpointError(path, f"{name}._export_lut_ids_L{lv}: shape {list(ids.shape)}, expected the "
                                            f"same [{K}, P, {n}] LUT ids at every position")
            tlx.check_export_ids(ids[:, 0], tables, k, path, f"{name}._export_lut_ids_L{lv}")
        layers.append(layered.Layer(tables, wiring, f"{name}.tree_weights.{lv}"))
        n_prev = n
    if n_prev != 1:
        raise CheckpointError(path, f"module {name!r}: the last tree level has {n_prev} gates per kernel, expected "
                                    f"one root")
    kernel = layered.build(path, rf * rf * cin, layers, 1)
    return ConvBlock(kernel, rf, stride, pad), kind


def or_pool(rec, name, path):
    from ..conv import OrPool

    kernel = _square(rec.get("kernel_size"), path, f"module {name!r}: kernel_size", 1)
    stride = rec.get("stride")
    stride = kernel if stride is None else _square(stride, path, f"module {name!r}: stride", 1)
    pad = _square(rec.get("padding", 0), path, f"module {name!r}: padding", 0)
    if pad > kernel // 2:
        raise CheckpointError(path, f"module {name!r}: padding {pad} > kernel_size/2 (torch's max_pool2d refuses it)")
    return OrPool(kernel, stride, pad)


# ---------------------------------------------------------------------- the model
def convert_model(root, path, classes, tau, option, form="full model") -> Imported:
    from ..conv import ConvBlock, ConvModel

    binar, stages, head, kinds, group = None, [], [], [], None
    in_shape = shape = None  # (C, H, W) of the real image / of the current bit map
    thresholds, flat = None, None
    for name, rec in safe_pickle.module_sequence(root, units=UNITS):
        kind = rec.class_name
        if group is not None:
            raise CheckpointError(path, f"module {name!r} ({rec.qualname}) comes after GroupSum")
        if kind in tlx.BINARIZATIONS:
            if stages or head:
                raise CheckpointError(path, f"module {name!r}: a binarization after the first logic layer")
            binar = (name, rec)
        elif kind == CONV:
            if flat is not None:
                raise CheckpointError(path, f"module {name!r}: LogicConv2d after the Flatten")
            if shape is None:  # the first conv fixes the input image
                cin = _int(rec.get("channels"), path, f"module {name!r}: channels", 1)
                hw = in_hw(rec, name, path)
                c = cin
                if binar is not None:
                    thresholds, c = _thresholds(binar[1], binar[0], path, cin)
                in_shape = (c, *hw)
                shape = (cin, *hw)
            block, pk = conv_block(rec, name, path, option, shape[0], shape[1:])
            stages.append(block)
            kinds.append(pk)
            shape = block.out_shape(shape)
        elif kind == POOL:
            if shape is None or flat is not None:
                raise CheckpointError(path, f"module {name!r}: OrPooling2d must follow a LogicConv2d")
            stages.append(or_pool(rec, name, path))
            shape = stages[-1].out_shape(shape)
            if min(shape[1:]) < 1:
                raise CheckpointError(path, f"module {name!r}: pooling leaves an empty map")
        elif kind == "Flatten":
            if rec.get("start_dim", 1) != 1 or rec.get("end_dim", -1) != -1:
                raise CheckpointError(path, f"module {name!r}: Flatten(start_dim={rec.get('start_dim')}, "
                                            f"end_dim={rec.get('end_dim')}); only Flatten(1, -1) is supported")
            if shape is None or flat is not None:
                raise CheckpointError(path, f"module {name!r}: Flatten must follow the conv stages")
            flat = int(np.prod(shape))
        elif kind == "LogicDense":
            if flat is None:
                raise CheckpointError(path, f"module {name!r}: LogicDense on a {shape} feature map without a "
                                            f"Flatten before it")
            width = head[-1].tables.shape[0] if head else flat
            if rec.get("in_dim") not in (None, width):
                raise CheckpointError(path, f"module {name!r}: in_dim {rec.get('in_dim')} but the previous stage "
                                            f"gives {width} bits")
            layer, pk = tlx.dense_from_record(rec, name, path, width, option)
            head.append(layer)
            kinds.append(pk)
        elif kind == "GroupSum":
            group = rec
        elif kind in _PASS:
            continue
        else:
            raise layered.unsupported_module(path, name, rec, "supported in a conv model: a binarization, "
                                             "LogicConv2d, OrPooling2d, Flatten, LogicDense, GroupSum")
    if flat is None:
        raise CheckpointError(path, "no Flatten after the conv stages")
    classes, tau = tlx.group_settings(group, classes, tau, path)
    tau = 1.0 if tau is None else float(tau)
    if head:
        head_nl = layered.build(path, flat, head, classes, tau=tau)
    else:
        head_nl = _identity_head(path, flat, classes, tau)
    prov = {"source": f"torchlogix {form}", "parametrization": ",".join(sorted(set(kinds)))}
    model = ConvModel(in_shape, thresholds, tuple(stages), head_nl, provenance=prov)
    nl = model.unroll()
    cfg = {"form": form, "parametrization": kinds,
           "stages": [st.describe() for st in stages]}
    return Imported(nl, "torchlogix", config=cfg, conv=model)


def _identity_head(path, flat: int, classes, tau: float):
    from ..ir import Netlist

    if classes is None:
        raise CheckpointError(path, "the number of classes (GroupSum k) is not stored in this checkpoint; "
                                    "pass it with --classes")
    if flat % int(classes):
        raise CheckpointError(path, f"GroupSum k={classes} does not divide the {flat} flattened bits")
    return Netlist.build(flat, 2, np.zeros(0, np.uint64), np.zeros((0, 2), np.int64),
                         2 + np.arange(flat), int(classes), tau=tau)


# ---------------------------------------------------------------------- state_dict + config
_PARAM_QUAL = {"raw": "RawLUTParametrization", "warp": "WarpLUTParametrization", "light": "LightLUTParametrization"}
_MODULES = {"FixedBinarization": "torchlogix.layers.binarization", "SoftBinarization": "torchlogix.layers.binarization",
            "LearnableBinarization": "torchlogix.layers.binarization",
            "DummyBinarization": "torchlogix.layers.binarization", CONV: "torchlogix.layers.conv",
            POOL: "torchlogix.layers.pool", "LogicDense": "torchlogix.layers.dense",
            "GroupSum": "torchlogix.layers.groupsum", "Flatten": "torch.nn.modules.flatten",
            "Identity": "torch.nn.modules.linear", "Dropout": "torch.nn.modules.dropout"}
_CACHE: dict[str, type] = {}


def _record(qualname: str, attrs: dict, params=None, buffers=None, modules=None) -> safe_pickle.Record:
    cls = _CACHE.get(qualname)
    if cls is None:
        cls = _CACHE[qualname] = type(qualname.rsplit(".", 1)[-1], (safe_pickle.Record,), {"qualname": qualname})
    rec = cls()
    rec.attrs.update(attrs)
    rec.attrs.update(_parameters=dict(params or {}), _buffers=dict(buffers or {}), _modules=dict(modules or {}))
    return rec


def read_config(config, path) -> dict:
    if isinstance(config, dict):
        return config
    cpath = Path(config)
    try:
        data = json.loads(cpath.read_text())
    except OSError as e:
        raise CheckpointError(cpath, f"cannot read the torchlogix config ({e.strerror or e})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(cpath, f"not a JSON torchlogix config ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
        raise CheckpointError(cpath, "a torchlogix config is a JSON object with a 'layers' list")
    return data


def records_from_config(sd: dict, config, path) -> safe_pickle.Record:
    """The module tree a full pickle of the model would hold, from its state_dict and the
    constructor config; every state_dict key must belong to a layer of the config."""
    cfg = read_config(config, path)
    cpath = path if isinstance(config, dict) else Path(config)
    used: set[str] = set()

    def take(key: str):
        if key in sd:
            used.add(key)
            return sd[key]
        return None

    children = {}
    for i, spec in enumerate(cfg["layers"]):
        if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
            raise CheckpointError(cpath, f"layers[{i}]: expected an object with a 'class' name")
        cls, kw = spec["class"], spec.get("kwargs") or {}
        if not isinstance(kw, dict):
            raise CheckpointError(cpath, f"layers[{i}] ({cls}): 'kwargs' must be an object")
        prefix = spec.get("key_prefix", f"{spec.get('index', i)}.")
        if not isinstance(prefix, str):
            raise CheckpointError(cpath, f"layers[{i}] ({cls}): 'key_prefix' must be a string")
        module = spec.get("module") or _MODULES.get(cls, "torchlogix.layers")
        if not isinstance(module, str):
            raise CheckpointError(cpath, f"layers[{i}] ({cls}): 'module' must be a string")
        name = prefix[:-1] if prefix.endswith(".") else prefix or str(i)
        attrs = dict(kw)
        params, buffers, modules = {}, {}, {}
        if cls in (CONV, "LogicDense"):
            kind = tlx.canonical_kind(kw.get("parametrization", "raw"), cpath)
            if kind is None:
                raise CheckpointError(cpath, f"layers[{i}] ({cls}): parametrization is null; expected raw, warp "
                                             f"or light")
            k = kw.get("lut_rank", 2)
            attrs.pop("parametrization", None)
            attrs["lut_rank"] = k
            modules["parametrization"] = _record(f"torchlogix.parametrization.{_PARAM_QUAL[kind]}", {"lut_rank": k})
            conn_kind = kw.get("connections", "fixed")
            attrs.pop("connections", None)
            if cls == CONV:
                if conn_kind != "fixed":
                    raise CheckpointError(cpath, f"layers[{i}] ({cls}): connections {conn_kind!r}; LogicConv2d "
                                                 f"has only 'fixed' connections")
                levels = {}
                lv = 0
                while f"{prefix}tree_weights.{lv}" in sd:
                    levels[str(lv)] = take(f"{prefix}tree_weights.{lv}")
                    lv += 1
                modules["tree_weights"] = _record("torch.nn.modules.container.ParameterList", {}, params=levels)
                bufs = {}
                for key in list(sd):
                    if isinstance(key, str) and key.startswith(f"{prefix}connections._indices_L"):
                        bufs[key[len(prefix) + len("connections."):]] = take(key)
                modules["connections"] = _record("torchlogix.connections.FixedConvConnections", {}, buffers=bufs)
                for key in list(sd):
                    if isinstance(key, str) and key.startswith(f"{prefix}_export_lut_ids_L"):
                        buffers[key[len(prefix):]] = take(key)
            else:
                if conn_kind not in ("fixed", "learnable"):
                    raise CheckpointError(cpath, f"layers[{i}] ({cls}): unknown connections {conn_kind!r}")
                cname = "FixedDenseConnections" if conn_kind == "fixed" else "LearnableDenseConnections"
                cb = {"indices": take(f"{prefix}connections.indices")}
                cp = {"weights": take(f"{prefix}connections.weights")} if conn_kind == "learnable" else {}
                take(f"{prefix}connections._export_indices")
                modules["connections"] = _record(f"torchlogix.connections.{cname}", {}, params=cp, buffers=cb)
                params["weight"] = take(f"{prefix}weight")
                if f"{prefix}_export_lut_ids" in sd:
                    buffers["_export_lut_ids"] = take(f"{prefix}_export_lut_ids")
        elif cls in tlx.BINARIZATIONS:
            attrs.pop("thresholds", None)
            for key in ("thresholds", "raw_diffs"):
                if f"{prefix}{key}" in sd:
                    (params if key == "raw_diffs" else buffers)[key] = take(f"{prefix}{key}")
            if not buffers and not params and kw.get("thresholds") is not None and cls != "DummyBinarization":
                try:
                    buffers["thresholds"] = np.asarray(kw["thresholds"], dtype=np.float32)
                except (TypeError, ValueError):
                    raise CheckpointError(cpath, f"layers[{i}] ({cls}): thresholds must be a list of numbers "
                                                 f"or of equal-length lists") from None
        for key in list(sd):  # anything else of this layer stays with it (a layer lgn2hw refuses by name)
            if isinstance(key, str) and key.startswith(prefix) and key not in used:
                buffers.setdefault(key[len(prefix):], take(key))
        children[name] = _record(f"{module}.{cls}", attrs, params=params, buffers=buffers, modules=modules)
    left = [k for k in sd if k not in used]
    if left:
        raise CheckpointError(path, f"state_dict key '{left[0]}' belongs to no layer of the config {Path(cpath).name} "
                                    f"({len(left)} such keys)")
    return _record("torch.nn.modules.container.Sequential", {}, modules=children)
