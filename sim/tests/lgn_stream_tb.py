# SPDX-License-Identifier: MIT
"""cocotb testbench for the streaming conv core (metadata kind "stream"; backend/stream.py).

A driver streams whole images pixel by pixel (``in_valid``, ``in_first`` on each image's first
pixel, ``in_pixel``), honouring ``in_ready``; a monitor samples ``out_class``/``out_sums`` while
``out_valid`` is high; every image's result is compared, in order, with the reference
simulator's (precomputed by ``lgn2hw.verify`` into the vectors file: ``pixels`` uint64 [N, H*W],
``sums`` [N, C], ``classes`` [N], ``labels`` [N]).

Tests: ``frames_back_to_back`` (one pixel per clock, no gap: the core must never stall; the
last image alone measures the latency from its last pixel to ``out_valid``),
``frames_with_bubbles`` (random idle cycles inside and between images, garbage on the pixel
port while idle), ``reset_mid_frame`` (rst while an image is half in: it is dropped, the next
ones are exact), ``first_cuts_frame`` (``in_first`` before an image is complete resets the
front end: the cut image is dropped, the next ones are exact). Configuration: ``LGN2HW_CORE_DIR``,
``LGN2HW_VECTORS``, ``LGN2HW_RESULT_DIR``, ``LGN2HW_SEED``, ``LGN2HW_BUBBLE_PROB``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from lgn2hw.backend.metadata import load_metadata
from lgn2hw.ir import atomic_write

PERIOD_NS = 10
RESET_CYCLES = 2


def as_int(value) -> int:
    """A sampled value as an unsigned int (a 1-bit port samples as a Logic); ValueError on X/Z."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


def edge_index() -> int:
    return int(round(get_sim_time("ns") / PERIOD_NS))


