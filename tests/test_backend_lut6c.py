# SPDX-License-Identifier: MIT
"""The ``lut6c`` GroupSum (AMD LUT6_2 full adders and carry-chain (7;3) counters as primitives):
the primitives' arithmetic adds exactly (weighted copies, constants, gate bits read through their
wires), the leaf functions are the fabric's output bits, the emitted modules and whole cores are
bit-exact on Icarus and Verilator with the simulation models, and it is refused off AMD targets."""
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import require_simulator
from lgn2hw.backend.lut6c import DUAL_INPUTS, Chain, Fa, Lut6cTree, Pair, evaluate, leaf_functions, pair_inits
from lgn2hw.backend.metadata import sum_width
from lgn2hw.backend.options import EmitOptions
from lgn2hw.backend.plan import plan_core
from lgn2hw.backend.schedule import schedule
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from test_backend_popcount import check_popcount_module, emit_grouped_cores


def bit_values(inputs, funcs, wires, rng, n):
    """Random wire values and the input bits they give (functions of wires, or free bits)."""
    env = {w: rng.integers(0, 2, n) for w in wires}
    for name in set(inputs):
        if name in funcs:
            sup, table = funcs[name]
            idx = sum(env[w] << k for k, w in enumerate(sup))
            env[name] = (table >> idx) & 1
        elif name not in ("1'b0", "1'b1"):
            env[name] = rng.integers(0, 2, n)
    expect = sum(env[x] if x not in ("1'b0", "1'b1") else np.full(n, int(x == "1'b1")) for x in inputs)
    return env, expect


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 120), st.integers(1, 60), st.integers(1, 12), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_lut6c_tree_adds_weighted_bits_constants_and_gate_bits(g, distinct, nwires, gate_share, seed):
    rng = np.random.default_rng(seed)
    pool = [f"o{i}" for i in range(distinct)]
    wires = [f"r0_{i}" for i in range(nwires)]
    funcs = {}
    for name in pool:  # some bits are gates of 1-5 wires (the leaf may read the wires instead)
        if rng.random() < gate_share:
            k = int(rng.integers(1, min(5, nwires) + 1))
            sup = tuple(str(w) for w in rng.choice(wires, k, replace=False))
            funcs[name] = (sup, int(rng.integers(0, 1 << (1 << k))))
    inputs = [str(x) for x in rng.choice(pool + ["1'b0", "1'b1"], g)]
    tree = Lut6cTree.of(inputs, funcs=funcs)
    assert tree.sum_width == sum_width(g)
    # at most three bits a column are left for the final ternary adder (column 0: four, one the carry-in)
    assert all(len(col) <= (4 if j == 0 else 3) for j, col in enumerate(tree.rows))
    assert len(tree.rows) == tree.sum_width
    for r, cells in enumerate(tree.rounds):
        for c in cells:
            assert c.funcs == (r == 0 and isinstance(c, Fa)) or not c.funcs
            if isinstance(c, Fa):
                assert 2 <= len(c.ins) <= 3
            else:
                assert all(len(p.xs) <= DUAL_INPUTS for p in c.pairs)
    env, expect = bit_values(inputs, funcs, wires, rng, 64)
    assert np.array_equal(evaluate(tree, env), expect)


def test_pair_is_a_seven_to_three_counter_over_every_input():
    # one (7;3) counter: cin + x6 + x1..x5, all 128 input combinations through the primitives' model
    names = [f"x{i}" for i in range(7)]
    tree = Lut6cTree(tuple(names), ((Chain((Pair((2, 3, 4, 5, 6), 1),), 0, 0, (7, 8, 9)),),),
                     ((7,), (8,), (9,)), 3, (None,) * 7)
    assert tree.luts == 2 + 3  # the counter's two, and one per column of the final adder
    idx = np.arange(128)
    env = {n: (idx >> k) & 1 for k, n in enumerate(names)}
    assert np.array_equal(evaluate(tree, env), sum(env.values()))
    a_in, a_init, b_in, b_init = pair_inits(Pair((2, 3, 4, 5, 6), 1), None, dict(enumerate(names)))
    assert a_in == names[2:] + ["x1"] and b_in == names[2:]
    assert a_init == 0x6996966996696996  # parity of all six inputs
    assert b_init >> 32 == 0x177E7EE8 and b_init & 0xFFFFFFFF == 0xE8808000  # [X in 2..3], [X >= 4]


