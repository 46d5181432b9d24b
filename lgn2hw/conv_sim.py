# SPDX-License-Identifier: MIT
"""Reference simulator for conv models: bit-packed, each kernel over all positions at once.

Images are packed 64 per uint64 word (sim.pack_bits); a feature map is uint64 [ch, H, W, Wd].
A conv block evaluates each gate of its kernel netlist once, over every position and image
at once: a window input is a strided view of the padded map (nothing is gathered), a gate's
result one contiguous [H', W', Wd] block — so every kernel runs at every position without
unrolling and without a gather per gate. OR pooling ORs strided slices.
It is checked against simulating ``ConvModel.unroll()`` (tests/test_conv.py).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import _simcore
from .conv import ConvBlock, ConvError, ConvModel, OrPool, pad_map, shifted
from .sim import (SimPlan, _apply_op2, argmax_lowest, native_core, output_words, pack_bits, packed_group_sums,
                  unpack_bits)

# Working set per chunk of images: the largest kernel run (signals x positions x words).
_CHUNK_BYTES = 16 << 20


@dataclass(frozen=True)
class ConvSimResult:
    group_sums: np.ndarray     # int32 [N, C]
    classes: np.ndarray        # int64 [N]
    output_bits: np.ndarray | None = None  # uint8 [N, O] of the head
    stages: list | None = None  # uint8 [N, ch, H, W] after every stage (stages=True)


def _conv(st: ConvBlock, fmap: np.ndarray, plan: SimPlan | None) -> np.ndarray:
    cin, h, w, wd = fmap.shape
    k, oh, ow = st.out_shape((cin, h, w))
    p, s = st.padding, st.stride
    pad = pad_map(fmap, p)

    # window input i = (dy*rf + dx)*cin + c over all positions: a strided view of the padded map
    views = [v for dy in range(st.rf) for dx in range(st.rf) for v in shifted(pad, dy, dx, s, oh, ow)]

    kern = st.kernel
    if kern.arity != 2:  # k-input LUT kernels: gather the windows, run the ordinary simulator
        win = np.stack(views)
        return output_words(kern, win.reshape(kern.num_inputs, -1), plan).reshape(k, oh, ow, wd)
    # two-input kernels: one numpy call per kernel gate over every position and image at once,
    # reading the window inputs as strided views of the padded map (nothing is gathered)
    base = kern.base
    vals = np.empty((kern.num_nodes, oh, ow, wd), np.uint64)
    zero = np.zeros((oh, ow, wd), np.uint64)
    consts = (zero, ~zero)

    def signal(v: int) -> np.ndarray:
        return consts[v] if v < 2 else views[v - 2] if v < base else vals[v - base]

    for n, (op, (a, b)) in enumerate(zip(kern.tables.tolist(), kern.fanin.tolist())):
        _apply_op2(op, signal(a), signal(b), vals[n])
    outs = kern.outputs.astype(np.int64)
    if np.all(outs >= base):
        return vals[outs - base]
    return np.stack([signal(int(v)) for v in outs])


def _pool(st: OrPool, fmap: np.ndarray) -> np.ndarray:
    c, h, w, wd = fmap.shape
    _, oh, ow = st.out_shape((c, h, w))
    p, s = st.padding, st.step
    pad = pad_map(fmap, p)
    out = np.zeros((c, oh, ow, wd), np.uint64)
    for dy in range(st.kernel):
        for dx in range(st.kernel):
            out |= shifted(pad, dy, dx, s, oh, ow)
    return out


def _images_per_chunk(model: ConvModel) -> int:
    """Images per chunk so the largest per-stage working set (in words per image) fits the budget."""
    shapes = model.shapes()
    worst = model.head.num_signals
    for i, st in enumerate(model.stages):
        c, h, w = shapes[i + 1]
        if isinstance(st, ConvBlock):
            worst = max(worst, st.kernel.num_signals * h * w)
        worst = max(worst, 2 * int(np.prod(shapes[i])))
    return 64 * max(1, _CHUNK_BYTES // (8 * worst))


def simulate_conv_bits(model: ConvModel, bits: np.ndarray, stages: bool = False,
                       return_output_bits: bool = False, engine: str = "auto") -> ConvSimResult:
    """Run the model on its input bits uint8 [N, num_input_bits] (flat order, see conv.py).

    ``engine`` as in ``sim`` ('auto', 'native', 'numpy'): the compiled core runs the whole
    model (``NativeConv``) when it is built, every kernel has two-input gates and ``stages``
    is not asked for; otherwise the numpy path below runs."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != model.num_input_bits:
        raise ConvError(f"input bits must be [N, {model.num_input_bits}], got {list(bits.shape)}")
    lib = native_core(engine)
    if lib is not None and not stages and all(st.kernel.arity == 2 for st in model.conv_blocks()):
        if bits.dtype != np.uint8:
            if bits.size and (bits.max() > 1 or bits.min() < 0):
                raise ConvError("input bits must be 0 or 1")
            bits = bits.astype(np.uint8)
        sums, out_bits = NativeConv(model, block_words_for(bits.shape[0])).simulate_bits(
            lib, np.ascontiguousarray(bits), return_output_bits)
        return ConvSimResult(sums, argmax_lowest(sums), out_bits)
    if bits.size and (bits.max() > 1 or bits.min() < 0):
        raise ConvError("input bits must be 0 or 1")
    n = bits.shape[0]
    plans = [SimPlan(st.kernel) if isinstance(st, ConvBlock) and st.kernel.arity != 2 else None
             for st in model.stages]
    head_plan = SimPlan(model.head)
    shapes = model.shapes()
    sums = np.empty((n, model.num_classes), np.int32)
    out_bits = np.empty((n, model.head.num_outputs), np.uint8) if return_output_bits else None
    stage_bits = [np.empty((n,) + shp, np.uint8) for shp in shapes[1:]] if stages else None
    step = _images_per_chunk(model)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        image = model.image_bits(bits[lo:hi].astype(np.uint8, copy=False))  # [n, C*T, H, W]
        fmap = pack_bits(image.reshape(hi - lo, -1)).reshape(shapes[0] + (-1,))
        for i, st in enumerate(model.stages):
            fmap = _conv(st, fmap, plans[i]) if isinstance(st, ConvBlock) else _pool(st, fmap)
            if stages:
                stage_bits[i][lo:hi] = unpack_bits(fmap.reshape(-1, fmap.shape[-1]), hi - lo).reshape(
                    (hi - lo,) + shapes[i + 1])
        outs = output_words(model.head, fmap.reshape(-1, fmap.shape[-1]), head_plan)
        sums[lo:hi] = packed_group_sums(outs, model.num_classes, hi - lo)
        if return_output_bits:
            out_bits[lo:hi] = unpack_bits(outs, hi - lo)
    return ConvSimResult(sums, argmax_lowest(sums), out_bits, stage_bits)


