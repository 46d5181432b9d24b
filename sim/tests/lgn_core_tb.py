# SPDX-License-Identifier: MIT
"""cocotb testbench for any core emitted by lgn2hw (the hardware core contract in DESIGN.md).

Wiring, as in cocotb's examples: a ``ValidDriver`` streams ``in_data`` words with ``in_valid``
(one per clock, optionally with random idle cycles), a ``ValidMonitor`` samples ``out_class``
and ``out_sums`` whenever ``out_valid`` is high and hands them to an ``InOrderChecker``, which
compares every class and sum lane with the reference model (``lgn_model``) and checks each
vector's latency against ``metadata.json``.

Configuration comes from the environment (``run_bench.py`` sets it):
``LGN2HW_CORE_DIR`` (metadata.json, netlist.npz), ``LGN2HW_VECTORS`` (vectors .npz),
``LGN2HW_RESULT_DIR`` (one JSON per test is written there), ``LGN2HW_BUBBLE_VECTORS``,
``LGN2HW_BUBBLE_PROB``, ``LGN2HW_RESET_VECTORS``, ``LGN2HW_SEED``.
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

from lgn_model import LgnModel
from lgn2hw.ir import atomic_write
from lgn2hw.verify import load_vectors

PERIOD_NS = 10
RESET_CYCLES = 2
RESET_PULSE = 3    # cycles of rst in the middle of reset_mid_stream
DRAIN_MARGIN = 16  # cycles past the declared latency before missing outputs are reported


def edge_index() -> int:
    """Number of the clock edge we are at (the clock rises at t = k * period)."""
    return int(round(get_sim_time("ns") / PERIOD_NS))


def as_int(value) -> int:
    """A sampled handle value as an unsigned int; ValueError when it holds X or Z."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


class ValidDriver:
    """Drives ``data`` words with ``valid``: one word per clock, or with random idle cycles."""

    def __init__(self, clk, valid, data, on_issue):
        self.clk, self.valid, self.data, self.on_issue = clk, valid, data, on_issue

    async def stream(self, words: list[int], bubble_prob: float = 0.0, rng=None, mask: int = 0) -> None:
        for word in words:
            while bubble_prob and rng.random() < bubble_prob:
                self.valid.value = 0
                self.data.value = ~word & mask  # garbage while idle: the core must ignore it
                await RisingEdge(self.clk)
            self.valid.value = 1
            self.data.value = word
            self.on_issue(edge_index())
            await RisingEdge(self.clk)
        self.valid.value = 0


