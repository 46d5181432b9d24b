# SPDX-License-Identifier: MIT
"""Random conv models for the conv tests (hypothesis strategies and a seeded builder)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lgn2hw.conv import ConvBlock, ConvModel, OrPool, tree_kernel
from lgn2hw.ir import Netlist


def random_tree_block(rng, cin: int, k: int, depth: int, rf: int, stride: int = 1, padding: int = 0,
                      groups: int = 1) -> ConvBlock:
    """K random logic trees; with ``groups`` > 1 kernel j reads only its channel group."""
    nleaf = 1 << (depth - 1)
    per = cin // groups
    dy = rng.integers(0, rf, size=(k, nleaf, 2))
    dx = rng.integers(0, rf, size=(k, nleaf, 2))
    g = (np.arange(k) * groups // k)[:, None, None]
    c = g * per + rng.integers(0, per, size=(k, nleaf, 2))
    leaf = (dy * rf + dx) * cin + c
    kernel = tree_kernel(leaf, rng.integers(0, 16, size=(k, nleaf)),
                         [rng.integers(0, 16, size=(k, nleaf >> (lv + 1))) for lv in range(depth - 1)],
                         rf * rf * cin)
    return ConvBlock(kernel, rf, stride, padding)


def random_dense(rng, num_inputs: int, widths, classes: int) -> Netlist:
    tables, fanin = [], []
    prev = np.arange(2, 2 + num_inputs)
    nxt = 2 + num_inputs
    for wdt in widths:
        tables.append(rng.integers(0, 16, size=wdt).astype(np.uint64))
        fanin.append(prev[rng.integers(0, prev.size, size=(wdt, 2))])
        prev = np.arange(nxt, nxt + wdt)
        nxt += wdt
    return Netlist.build(num_inputs, 2, np.concatenate(tables), np.concatenate(fanin), prev, classes)


def random_model(rng, in_shape=(1, 8, 8), t: int = 2, spec=(("conv", 4, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)),
                 widths=(24,), classes: int = 4) -> ConvModel:
    """spec entries: ("conv", k, depth, rf, stride, padding, groups) or ("pool", kernel, stride, padding)."""
    c, h, w = in_shape
    thr = np.sort(rng.uniform(0.1, 0.9, size=(c, t)), axis=1)
    stages = []
    shape = (c * t, h, w)
    for s in spec:
        if s[0] == "conv":
            _, k, d, rf, stride, pad, groups = s
            st_ = random_tree_block(rng, shape[0], k, d, rf, stride, pad, groups)
        else:
            _, kk, stride, pad = s
            st_ = OrPool(kk, stride, pad)
        stages.append(st_)
        shape = st_.out_shape(shape)
    head = random_dense(rng, int(np.prod(shape)), widths, classes)
    return ConvModel((c, h, w), thr, tuple(stages), head)


@st.composite
def conv_models(draw):
    """Random geometries: stride 1/2, padding 0/1, channel groups, overlapping and padded pooling."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    c = draw(st.sampled_from([1, 2]))
    t = draw(st.sampled_from([1, 2, 3]))
    h = draw(st.integers(5, 9))
    w = draw(st.integers(5, 9))
    spec = []
    shape = (c * t, h, w)
    for i in range(draw(st.integers(1, 2))):
        rf = draw(st.sampled_from([1, 2, 3]))
        stride = draw(st.sampled_from([1, 1, 2]))
        pad = draw(st.integers(0, min(1, rf - 1)))
        groups = draw(st.sampled_from([g for g in (1, 2) if shape[0] % g == 0]))
        k = groups * draw(st.integers(1, 3))
        d = draw(st.integers(1, 3))
        oh, ow = (shape[1] + 2 * pad - rf) // stride + 1, (shape[2] + 2 * pad - rf) // stride + 1
        if oh < 1 or ow < 1:
            break
        spec.append(("conv", k, d, rf, stride, pad, groups))
        shape = (k, oh, ow)
        if draw(st.booleans()) and min(oh, ow) >= 2:
            kk = draw(st.sampled_from([2, 3])) if min(oh, ow) >= 3 else 2
            ps = draw(st.sampled_from([1, 2]))
            pp = draw(st.integers(0, kk // 2))
            spec.append(("pool", kk, ps, pp))
            shape = (k, (oh + 2 * pp - kk) // ps + 1, (ow + 2 * pp - kk) // ps + 1)
    if not spec:
        spec = [("conv", 2, 2, 1, 1, 0, 1)]
    classes = draw(st.sampled_from([1, 2, 3]))
    widths = (draw(st.integers(1, 12)), classes * draw(st.integers(1, 4)))
    return random_model(rng, (c, h, w), t, tuple(spec), widths, classes)


async def drive_frames(ctx, valid, data, ready, frames, gaps, rng, bubble: float) -> None:
    """Stream frames [C, H, W] of bits in raster order, C bits a pixel (channel c at bit c), into
    an Amaranth valid/ready port: gaps[f] idle cycles before frame f, random bubbles inside."""
    for f, frame in enumerate(frames):
        for _ in range(gaps[f]):
            ctx.set(valid, 0)
            await ctx.tick()
        flat = frame.transpose(1, 2, 0).reshape(-1, frame.shape[0])
        k = 0
        while k < flat.shape[0]:
            if rng.random() < bubble:
                ctx.set(valid, 0)
                await ctx.tick()
                continue
            ctx.set(valid, 1)
            ctx.set(data, int(sum(int(b) << i for i, b in enumerate(flat[k]))))
            accepted = ctx.get(ready)
            await ctx.tick()
            k += int(accepted)
    ctx.set(valid, 0)
