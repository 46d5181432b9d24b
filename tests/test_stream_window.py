# SPDX-License-Identifier: MIT
"""The streaming window generator in Amaranth's simulator against numpy windows."""
from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from lgn2hw.backend.window import WindowGen, WindowGeometry

from _convgen import drive_frames


def ref_windows(frame: np.ndarray, g: WindowGeometry) -> np.ndarray:
    """[H'*W', rf*rf*C] windows of one frame [C, H, W], index (dy*rf + dx)*C + c, padding 0."""
    c, h, w = frame.shape
    p = g.padding
    pad = np.zeros((c, h + 2 * p, w + 2 * p), np.uint8)
    pad[:, p:p + h, p:p + w] = frame
    out = []
    for i in range(g.out_height):
        for j in range(g.out_width):
            win = pad[:, i * g.stride:i * g.stride + g.rf, j * g.stride:j * g.stride + g.rf]
            out.append(win.transpose(1, 2, 0).reshape(-1))
    return np.array(out, np.uint8)


def run(g: WindowGeometry, frames: list[np.ndarray], gaps, bubble: float, seed: int = 0):
    """Stream frames (gaps[f] idle cycles before frame f, random bubbles inside); collect windows."""
    dut = WindowGen(g)
    rng = np.random.default_rng(seed)
    got = []

    async def bench(ctx):
        await drive_frames(ctx, dut.i_valid, dut.i_data, dut.i_ready, frames, gaps, rng, bubble)
        for _ in range(g.tail + 4 + g.width * 2):
            await ctx.tick()

    async def monitor(ctx):
        async for vals in ctx.tick().sample(dut.o_valid, dut.o_window, dut.o_first, dut.o_last):
            _, _, valid, window, first, last = vals if len(vals) == 6 else (None, None, *vals)
            if valid:
                bits = [(window >> i) & 1 for i in range(g.rf * g.rf * g.channels)]
                got.append((bits, first, last))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    return got


GEOS = [WindowGeometry(2, 5, 6, 3, 1, 1), WindowGeometry(1, 6, 5, 3, 2, 1), WindowGeometry(3, 4, 4, 2, 1, 0),
        WindowGeometry(2, 7, 5, 3, 2, 0), WindowGeometry(1, 6, 6, 2, 2, 0), WindowGeometry(2, 5, 5, 1, 1, 0),
        WindowGeometry(1, 8, 7, 5, 1, 2), WindowGeometry(2, 6, 6, 3, 3, 1)]


@pytest.mark.parametrize("g", GEOS, ids=lambda g: f"c{g.channels}h{g.height}w{g.width}rf{g.rf}s{g.stride}p{g.padding}")
def test_window_stream(g):
    rng = np.random.default_rng(g.rf * 100 + g.stride * 10 + g.padding)
    frames = [rng.integers(0, 2, size=(g.channels, g.height, g.width), dtype=np.uint8) for _ in range(4)]
    # frame 1 back to back, frame 2 after a short gap (its start waits for the border), frame 3 after a long one
    gaps = [0, 0, 1, 3 * g.width * g.height]
    got = run(g, frames, gaps, bubble=0.2)
    want = np.concatenate([ref_windows(f, g) for f in frames])
    assert len(got) == want.shape[0]
    assert np.array_equal(np.array([b for b, _, _ in got], np.uint8), want)
    per = g.out_height * g.out_width
    assert [i for i, (_, f, _) in enumerate(got) if f] == [k * per for k in range(4)]
    assert [i for i, (_, _, l) in enumerate(got) if l] == [k * per + per - 1 for k in range(4)]


def test_full_rate_back_to_back_never_waits():
    g = WindowGeometry(2, 6, 6, 3, 1, 1)
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 2, size=(2, 6, 6), dtype=np.uint8) for _ in range(3)]
    dut = WindowGen(g)
    stalls = []

    async def bench(ctx):
        for frame in frames:
            for px in frame.transpose(1, 2, 0).reshape(-1, 2):
                ctx.set(dut.i_valid, 1)
                ctx.set(dut.i_data, int(px[0]) | int(px[1]) << 1)
                stalls.append(1 - ctx.get(dut.i_ready))
                await ctx.tick()
        ctx.set(dut.i_valid, 0)
        for _ in range(20):
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert sum(stalls) == 0


def test_unstreamable_geometry_is_refused():
    from lgn2hw.errors import LgnError
    with pytest.raises(LgnError, match="padding 2 with rf 3 cannot stream"):
        WindowGeometry(1, 8, 8, 3, 1, 2).check("stage 0")
