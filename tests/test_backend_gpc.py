# SPDX-License-Identifier: MIT
"""The ``gpc`` GroupSum (LUT6 generalized parallel counters into a carry-chain adder): the tree
adds exactly (weighted copies, constants), every counter fits one LUT6 per output bit, and the
emitted cores are bit-exact on Icarus and Verilator, combinational and pipelined."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import require_simulator
from lgn2hw.backend.gpc import LUT_INPUTS, ONE, GpcTree
from lgn2hw.backend.plan import plan_core
from lgn2hw.backend.options import EmitOptions
from lgn2hw.backend.metadata import sum_width
from lgn2hw.generate import random_layered
from test_backend_popcount import check_popcount_module, emit_grouped_cores


def evaluate(tree: GpcTree, values: dict) -> int:
    """The tree's sum for bit values ``values`` (name -> 0/1), counter by counter."""
    v = {ONE: 1, **{i: values[n] for i, n in enumerate(tree.names)}}
    for cells in tree.rounds:
        for c in cells:
            var = [x for x, _ in c.ins if x != ONE]
            idx = sum(v[x] << k for k, x in enumerate(var))
            for t, o in enumerate(c.outs):
                if o >= 0:
                    v[o] = c.table(t) >> idx & 1
    return sum(v[x] << j for j, col in enumerate(tree.rows) for x in col)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 90), st.integers(1, 40), st.sampled_from([3, 6]), st.integers(0, 2**32 - 1))
def test_gpc_tree_adds_weighted_bits_and_constants(g, distinct, leaf, seed):
    rng = np.random.default_rng(seed)
    pool = [f"o{i}" for i in range(distinct)]
    inputs = [str(x) for x in rng.choice(pool + ["1'b0", "1'b1"], g)]
    tree = GpcTree.of(inputs, leaf=leaf)
    assert tree.sum_width == sum_width(g)
    assert all(len(col) <= 2 for col in tree.rows) and len(tree.rows) == tree.sum_width
    for cells in tree.rounds:
        for c in cells:
            assert len([x for x, _ in c.ins if x != ONE]) <= LUT_INPUTS  # one LUT6 per output bit
    for _ in range(8):
        values = {n: int(b) for n, b in zip(pool, rng.integers(0, 2, distinct))}
        expect = sum(values[x] if x.startswith("o") else int(x == "1'b1") for x in inputs)
        assert evaluate(tree, values) == expect


def test_gpc_takes_about_one_lut_per_bit_removed():
    # 165 distinct bits into 8: about one LUT per bit removed after the full-adder leaves
    tree = GpcTree.of([f"o{i}" for i in range(165)])
    assert tree.depth == len(tree.rounds) + 1 <= 8
    assert 165 - 16 <= tree.luts <= 240


def test_gpc_plan_pipelines_every_class_alike():
    nl = random_layered(24, [48, 48, 30], 3, seed=7, skip_prob=0.15)
    plan = plan_core(nl, EmitOptions(popcount="gpc", pipeline_every=1, adder_stages=2))
    pop = plan.popcount
    assert pop.style == "gpc" and pop.depth == max(t.depth for t in pop.shapes) and pop.latency >= 1
    assert plan.metadata()["pipeline"]["popcount"] == "gpc"


@pytest.mark.sim
@pytest.mark.parametrize("g,every,first", [(1, 0, 0), (7, 1, 0), (50, 0, 0), (150, 2, 0), (150, 3, 1), (200, 1, 0)])
def test_gpc_popcount_module_in_icarus(g, every, first, tmp_path, rng):
    check_popcount_module(g, every, "gpc", first, tmp_path, rng)


@pytest.fixture(scope="module")
def gpc_cores(tmp_path_factory):
    """Copies, complements and constants in the class groups, gpc GroupSum combinational and pipelined."""
    return emit_grouped_cores(tmp_path_factory, "gpc", {"comb": dict(pipeline_every=0, adder_stages=0),
                                                        "pipelined": dict(pipeline_every=1, adder_stages=1)})


@pytest.mark.sim
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("pipeline", ["comb", "pipelined"])
def test_gpc_core_bit_exact(tmp_path, gpc_cores, simulator, pipeline):
    from lgn2hw import verify
    require_simulator(simulator)
    em, out = gpc_cores[pipeline]
    res = verify.verify(out, simulator, vectors=150, build_dir=tmp_path / "build")
    assert res.ok, verify.describe(res)
    assert res.measured_latency == [em.latency]