def test_lut6c_removes_about_two_bits_per_lut():
    # 200 free bits into 8: the (7;3) counters remove two bits per LUT (the carry style: ~1)
    tree = Lut6cTree.of([f"o{i}" for i in range(200)])
    assert tree.luts <= 115 and tree.depth <= 6
    # gate bits of two wires each, three to a LUT6_2: every gate absorbed on the leaf
    funcs = {f"o{i}": ((f"a{i}", f"b{i}"), 0b0110) for i in range(0, 200, 3)}
    funcs.update({f"o{i}": ((f"a{i}", f"b{i}"), 0b1000) for i in range(1, 200, 3)})
    tree = Lut6cTree.of([f"o{i}" for i in range(200)], funcs=funcs)
    assert tree.absorbed >= 130


def test_leaf_functions_are_the_output_bits():
    from lgn2hw.sim import simulate_bits
    nl = random_layered(10, [30, 30], 3, seed=4, skip_prob=0.2)
    nl = nl.replace(output_inv=np.arange(nl.num_outputs) % 4 == 1)
    sched = schedule(nl, 0)
    funcs = leaf_functions(nl, sched)
    assert len(funcs) >= nl.num_outputs // 2
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (300, nl.num_inputs), dtype=np.uint8)
    outs = np.asarray(simulate_bits(nl, bits).output_bits)
    for name, (sup, table) in funcs.items():
        j = int(name[1:])
        assert 1 <= len(sup) <= DUAL_INPUTS
        idx = sum(bits[:, int(w.split("_")[1]) - 2].astype(np.int64) << k for k, w in enumerate(sup))
        assert np.array_equal((table >> idx) & 1, outs[:, j]), name


def test_lut6c_plan_reads_wires_only_when_the_last_stage_is_not_registered():
    nl = random_layered(24, [48, 48, 30], 3, seed=7, skip_prob=0.15)
    comb = plan_core(nl, EmitOptions(popcount="lut6c", pipeline_every=0, adder_stages=0)).popcount
    fused = plan_core(nl, EmitOptions(popcount="lut6c", pipeline_every=1, adder_stages=2)).popcount
    split = plan_core(nl, EmitOptions(popcount="lut6c", pipeline_every=1, adder_stages=2,
                                      fuse_popcount=False)).popcount
    assert sum(t.absorbed for t in comb.shapes) > 0 and sum(t.absorbed for t in fused.shapes) > 0
    assert sum(t.absorbed for t in split.shapes) == 0  # registered outputs: nothing to read through
    assert fused.depth == max(t.depth for t in fused.shapes) and fused.latency >= 1
    meta = plan_core(nl, EmitOptions(popcount="lut6c", carry_cell="CARRY4")).metadata()["pipeline"]
    assert meta["popcount"] == "lut6c" and meta["carry_cell"] == "CARRY4"
    assert "carry_cell" not in plan_core(nl, EmitOptions(popcount="carry")).metadata()["pipeline"]


def test_lut6c_is_refused_off_amd_targets_and_picks_the_carry_cell(tmp_path, monkeypatch):
    from lgn2hw import api
    monkeypatch.setattr(api, "synthesize", lambda *a, **k: None)  # the RTL step is what is checked
    nl = random_layered(8, [12, 6], 2, seed=1)
    with pytest.raises(LgnError, match="--target xilinx only, not ice40"):
        api.compile(nl, tmp_path / "a", rtl={"popcount": "lut6c"}, target="ice40", report=False)
    res = api.compile(nl, tmp_path / "b", rtl={"popcount": "auto"}, target="xilinx",
                      synth={"device": "xc7a35t"}, report=False)
    assert res.plan.popcount.style == "lut6c" and res.plan.options.carry_cell == "CARRY4"
    assert "CARRY4 " in (tmp_path / "b" / "lgn_core_fabric.v").read_text()
    meta = json.loads((tmp_path / "b" / "metadata.json").read_text())
    assert meta["pipeline"]["carry_cell"] == "CARRY4"
    res = api.compile(nl, tmp_path / "c", rtl={"popcount": "lut6c"}, target="xilinx", report=False)
    assert res.plan.options.carry_cell == "CARRY8"