class ValidMonitor:
    """Samples the outputs after every rising edge (settled, in ReadOnly) while ``valid`` is high."""

    def __init__(self, clk, valid, signals: dict, callback):
        self.clk, self.valid, self.signals, self.callback = clk, valid, signals, callback
        self._task = None

    def start(self) -> None:
        self._task = cocotb.start_soon(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:  # sample this edge first: a latency-0 core answers in the cycle it is driven
            await ReadOnly()
            v = self.valid.value
            if not v.is_resolvable:
                self.callback(edge_index(), None, f"out_valid is {v}")
            elif int(v):
                self.callback(edge_index(), {k: s.value for k, s in self.signals.items()}, None)
            await RisingEdge(self.clk)


class InOrderChecker:
    """Compares the i-th output with the model's i-th expectation; records latency per vector."""

    def __init__(self, model: LgnModel, words, labels, expected, test: str, log):
        self.model, self.words, self.labels, self.exp, self.test, self.log = model, words, labels, expected, test, log
        self.issued: list[int] = []
        self.received = 0
        self.mismatches = 0
        self.latencies: set[int] = set()
        self.first: dict | None = None
        self.errors: list[str] = []  # protocol errors (X on out_valid, extra outputs)
        self.index_map = None        # output i -> index in the vectors file, when a stream reorders them

    def issue(self, edge: int) -> None:
        self.issued.append(edge)

    def on_output(self, edge: int, sample: dict | None, problem: str | None) -> None:
        if sample is None:
            self.errors.append(f"edge {edge}: {problem}")
            return
        i = self.received
        self.received += 1
        if i >= len(self.issued):
            self.errors.append(f"edge {edge}: out_valid with no vector in flight (output {i})")
            return
        self.latencies.add(edge - self.issued[i])
        exp_sums = [int(v) for v in self.exp.sums[i]]
        exp_cls = int(self.exp.classes[i])
        try:
            cls = as_int(sample["out_class"])
            sums = self.model.split_sums(as_int(sample["out_sums"]))
            problem = []
            if cls != exp_cls:
                problem.append("class differs")
            bad = [c for c in range(len(sums)) if sums[c] != exp_sums[c]]
            if bad:
                problem.append(f"sum lanes {bad} differ")
        except ValueError:
            cls, sums = str(sample["out_class"]), str(sample["out_sums"])
            problem = ["X/Z on the outputs"]
        if problem:
            self._fail(i, "; ".join(problem), cls, sums, edge)

    def finish(self) -> None:
        """Vectors that never came out count as mismatches."""
        for i in range(self.received, len(self.words)):
            self._fail(i, "no output (out_valid never came)", None, None, None)

    def _fail(self, i, problem, cls, sums, edge) -> None:
        self.mismatches += 1
        if self.mismatches <= 5:
            self.log.error("vector %d (%s): %s: expected class %d sums %s, got class %s sums %s",
                           i, self.labels[i], problem, int(self.exp.classes[i]),
                           [int(v) for v in self.exp.sums[i]], cls, sums)
        if self.first is None:
            index = int(self.index_map[i]) if self.index_map is not None else i
            self.first = {"test": self.test, "index": index, "label": self.labels[i], "problem": problem,
                          "in_data": f"{self.words[i]:x}", "expected_class": int(self.exp.classes[i]),
                          "expected_sums": [int(v) for v in self.exp.sums[i]], "actual_class": cls,
                          "actual_sums": sums, "edge": edge,
                          "sim_time_ns": None if edge is None else edge * PERIOD_NS}


def load_stream(model: LgnModel, limit: int | None = None, length: int | None = None):
    """(port bits, labels, index of each in the vectors file) of the first ``limit`` vectors,
    repeated up to ``length`` if given."""
    port_bits, labels = load_vectors(os.environ["LGN2HW_VECTORS"])
    n = len(labels) if limit is None else min(limit, len(labels))
    idx = np.resize(np.arange(n), n if length is None else length)
    port_bits, labels = port_bits[idx], [labels[i] for i in idx]
    assert port_bits.shape[1] == model.in_width, \
        f"vectors are {port_bits.shape[1]} bits wide, in_data is {model.in_width}"
    return port_bits, labels, idx


async def start_after_reset(dut, checker: InOrderChecker) -> None:
    """Start the clock, hold rst for RESET_CYCLES and check that out_valid is low."""
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_data.value = 0
    await ClockCycles(dut.clk, RESET_CYCLES)
    await ReadOnly()
    v = dut.out_valid.value
    reset_ok = v.is_resolvable and int(v) == 0
    if not reset_ok:
        checker.errors.append(f"out_valid is {v} after {RESET_CYCLES} cycles of reset, expected 0")
    await RisingEdge(dut.clk)
    dut.rst.value = 0


async def finish_stream(dut, model: LgnModel, checker: InOrderChecker, monitor: ValidMonitor, test: str,
                        t0: float, count: int) -> None:
    """Drain the pipeline, write the test's JSON and assert it passed."""
    last = edge_index()
    while checker.received < count and edge_index() - last <= model.latency + DRAIN_MARGIN:
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, 2)  # a stray extra out_valid shows up here
    stream_s = time.perf_counter() - t0
    monitor.stop()
    checker.finish()

    result = {"test": test, "vectors": count, "mismatches": checker.mismatches,
              "latencies": sorted(checker.latencies), "declared_latency": model.latency,
              "first_mismatch": checker.first, "errors": checker.errors[:20], "stream_seconds": stream_s}
    out = Path(os.environ["LGN2HW_RESULT_DIR"]) / f"{test}.json"
    atomic_write(out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    dut._log.info("%s: %d vectors, %d mismatches, latency %s (declared %d), %.0f vectors/s", test,
                  count, checker.mismatches, sorted(checker.latencies), model.latency,
                  count / stream_s if stream_s else 0.0)
    assert not checker.errors, "; ".join(checker.errors[:3])
    assert checker.mismatches == 0, f"{checker.mismatches} of {count} vectors mismatched; first: {checker.first}"
    assert checker.latencies <= {model.latency}, \
        f"measured latency {sorted(checker.latencies)}, metadata.json declares {model.latency}"


async def run_stream(dut, test: str, bubble_prob: float, limit: int | None = None) -> None:
    model = LgnModel(os.environ["LGN2HW_CORE_DIR"])
    port_bits, labels, _ = load_stream(model, limit)
    words = model.words(port_bits)
    expected = model.predict(port_bits)
    rng = np.random.default_rng(int(os.environ.get("LGN2HW_SEED", "0")))
    checker = InOrderChecker(model, words, labels, expected, test, dut._log)
    await start_after_reset(dut, checker)

    monitor = ValidMonitor(dut.clk, dut.out_valid, {"out_class": dut.out_class, "out_sums": dut.out_sums},
                           checker.on_output)
    monitor.start()
    driver = ValidDriver(dut.clk, dut.in_valid, dut.in_data, checker.issue)
    t0 = time.perf_counter()
    await driver.stream(words, bubble_prob, rng, (1 << model.in_width) - 1)
    await finish_stream(dut, model, checker, monitor, test, t0, len(words))


def reset_plan(latency: int, count: int) -> tuple[int, list[int]]:
    """(vectors streamed before rst rises, indices of the vectors that must come out) for
    ``count`` vectors streamed back to back, the vector at index ``before + k`` driven with
    rst high for k < RESET_PULSE. rst clears the valid pipeline: vector j is captured at the
    edge after it is driven and leaves ``latency`` edges later, so it is lost if a reset edge
    falls in between, i.e. for before + 1 - latency <= j < before + RESET_PULSE."""
    before = latency + 2  # the pipeline is full of vectors when rst rises
    lost = range(max(0, before + 1 - latency), before + RESET_PULSE)
    return before, [j for j in range(count) if j not in lost]


async def run_reset(dut, test: str, count: int) -> None:
    model = LgnModel(os.environ["LGN2HW_CORE_DIR"])
    lat = model.latency
    count = max(count, lat + 2 + RESET_PULSE + 8)  # vectors before, during and after the pulse
    port_bits, labels, source = load_stream(model, length=count)
    words = model.words(port_bits)
    before, keep = reset_plan(lat, count)
    expected = model.predict(port_bits[keep])
    checker = InOrderChecker(model, [words[j] for j in keep], [labels[j] for j in keep], expected, test, dut._log)
    checker.index_map = source[keep]
    if lat < 1:
        checker.errors.append("latency 0: no valid pipeline for rst to clear")
    await start_after_reset(dut, checker)
    reset_edges = set()

    def on_output(edge, sample, problem):
        if edge in reset_edges:
            checker.errors.append(f"edge {edge}: out_valid high right after a clock edge with rst high")
        checker.on_output(edge, sample, problem)

    monitor = ValidMonitor(dut.clk, dut.out_valid, {"out_class": dut.out_class, "out_sums": dut.out_sums},
                           on_output)
    monitor.start()
    t0 = time.perf_counter()
    kept = set(keep)
    for j, word in enumerate(words):  # back to back; rst high while vectors before+0..PULSE-1 are driven
        pulse = before <= j < before + RESET_PULSE
        dut.rst.value = int(pulse)
        dut.in_valid.value = 1
        dut.in_data.value = word
        if pulse:
            reset_edges.add(edge_index() + 1)
        if j in kept:
            checker.issue(edge_index())
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    dut.in_valid.value = 0
    await finish_stream(dut, model, checker, monitor, test, t0, len(keep))


@cocotb.test()
async def stream_full_throughput(dut):
    """Every vector back to back, one per clock."""
    await run_stream(dut, "stream_full_throughput", 0.0)


@cocotb.test()
async def stream_with_bubbles(dut):
    """The first vectors again with random idle cycles (in_valid low, garbage on in_data)."""
    await run_stream(dut, "stream_with_bubbles", float(os.environ.get("LGN2HW_BUBBLE_PROB", "0.3")),
                     int(os.environ.get("LGN2HW_BUBBLE_VECTORS", "256")))


@cocotb.test()
async def reset_mid_stream(dut):
    """rst raised for a few cycles while the pipeline is full (in_valid stays high): the vectors
    in flight are dropped, out_valid stays low, and the vectors after it come out exactly."""
    await run_reset(dut, "reset_mid_stream", int(os.environ.get("LGN2HW_RESET_VECTORS", "48")))