def simulate_conv(model: ConvModel, x: np.ndarray, **kw) -> ConvSimResult:
    """Run on real-valued images ([N, C, H, W], [N, H, W] or [N, C*H*W]) through the encoder."""
    return simulate_conv_bits(model, model.encode(x), **kw)


# ---------------------------------------------------------------------- compiled core
# Scratch of one conv tile (live gate rows x positions x words) kept within L1.
_TILE_BYTES = 24 << 10
_CONST, _INPUT, _SLOT, _OUT = range(4)


def _post_order(roots, operands, base: int) -> list[int]:
    """Gates of the cones of ``roots`` in depth-first post-order (``operands(v)`` their inputs)."""
    order, seen = [], set()
    for root in roots:
        if root < base or root in seen:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if v < 0:
                order.append(~v)
            elif v not in seen:
                seen.add(v)
                x, y = operands(v)
                stack.append(~v)
                if y >= base and y not in seen:
                    stack.append(y)
                if x >= base and x not in seen:
                    stack.append(x)
    return order


def _op_of(fn) -> int:
    """The two-input op id (its truth table, ops.py) of fn(a, b) -> 0/1."""
    return sum(fn(a, b) << (3 - (2 * a + b)) for a in (0, 1) for b in (0, 1))


@lru_cache(maxsize=None)
def _fold_kind(op: int, kx: int, ky: int, same: bool):
    """``_fold`` by operand kinds (0/1 a constant, 2 a signal, 3 its inverse; ``same``: x and y
    are one signal): ('gate', op') | ('x', inverted) | ('y', inverted) | ('const', value)."""
    def fn(a: int, b: int) -> int:
        va = kx if kx < 2 else a ^ (kx - 2)
        vb = ky if ky < 2 else (a if same else b) ^ (ky - 2)
        return (op >> (3 - (2 * va + vb))) & 1

    on_a = kx >= 2 and any(fn(0, b) != fn(1, b) for b in (0, 1))
    on_b = ky >= 2 and not same and any(fn(a, 0) != fn(a, 1) for a in (0, 1))
    if on_a and on_b:
        return ("gate", _op_of(fn))
    return ("x", fn(0, 0)) if on_a else ("y", fn(0, 0)) if on_b else ("const", fn(0, 0))


