# SPDX-License-Identifier: MIT
"""GroupSum rewrites: repeated bits counted by weight, complement pairs folded to one, constant,
wire and inverter nodes looked through (popcount.popcount_inputs, popcount.CarryPlan)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _netgen import A, NOT_A, NOT_B, make, netlists
from conftest import require_tool
from lgn2hw.backend import EmitOptions, emit
from lgn2hw.backend.popcount import ONE, CarryPlan, popcount_inputs, weighted_carry_tree
from lgn2hw.backend.testbench import run_icarus
from lgn2hw.generate import random_layered
from lgn2hw.sim import simulate_bits


def evaluate_names(groups, output_bits):
    """Each group's sum from the names popcount_inputs gives (o<j> = output bit j)."""
    def value(name):
        if name in ("1'b0", "1'b1"):
            return np.full(len(output_bits), int(name[-1]), dtype=np.int64)
        return output_bits[:, int(name[1:])].astype(np.int64)
    return np.stack([sum(value(x) for x in g) for g in groups], axis=1)


@settings(max_examples=150, deadline=None)
@given(netlists(max_inputs=5, max_nodes=20), st.data())
def test_popcount_inputs_keep_every_group_sum(nl, data):
    # redraw the outputs from a small pool so groups hold copies, complements and constants
    classes = data.draw(st.integers(1, 3))
    size = data.draw(st.integers(1, 9))
    pool = list(range(nl.base + nl.num_nodes))
    outs = data.draw(st.lists(st.sampled_from(pool), min_size=classes * size, max_size=classes * size))
    inv = data.draw(st.lists(st.booleans(), min_size=classes * size, max_size=classes * size))  # output polarity
    nl = nl.replace(outputs=np.array(outs, dtype=np.int32), num_classes=classes, output_inv=np.array(inv, bool))
    bits = np.array(np.meshgrid(*[[0, 1]] * nl.num_inputs)).reshape(nl.num_inputs, -1).T.astype(np.uint8)
    ref = simulate_bits(nl, bits)
    groups = popcount_inputs(nl)
    assert [len(g) for g in groups] == [size] * classes
    assert np.array_equal(evaluate_names(groups, ref.output_bits), ref.group_sums)


def test_complements_and_copies_are_folded():
    # x = in0 AND in1 (node 0); node 1 = NOT x; node 2 = wire of x; node 3 = NOT of node 1 (= x)
    AND = 1
    nl = make(2, [(AND, (2, 3)), (NOT_A, (4, 0)), (A, (4, 0)), (NOT_B, (0, 5))],
              outputs=[4, 5, 6, 7, 4, 2, 1, 0], classes=1)
    (group,) = popcount_inputs(nl)
    # x appears 4 times (4, 6, 7 and again 4), NOT x once: one pair -> 1 + 0; x 3 times left
    assert sorted(group) == sorted(["1'b1", "1'b0", "o0", "o0", "o0", "o5", "1'b1", "1'b0"])
    plan = CarryPlan.of(group)
    assert sorted(plan.names) == ["o0", "o0", "o5"]  # x in columns 0 and 1 (weight 3), in0 in column 0


@pytest.mark.parametrize("columns,ones", [([3], 0), ([0, 1], 0), ([1, 1], 2), ([5, 0, 2], 1), ([0, 0, 3], 4),
                                          ([150], 0), ([40, 30, 9, 2], 3), ([0], 2), ([1], 0), ([2, 2, 2, 2], 0)])
def test_weighted_carry_tree_sums(columns, ones, rng):
    adders, extra, root, shift = weighted_carry_tree(columns, ones)
    n = sum(columns)
    weight = np.repeat(1 << np.arange(len(columns)), columns)
    bits = rng.integers(0, 2, (400, n), dtype=np.int64)
    bits[0] = 1
    val = {i: bits[:, i] for i in range(n)}
    for ad in adders:
        cin = 1 if ad.cin == ONE else (val[ad.cin] if ad.cin >= 0 else 0)
        val[ad.out] = val[ad.a] + (val[ad.b] << ad.shift) + cin
        assert val[ad.out].max() < 1 << ad.width  # the declared width holds the partial sum
    total = (val[root] << shift if root is not None else 0) + extra
    assert np.array_equal(np.broadcast_to(total, (400,)), bits @ weight + ones)


