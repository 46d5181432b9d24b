# SPDX-License-Identifier: MIT
"""Real-simulator checks of emitted cores against the reference simulator (Icarus)."""
import numpy as np
import pytest

from conftest import require_tool
from lgn2hw.backend import EmitOptions, emit
from lgn2hw.backend.testbench import run_icarus
from lgn2hw.generate import random_layered
from lgn2hw.ir import Netlist
from lgn2hw.sim import simulate_bits

pytestmark = pytest.mark.sim

CASES = {
    "pipelined": EmitOptions(pipeline_every=1, adder_stages=1),
    "pipelined-every-2": EmitOptions(pipeline_every=2, adder_stages=3),  # argmax every 2 levels
    "combinational": EmitOptions(pipeline_every=0, adder_stages=0),
    "amaranth-fabric": EmitOptions(pipeline_every=1, adder_stages=0, fabric="amaranth"),
    "carry-fused": EmitOptions(pipeline_every=2, adder_stages=2, popcount="carry", fuse_popcount=True),
    "wallace-fused": EmitOptions(pipeline_every=1, adder_stages=3, popcount="wallace", fuse_popcount=True),
    "wallace-unfused": EmitOptions(pipeline_every=1, adder_stages=2, popcount="wallace", fuse_popcount=False),
    "carry-unfused": EmitOptions(pipeline_every=3, adder_stages=2, popcount="carry", fuse_popcount=False),
    "carry-fused-every-3": EmitOptions(pipeline_every=3, adder_stages=2, popcount="carry", fuse_popcount=True),
    "carry-fused-amaranth": EmitOptions(pipeline_every=1, adder_stages=1, popcount="carry", fuse_popcount=True,
                                        fabric="amaranth"),
}


@pytest.fixture(scope="module")
def small_net():
    # skip connections exercise the shared delay registers; 5 classes x 9 bits the odd tree shapes;
    # a third of the outputs inverted (output polarity), some groups reading a bit and its complement
    nl = random_layered(24, [40, 40, 30, 45], 5, seed=7, skip_prob=0.3)
    inv = np.random.default_rng(7).random(nl.num_outputs) < 0.33
    outs = nl.outputs.copy()
    outs[1::9] = outs[0::9]  # the second bit of each group is a copy of the first (inverted or not)
    inv[1::9] = ~inv[0::9]   # ... with the other polarity: a complement pair
    return nl.replace(outputs=outs, output_inv=inv)


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


@pytest.mark.parametrize("signed,fabric", [(True, "text"), (False, "text"), (True, "amaranth")])
def test_onchip_encoder_matches_reference(signed, fabric, tmp_path, rng):
    """Fixed-point features through the on-chip encoder agree with the float encoder on the
    dequantized features, and the core agrees with the reference end to end."""
    require_tool("iverilog")
    from lgn2hw.backend.testbench import field_bits
    from lgn2hw.ir import Encoder
    from lgn2hw.quantize import FixedFormat

    base = random_layered(24, [40, 30], 3, seed=2)
    thr = np.sort(rng.normal(0.5, 1.0, (6, 4)), axis=1)
    thr[0, 0], thr[1, 3] = -50.0, 50.0  # out of range: constant bits
    if not signed:
        thr = np.abs(thr)
    nl = base.replace(encoder=Encoder(thr))
    res = emit(nl, tmp_path / "rtl", EmitOptions(input_width=7, adder_stages=1, fabric=fabric))
    fmt_meta = res.metadata["input_format"]
    assert fmt_meta["kind"] == "fixed" and fmt_meta["signed"] == signed and fmt_meta["width"] == 7
    fmt = FixedFormat(7, fmt_meta["frac_bits"], signed)
    q = fmt.quantize(rng.normal(0.5, 1.5, (300, 6)))
    q[:5] = fmt.lo
    q[5:10] = fmt.hi
    bits = fmt.encode(q, nl.encoder)
    assert np.array_equal(bits, nl.encoder.encode(fmt.dequantize(q)))
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", field_bits(q, 7), simulate_bits(nl, bits))
    assert tb.received == 300 and tb.passed, tb.log


EDGE_NETS = {
    "one-class": lambda: random_layered(6, [8, 6], 1, seed=3),
    "one-bit-groups": lambda: random_layered(6, [8, 3], 3, seed=4),
    "no-gates": lambda: Netlist.build(3, 2, np.zeros(0, np.uint64), np.zeros((0, 2), np.int64), [2, 0, 1, 4], 2),
    "lut3": lambda: random_layered(9, [12, 12, 9], 3, arity=3, seed=5, op_mix="uniform", skip_prob=0.3),
}


@pytest.mark.parametrize("net", EDGE_NETS)
@pytest.mark.parametrize("every", [0, 1])
def test_edge_cases(net, every, tmp_path, rng):
    require_tool("iverilog")
    nl = EDGE_NETS[net]()
    bits = rng.integers(0, 2, (64, nl.num_inputs), dtype=np.uint8)
    emit(nl, tmp_path / "rtl", EmitOptions(pipeline_every=every, adder_stages=every))
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, simulate_bits(nl, bits))
    assert tb.received == 64 and tb.passed, tb.log


@pytest.mark.parametrize("style", ["wallace", "carry"])
def test_constant_output_bits(style, tmp_path, rng):
    # after the exact passes some output bits are constants: the popcount takes them as literals
    from lgn2hw.passes import DEFAULT_PIPELINE, run_pipeline
    require_tool("iverilog")
    nl = run_pipeline(random_layered(24, [40, 40, 30, 45], 5, seed=0, skip_prob=0.3), DEFAULT_PIPELINE)[0]
    assert (nl.outputs == 0).any() and (nl.outputs == 1).any()
    bits = rng.integers(0, 2, (200, nl.num_inputs), dtype=np.uint8)
    emit(nl, tmp_path / "rtl", EmitOptions(pipeline_every=1, adder_stages=1, popcount=style, fuse_popcount=True))
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, simulate_bits(nl, bits))
    assert tb.received == 200 and tb.errors == 0 and tb.latency_errors == 0, tb.log


@pytest.mark.parametrize("opts", [dict(pipeline_every=1, adder_stages=1), dict(pipeline_every=2, adder_stages=2),
                                  dict(pipeline_every=1, adder_stages=2, fuse_popcount=False)], ids=str)
def test_groups_with_different_tree_depths(small_net, opts, tmp_path, rng):
    # constant bits shrink a group's carry tree; every group must still have the same latency
    require_tool("iverilog")
    outs = small_net.outputs.copy()
    g = small_net.group_size
    outs[:g - 2] = np.arange(g - 2) % 2   # class 0: two variable bits, the rest constants
    outs[g:2 * g] = 1                     # class 1: all constant
    nl = small_net.replace(outputs=outs)
    assert nl.any_inverted
    bits = rng.integers(0, 2, (150, nl.num_inputs), dtype=np.uint8)
    emit(nl, tmp_path / "rtl", EmitOptions(popcount="carry", **opts))
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, simulate_bits(nl, bits))
    assert tb.received == 150 and tb.errors == 0 and tb.latency_errors == 0, tb.log