def _fold(op: int, x: tuple[int, int], y: tuple[int, int]):
    """Gate ``op`` reading x, y given as (signal, inverted) with constants as signal 0/1:
    (op', sx, sy) of an equal gate on the plain signals, or (signal, inverted) when it is a
    constant, a wire or an inverter of one signal."""
    (sx, ix), (sy, iy) = x, y
    kx = sx ^ ix if sx < 2 else 2 + ix
    ky = sy ^ iy if sy < 2 else 2 + iy
    kind, val = _fold_kind(op, kx, ky, sx >= 2 and sx == sy)
    if kind == "gate":
        return val, sx, sy
    return (sx, val) if kind == "x" else (sy, val) if kind == "y" else (val, 0)


def _kernel_program(st: ConvBlock, cin: int, in_hp: int, in_wp: int, fold: bool = True):
    """A kernel netlist as the core's tile program.

    Constants, wires and inverters are folded into the gates that read them (exactly: the
    reader's truth table is rewritten), so only gates that read two signals run; an output
    gate writes its output row directly, an output that no gate of its own computes is one
    copy (or inverting copy) at the end. Gates run in depth-first order from the outputs (a
    tree's gates stay close, so few scratch rows are live at once); gates outside every
    output's cone are not run (``fold=False``: every gate of the cones runs as it is, as in the
    unrolled netlist; for measuring). Operands and destinations are (kind, index): a constant 0/1, a
    window input's cell offset, a scratch slot, an output channel. Returns (ops int32 [G],
    args int64 [G, 3, 2], slots)."""
    kern = st.kernel
    base, rf = kern.base, st.rf
    fanin = kern.fanin.tolist()
    tables = kern.tables.tolist()
    outputs = kern.outputs.tolist()
    # every signal as (signal, inverted) of a gate that runs, an input or a constant
    rep = [(v, 0) for v in range(kern.num_signals)]
    gate: dict[int, tuple[int, int, int]] = {}  # gates that run: op, operand signals
    for v in _post_order(outputs, lambda v: fanin[v - base], base):
        a, b = fanin[v - base]
        r = _fold(int(tables[v - base]), rep[a], rep[b]) if fold else (int(tables[v - base]), a, b)
        if len(r) == 3:
            gate[v] = r
        else:
            rep[v] = r
    owner: dict[int, int] = {}
    tail = []  # outputs no gate of their own writes: (op, source, k)
    for k, v in enumerate(outputs):
        sig, inv = rep[v]
        if sig in gate and not inv and sig not in owner:
            owner[sig] = k
        elif sig < 2:
            tail.append((15 if sig ^ inv else 0, 0, k))
        else:
            tail.append((12 if inv else 3, sig, k))
    order = _post_order([rep[v][0] for v in outputs], lambda v: gate[v][1:], base)
    last = {}
    for idx, v in enumerate(order):
        for u in gate[v][1:]:
            last[u] = idx
    for _, u, _ in tail:
        last[u] = len(order)

    cell, c = np.divmod(np.arange(kern.num_inputs), cin)
    dy, dx = np.divmod(cell, rf)
    code: list = [(_CONST, 0), (_CONST, 1)] + [(_INPUT, r) for r in ((c * in_hp + dy) * in_wp + dx).tolist()] \
        + [None] * kern.num_nodes  # where each signal is read from
    free: list[int] = []
    nslots = 0
    ops_, args = [], []
    for idx, v in enumerate(order):
        op, a, b = gate[v]
        k = owner.get(v)
        if k is not None:
            dst = (_OUT, k)
        else:
            if free:
                slot = free.pop()
            else:
                slot, nslots = nslots, nslots + 1
            dst = (_SLOT, slot)
        code[v] = dst
        ops_.append(op)
        args.append((code[a], code[b], dst))
        for u in ((a,) if a == b else (a, b)):  # after the destination is taken: no gate writes its operand
            if u >= base and last[u] == idx and code[u][0] == _SLOT:
                free.append(code[u][1])
    for op, u, k in tail:
        ops_.append(op)
        args.append((code[u], code[u], (_OUT, k)))
    return np.asarray(ops_, np.int32), np.asarray(args, np.int64).reshape(-1, 3, 2), nslots


