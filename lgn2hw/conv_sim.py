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

from dataclasses import dataclass

import numpy as np

from .conv import ConvBlock, ConvError, ConvModel, OrPool, pad_map, shifted
from .sim import SimPlan, _apply_op2, argmax_lowest, output_words, pack_bits, packed_group_sums, unpack_bits

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
                       return_output_bits: bool = False) -> ConvSimResult:
    """Run the model on its input bits uint8 [N, num_input_bits] (flat order, see conv.py)."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != model.num_input_bits:
        raise ConvError(f"input bits must be [N, {model.num_input_bits}], got {list(bits.shape)}")
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