@pytest.mark.sim
@pytest.mark.parametrize("opts", [dict(pipeline_every=0, adder_stages=0), dict(pipeline_every=1, adder_stages=1),
                                  dict(pipeline_every=2, adder_stages=2), dict(pipeline_every=1, adder_stages=3),
                                  dict(pipeline_every=3, adder_stages=2, fuse_popcount=False),
                                  dict(pipeline_every=1, adder_stages=1, popcount="wallace")], ids=str)
def test_weighted_groups_in_icarus(opts, tmp_path, rng):
    # groups of copies (weights up to 7), complement pairs and constants, like a trained net's
    require_tool("iverilog")
    base = random_layered(16, [30, 30, 20], 4, seed=3, op_mix="uniform")
    g = 12
    pick = rng.integers(base.base, base.base + base.num_nodes, 8)
    outs = np.concatenate([np.repeat(pick[:2], [7, 5]),                   # class 0: weights 7 and 5
                           pick[2:5].repeat(4),                           # class 1: three bits x4
                           [0, 1, 1] + list(pick[5:8].repeat(3)),         # class 2: constants and x3
                           rng.integers(2, base.base + base.num_nodes, g)])
    inv = [(NOT_A, (int(s), 0)) for s in pick[:4]]                         # complements of four picks
    tables = np.concatenate([base.tables, [t for t, _ in inv]])
    fanin = np.concatenate([base.fanin, [f for _, f in inv]])
    nots = base.base + base.num_nodes + np.arange(4)
    outs[[0, 1, 8, 12]] = nots[[0, 0, 1, 2]]                               # pairs x + NOT x inside groups
    from lgn2hw.ir import Netlist
    nl = Netlist.build(base.num_inputs, 2, tables, fanin, outs, 4)
    bits = rng.integers(0, 2, (200, nl.num_inputs), dtype=np.uint8)
    ref = simulate_bits(nl, bits)
    res = emit(nl, tmp_path / "rtl", EmitOptions(**opts))
    tb = run_icarus(tmp_path / "rtl", tmp_path / "work", bits, ref)
    assert tb.received == 200 and tb.errors == 0 and tb.latency_errors == 0, tb.log
    assert res.latency == res.metadata["latency"]


@pytest.mark.parametrize("opts,bits", [(dict(), 3), (dict(popcount="wallace"), 4), (dict(fabric="amaranth"), 8)],
                         ids=["carry", "wallace", "amaranth"])
def test_metadata_counts_the_bits_added(opts, bits, tmp_path):
    # x four times and NOT x once: one pair folds to 1, x three times is added by weight
    # (columns 0 and 1) by the carry tree, every copy by Wallace; the Amaranth fabric folds nothing
    nl = make(2, [(1, (2, 3)), (NOT_A, (4, 0)), (A, (4, 0)), (NOT_B, (0, 5))], outputs=[4, 5, 6, 7, 4, 2, 1, 0])
    res = emit(nl, tmp_path, EmitOptions(**opts))
    assert res.metadata["pipeline"]["popcount_bits"] == bits


def test_an_inverted_output_pairs_with_its_signal():
    # x = in0 AND in1; outputs x, ~x (polarity flag), ~in0, in0, ~(constant 0)
    AND = 1
    nl = make(2, [(AND, (2, 3))], outputs=[4, 4, 2, 2, 0, 4], classes=1).replace(
        output_inv=np.array([False, True, True, False, True, True]))
    (group,) = popcount_inputs(nl)
    # x with ~x and in0 with ~in0 fold to 1 + 0 each; ~0 is the constant 1; ~x is left (o1, inverted in the fabric)
    assert sorted(group) == sorted(["1'b1", "1'b0", "1'b1", "1'b0", "1'b1", "o1"])