def test_lut6c_core_is_refused_by_other_synthesis_targets(tmp_path):
    from lgn2hw import api
    from lgn2hw.backend import emit
    emit(random_layered(8, [12, 6], 2, seed=1), tmp_path, EmitOptions(popcount="lut6c"))
    with pytest.raises(LgnError, match="instantiates AMD primitives"):
        api.synthesize(tmp_path, "ice40")


def test_cell_counts_count_a_lut6_2_as_one_lut6():
    from lgn2hw.synth import FAMILIES
    from lgn2hw.synth.report import cell_counts
    c = cell_counts({"LUT6_2": 7, "LUT2": 3, "CARRY8": 2}, FAMILIES["xilinx"])
    assert c["lut"] == 10 and c["lut6_2"] == 7 and c["carry"] == 2


@pytest.mark.sim
@pytest.mark.parametrize("g,every,first,carry", [(1, 0, 0, "CARRY8"), (7, 1, 0, "CARRY8"), (50, 0, 0, "CARRY4"),
                                                 (150, 2, 0, "CARRY8"), (150, 3, 1, "CARRY4"),
                                                 (200, 1, 0, "CARRY8")])
def test_lut6c_popcount_module_in_icarus(g, every, first, carry, tmp_path, rng):
    check_popcount_module(g, every, "lut6c", first, tmp_path, rng, carry=carry)


@pytest.fixture(scope="module")
def lut6c_cores(tmp_path_factory):
    """Copies, complements, constants and inverted outputs in the class groups, lut6c GroupSum
    combinational (the leaf reads the primary inputs) and pipelined (the fused last stage's
    registered inputs)."""
    return emit_grouped_cores(tmp_path_factory, "lut6c",
                              {"comb": dict(pipeline_every=0, adder_stages=0),
                               "pipelined": dict(pipeline_every=1, adder_stages=1, carry_cell="CARRY4")},
                              output_inv=True)


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("pipeline", ["comb", "pipelined"])
def test_lut6c_core_bit_exact(tmp_path, lut6c_cores, simulator, pipeline):
    from lgn2hw import verify
    require_simulator(simulator)
    em, out = lut6c_cores[pipeline]
    assert sum(t.absorbed for t in em.plan.popcount.shapes) > 0  # the leaf reads gate wires
    res = verify.verify(out, simulator, vectors=150, build_dir=tmp_path / "build")
    assert res.ok, verify.describe(res)
    assert res.measured_latency == [em.latency]


def test_vivado_script_defines_synthesis_for_a_lut6c_core(tmp_path):
    # the fabric's simulation models of LUT6_2/CARRY8 sit inside ifndef SYNTHESIS: Vivado must skip them
    from lgn2hw.backend import emit
    from lgn2hw.synth.flow import core_design, vivado_files
    nl = random_layered(8, [12, 6], 2, seed=1)
    emit(nl, tmp_path / "a", EmitOptions(popcount="lut6c"))
    emit(nl, tmp_path / "b", EmitOptions(popcount="carry"))
    fabric = (tmp_path / "a" / "lgn_core_fabric.v").read_text()
    assert "`ifndef SYNTHESIS" in fabric and "module LUT6_2" in fabric and "LUT6_2 #(" in fabric
    for name, expect in (("a", " -verilog_define SYNTHESIS"), ("b", "")):
        design = core_design(tmp_path / name)
        tcl = vivado_files(["x.v"], design.top, "xcvu9p-flga2104-2L-e", 250.0, design.defines)["build.tcl"]
        assert f"synth_design -top lgn_core -part xcvu9p-flga2104-2L-e -mode out_of_context{expect}\n" in tcl