class Bench:
    def __init__(self, dut, test: str):
        self.dut, self.test = dut, test
        self.meta = load_metadata(os.environ["LGN2HW_CORE_DIR"])
        z = np.load(os.environ["LGN2HW_VECTORS"], allow_pickle=False)
        self.pixels, self.sums, self.classes = z["pixels"], z["sums"], z["classes"]
        self.labels = [str(v) for v in z["labels"]]
        self.rng = np.random.default_rng(int(os.environ.get("LGN2HW_SEED", "0")) + len(test))
        self.sw, self.nc = self.meta.sum_width, self.meta.classes
        self.expected: list[int] = []    # image index of each expected output, in order
        self.outputs: list[tuple] = []   # (edge, class, sums)
        self.errors: list[str] = []
        self.last_pixel_edge: dict[int, int] = {}
        self.stalls = 0
        self._mon = None

    async def start(self) -> None:
        d = self.dut
        Clock(d.clk, PERIOD_NS, unit="ns").start()
        d.rst.value = 1
        d.in_valid.value = 0
        d.in_first.value = 0
        d.in_pixel.value = 0
        await ClockCycles(d.clk, RESET_CYCLES)
        await RisingEdge(d.clk)
        d.rst.value = 0
        self._mon = cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        d = self.dut
        while True:
            await ReadOnly()
            v = d.out_valid.value
            if not v.is_resolvable:
                self.errors.append(f"edge {edge_index()}: out_valid is {v}")
            elif int(v):
                try:
                    self.outputs.append((edge_index(), as_int(d.out_class.value), as_int(d.out_sums.value)))
                except ValueError:
                    self.outputs.append((edge_index(), None, None))
            await RisingEdge(d.clk)

    async def idle(self, cycles: int) -> None:
        d = self.dut
        for _ in range(cycles):
            d.in_valid.value = 0
            d.in_first.value = int(self.rng.integers(0, 2))  # ignored without in_valid
            d.in_pixel.value = int(self.rng.integers(0, 1 << min(62, self.meta.num_inputs)))
            await RisingEdge(d.clk)

    async def image(self, i: int, bubble: float = 0.0, stop_after: int | None = None) -> None:
        """Stream image i (its first ``stop_after`` pixels only, if given), honouring in_ready."""
        d = self.dut
        px = self.pixels[i]
        n = len(px) if stop_after is None else stop_after
        k = 0
        while k < n:
            if bubble and self.rng.random() < bubble:
                await self.idle(1)
                continue
            d.in_valid.value = 1
            d.in_first.value = int(k == 0)
            d.in_pixel.value = int(px[k])
            await ReadOnly()
            ready = int(d.in_ready.value)
            await RisingEdge(d.clk)
            if ready:
                if k == len(px) - 1:
                    self.last_pixel_edge[i] = edge_index() - 1
                k += 1
            else:
                self.stalls += 1
        d.in_valid.value = 0
        d.in_first.value = 0

    async def finish(self, t0: float, measure: int | None = None) -> dict:
        """Wait for the expected outputs, compare, write the test's JSON."""
        wait = self.meta.latency + 4 * self.meta.stream["cycles_per_image"] + 64
        last = edge_index()
        while len(self.outputs) < len(self.expected) and edge_index() - last < wait:
            await RisingEdge(self.dut.clk)
        await ClockCycles(self.dut.clk, 8)
        self._mon.cancel()
        mismatches, first = 0, None
        for j, i in enumerate(self.expected):
            if j >= len(self.outputs):
                problem, got = "no output (out_valid never came)", None
            else:
                edge, cls, packed = self.outputs[j]
                got = (cls, None if packed is None else
                       [(packed >> (c * self.sw)) & ((1 << self.sw) - 1) for c in range(self.nc)])
                want = (int(self.classes[i]), [int(v) for v in self.sums[i]])
                problem = None if got == want else "class or sums differ"
            if problem:
                mismatches += 1
                if first is None:
                    first = {"test": self.test, "index": int(i), "label": self.labels[i], "problem": problem,
                             "expected_class": int(self.classes[i]), "expected_sums": [int(v) for v in self.sums[i]],
                             "actual": None if got is None else [got[0], got[1]]}
        if len(self.outputs) > len(self.expected):
            self.errors.append(f"{len(self.outputs) - len(self.expected)} output(s) more than images expected")
        latencies = []
        if measure is not None and measure in self.last_pixel_edge and len(self.outputs) == len(self.expected):
            latencies = [self.outputs[self.expected.index(measure)][0] - self.last_pixel_edge[measure]]
        result = {"test": self.test, "vectors": len(self.expected), "mismatches": mismatches,
                  "latencies": latencies, "declared_latency": self.meta.latency, "first_mismatch": first,
                  "errors": self.errors[:20], "stream_seconds": time.perf_counter() - t0, "stalls": self.stalls}
        out = Path(os.environ["LGN2HW_RESULT_DIR"]) / f"{self.test}.json"
        atomic_write(out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
        self.dut._log.info("%s: %d images, %d mismatches, latency %s (declared %d), %d stalls", self.test,
                           len(self.expected), mismatches, latencies, self.meta.latency, self.stalls)
        assert not self.errors, "; ".join(self.errors[:3])
        assert mismatches == 0, f"{mismatches} of {len(self.expected)} images mismatched; first: {first}"
        return result


@cocotb.test()
async def frames_back_to_back(dut):
    """Every image back to back at one pixel per clock (no stall allowed), then the last alone."""
    b = Bench(dut, "frames_back_to_back")
    await b.start()
    t0 = time.perf_counter()
    n = len(b.pixels)
    for i in range(n - 1):
        await b.image(i)
        b.expected.append(i)
    if b.stalls:
        b.errors.append(f"in_ready fell {b.stalls} time(s) while images came back to back")
    await b.idle(b.meta.latency + 2 * b.meta.stream["cycles_per_image"])  # everything out: the last one alone
    await b.image(n - 1)
    b.expected.append(n - 1)
    res = await b.finish(t0, measure=n - 1)
    assert res["latencies"] == [b.meta.latency], \
        f"measured latency {res['latencies']}, metadata.json declares {b.meta.latency}"


@cocotb.test()
async def frames_with_bubbles(dut):
    """Random idle cycles inside images and random gaps between them."""
    b = Bench(dut, "frames_with_bubbles")
    await b.start()
    t0 = time.perf_counter()
    prob = float(os.environ.get("LGN2HW_BUBBLE_PROB", "0.3"))
    tail = sum(s.get("tail", 0) for s in b.meta.stream["stages"])
    for i in range(min(len(b.pixels), 24)):
        await b.idle(int(b.rng.choice([0, 0, 1, 2, 3, max(1, tail // 2), tail + 5])))
        await b.image(i, bubble=prob)
        b.expected.append(i)
    await b.finish(t0)


async def run_interrupted(dut, test: str, stop_after, interrupt=None) -> None:
    """Image 0 (out before the interruption), the first ``stop_after(pixels)`` pixels of image 1,
    ``interrupt(bench)``, then images 2..5: image 1 must be dropped and the others exact."""
    b = Bench(dut, test)
    await b.start()
    t0 = time.perf_counter()
    n = min(len(b.pixels), 6)
    await b.image(0)
    b.expected.append(0)
    await b.idle(b.meta.latency + 8)  # image 0 is out before the interruption (it resets the front end)
    await b.image(1, stop_after=stop_after(len(b.pixels[1])))
    if interrupt is not None:
        await interrupt(b)
    for i in range(2, n):
        await b.image(i)
        b.expected.append(i)
    await b.finish(t0)


async def pulse_reset(b: Bench) -> None:
    b.dut.rst.value = 1
    await b.idle(3)
    b.dut.rst.value = 0


@cocotb.test()
async def reset_mid_frame(dut):
    """rst for 3 cycles while image 1 is half in: it is dropped; images 2.. come out exactly."""
    await run_interrupted(dut, "reset_mid_frame", lambda n: n // 2, pulse_reset)


@cocotb.test()
async def first_cuts_frame(dut):
    """in_first in the middle of image 1 (image 2's first pixel): the cut image is dropped;
    images 2.. come out exactly."""
    await run_interrupted(dut, "first_cuts_frame", lambda n: n // 2 + 3)