def _kernel_program_native(lib, st: ConvBlock, cin: int, in_hp: int, in_wp: int, fold: bool = True):
    """``_kernel_program`` made by the compiled core (``lgn_conv_plan``): the same program,
    without a Python step per gate."""
    kern = st.kernel
    n, k = kern.num_nodes, kern.num_outputs
    cell, c = np.divmod(np.arange(kern.num_inputs, dtype=np.int64), cin)
    dy, dx = np.divmod(cell, st.rf)
    cells = np.ascontiguousarray((c * in_hp + dy) * in_wp + dx)
    tables = np.ascontiguousarray(kern.tables, np.uint64)
    fanin = np.ascontiguousarray(kern.fanin, np.int64)
    outputs = np.ascontiguousarray(kern.outputs, np.int64)
    ops_ = np.empty(n + k, np.int32)
    args = np.empty((n + k, 3, 2), np.int64)
    nslots = ctypes.c_int64(0)
    g = lib.lgn_conv_plan(kern.num_inputs, n, tables.ctypes.data, fanin.ctypes.data, k, outputs.ctypes.data,
                          cells.ctypes.data, int(fold), ops_.ctypes.data, args.ctypes.data, ctypes.byref(nslots))
    if g < 0:
        raise MemoryError("simulator core: out of memory")
    return ops_[:g].copy(), args[:g].copy(), int(nslots.value)


def _word_codes(pairs: np.ndarray, tile: int, block_words: int, out_ch_words: int) -> np.ndarray:
    """(kind, index) pairs [..., 2] -> the core's codes (offset in words << 2 | kind)."""
    kind, idx = pairs[..., 0], pairs[..., 1]
    scale = np.array([tile * block_words, block_words, tile * block_words, out_ch_words], np.int64)[kind]
    return np.ascontiguousarray(idx * scale << 2 | kind)


