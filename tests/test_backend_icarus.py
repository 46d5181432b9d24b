# SPDX-License-Identifier: MIT
"""Real-simulator checks of emitted cores against the reference simulator (Icarus)."""
import numpy as np
import pytest

from conftest import require_tool
from lgn2hw.backend import EmitOptions, emit
from lgn2hw.backend.testbench import run_icarus
from lgn2hw.generate import random_layered
from lgn2hw.sim import simulate_bits

pytestmark = pytest.mark.sim

CASES = {
    "pipelined": EmitOptions(pipeline_every=1, adder_stages=1),
    "pipelined-every-2": EmitOptions(pipeline_every=2, adder_stages=2),
    "combinational": EmitOptions(pipeline_every=0, adder_stages=0),
    "amaranth-fabric": EmitOptions(pipeline_every=1, adder_stages=0, fabric="amaranth"),
}


@pytest.fixture(scope="module")
def small_net():
    # skip connections exercise the shared delay registers; 5 classes x 9 bits the odd tree shapes
    return random_layered(24, [40, 40, 30, 45], 5, seed=7, skip_prob=0.3)


@pytest.mark.parametrize("case", CASES)
def test_core_matches_reference(small_net, case, tmp_path, rng):
    require_tool("iverilog")
    bits = rng.integers(0, 2, (300, small_net.num_inputs), dtype=np.uint8)
    res = emit(small_net, tmp_path / "rtl", CASES[case])
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, simulate_bits(small_net, bits))
    assert tb.received == 300
    assert tb.errors == 0, tb.log
    assert tb.latency_errors == 0, tb.log
    assert res.latency == res.metadata["latency"]


def test_testbench_detects_wrong_reference(small_net, tmp_path, rng):
    require_tool("iverilog")
    bits = rng.integers(0, 2, (100, small_net.num_inputs), dtype=np.uint8)
    emit(small_net, tmp_path / "rtl", EmitOptions())
    tables = small_net.tables.copy()
    tables[-small_net.group_size:] ^= np.uint64(15)  # negate a whole class group
    wrong = simulate_bits(small_net.replace(tables=tables), bits)
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, wrong)
    assert tb.errors > 0
