# SPDX-License-Identifier: MIT
"""The streaming front end (window generators, kernels, OR pools, bank) in Amaranth's simulator
against the conv simulator's last-stage bits."""
from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from lgn2hw import conv_sim
from lgn2hw.backend.options import EmitOptions
from lgn2hw.backend.plan import plan_core
from lgn2hw.backend.stream import StreamFrontEnd, plan_stream

from _convgen import drive_frames, random_model


def stream_features(model, images_bits, gaps, bubble, every=1, seed=0):
    head = plan_core(model.head, EmitOptions(top="t_head"))
    plan = plan_stream(model, head, "t", every)
    dut = StreamFrontEnd(plan, model)
    rng = np.random.default_rng(seed)
    got = []

    async def bench(ctx):
        await drive_frames(ctx, dut.in_valid, dut.in_pixel, dut.in_ready, images_bits, gaps, rng, bubble)
        for _ in range(plan.latency + 50):
            await ctx.tick()

    async def monitor(ctx):
        async for _, _, valid, feats in ctx.tick().sample(dut.feat_valid, dut.features):
            if valid:
                got.append([(feats >> i) & 1 for i in range(plan.features)])

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    return np.array(got, np.uint8), plan


SPECS = {
    "conv-pool": (("conv", 4, 2, 3, 1, 1, 1), ("pool", 2, 2, 0)),
    "conv-pool-conv": (("conv", 3, 2, 3, 1, 1, 1), ("pool", 2, 2, 0), ("conv", 4, 3, 3, 1, 1, 1)),
    "stride2-pad-overlap-pool": (("conv", 2, 2, 3, 2, 1, 2), ("pool", 3, 1, 1)),
    "valid-conv": (("conv", 3, 3, 2, 1, 0, 1), ("pool", 2, 2, 0)),
    # rf 1 emits at a frame's first pixel: nothing may reach the next stage while it drains
    "rf1-then-padded": (("conv", 3, 2, 1, 1, 0, 1), ("conv", 2, 2, 3, 1, 1, 1), ("pool", 3, 1, 1)),
    # non-overlapping pools accumulate (pool.py), the last one in the bank: with padding, with
    # rows and columns no window reads, one window wide (a line of one word), then a padded conv
    "padded-pools": (("conv", 3, 2, 3, 1, 1, 1), ("pool", 3, 3, 1), ("conv", 2, 2, 3, 1, 1, 1), ("pool", 2, 2, 1)),
    "pool-remainder": (("conv", 3, 2, 2, 1, 0, 1), ("pool", 2, 2, 0), ("conv", 2, 2, 2, 1, 0, 1), ("pool", 2, 2, 0)),
    "pool-to-one-column": (("conv", 2, 2, 3, 1, 0, 1), ("pool", 6, 6, 0), ("conv", 3, 2, 1, 1, 0, 1)),
}


@pytest.mark.parametrize("every", [0, 1])
@pytest.mark.parametrize("name", list(SPECS))
def test_front_end_matches_conv_sim(name, every):
    rng = np.random.default_rng(len(name) + every)
    model = random_model(rng, (1, 8, 8), 2, SPECS[name], widths=(12,), classes=2)
    n = 6
    x = rng.uniform(0, 1, size=(n, 1, 8, 8))
    bits = model.encode(x)
    ref = conv_sim.simulate_conv_bits(model, bits, stages=True).stages[-1].reshape(n, -1)
    # back to back, gaps shorter and longer than a border, random bubbles inside frames
    gaps = [0, 0, 1, 2, 7, 150]
    for bubble in (0.0, 0.3):
        got, plan = stream_features(model, model.image_bits(bits), gaps, bubble=bubble, every=every, seed=n)
        assert got.shape == ref.shape, f"bubble {bubble}: {got.shape[0]} of {n} images came out"
        assert np.array_equal(got, ref), f"bubble {bubble}"