def block_words_for(n: int) -> int:
    """Words per block for n images: 8 (512 images, measured fastest on the MNIST shape), fewer
    for a small batch."""
    return min(8, 1 << max(0, (n - 1) // 64).bit_length())


class NativeConv:
    """A conv model as ``lgn_conv_simulate`` reads it; holds the arrays the structures point into.
    Made once, it runs any number of batches (``simulate_bits``)."""

    def __init__(self, model: ConvModel, block_words: int = 8, tile_bytes: int = _TILE_BYTES, fold: bool = True,
                 fuse: bool = True):
        """``fuse``: each conv block followed by an OR pool runs fused with it (the conv's rows
        go into a ring of pool-kernel rows; False: the full map is stored, for measuring)."""
        if block_words not in (1, 2, 4, 8, 16):
            raise ValueError(f"block_words {block_words}: expected 1, 2, 4, 8 or 16")
        self.block_words = block_words
        shapes = model.shapes()
        stages = model.stages
        pads = [st.padding for st in stages] + [0]
        self._keep = []
        structs = []
        cells = []
        lib = _simcore.load()
        ring = 0  # rows of the ring the previous (fused) conv writes, 0: a whole map
        for i, st in enumerate(stages):
            ch, h, w = shapes[i]
            oc, oh, ow = shapes[i + 1]
            in_hp, in_wp = h + 2 * pads[i], w + 2 * pads[i]
            cells.append(ch * (ring or in_hp) * in_wp)
            nxt = stages[i + 1] if i + 1 < len(stages) else None
            ring = nxt.kernel if fuse and isinstance(st, ConvBlock) and isinstance(nxt, OrPool) else 0
            out_pad = pads[i + 1]
            out_hp, out_wp = (ring, ow + 2 * out_pad) if ring else (oh + 2 * out_pad, ow + 2 * out_pad)
            s = _simcore.ConvStageStruct(kind=0 if isinstance(st, ConvBlock) else 1, out_ch=oc, oh=oh, ow=ow,
                                         win=st.rf if isinstance(st, ConvBlock) else st.kernel,
                                         stride=st.stride if isinstance(st, ConvBlock) else st.step,
                                         in_hp=in_hp, in_wp=in_wp, out_hp=out_hp, out_wp=out_wp,
                                         out_pad=out_pad, tile=1, pad=pads[i], ring=0)
            if isinstance(st, ConvBlock):
                ops_, args, nslots = (_kernel_program_native(lib, st, ch, in_hp, in_wp, fold) if lib is not None
                                      else _kernel_program(st, ch, in_hp, in_wp, fold))
                s.tile = tile = int(min(ow, max(1, tile_bytes // (8 * block_words * (nslots + 2)))))
                och = out_hp * out_wp * block_words
                args = _word_codes(args, tile, block_words, och)
                self._keep += [ops_, args]
                s.num_gates, s.gate_op, s.gate_arg, s.num_slots = len(ops_), ops_.ctypes.data, args.ctypes.data, nslots
                s.ring = ring
            structs.append(s)
        self.stages = (_simcore.ConvStageStruct * len(structs))(*structs)
        c, h, w = model.in_shape
        self.map_cells = np.asarray(cells, np.int64)
        self.head = _simcore.NativeNet(model.head)
        self.struct = _simcore.ConvModelStruct(len(structs), ctypes.addressof(self.stages), model.num_input_bits,
                                               c, model.bits_per_channel, h, w, pads[0],
                                               self.map_cells.ctypes.data, ctypes.pointer(self.head.struct))
        self.num_classes, self.num_outputs = model.num_classes, model.head.num_outputs

    def simulate_bits(self, lib, bits: np.ndarray, out_bits: bool):
        """bits uint8 [N, I] (C-contiguous) -> (sums int32 [N, C], output bits uint8 [N, O] | None)."""
        n = bits.shape[0]
        s = np.empty((n, self.num_classes), np.int32)
        o = np.empty((n, self.num_outputs), np.uint8) if out_bits else None
        rc = lib.lgn_conv_simulate(ctypes.byref(self.struct), bits.ctypes.data, n, s.ctypes.data,
                                   None if o is None else o.ctypes.data, self.block_words)
        if rc == -2:
            raise ConvError("input bits must be 0 or 1")
        if rc:
            raise MemoryError("simulator core: out of memory")
        return s, o
