# SPDX-License-Identifier: MIT
"""Exact passes: simulate -> pass -> exact gate count on hand-built nets -> simulate and compare,
plus property tests on random netlists (exhaustive simulation and the z3 miter)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lgn2hw import ops
from lgn2hw.equiv import check_equivalence
from lgn2hw.passes import DEFAULT_PIPELINE, run_pipeline

from _netgen import (AND, A, FALSE, NAND, NOR, NOT_A, NOT_A_AND_B, OR, XNOR, XOR, A_AND_NOT_B,
                     all_inputs, make, netlists, outputs_table)

EXACT = ["dce", "const-fold", "wire-collapse", "strash", "sat-sweep"]


def run(nl, pipeline):
    before = outputs_table(nl)
    out, reports = run_pipeline(nl, pipeline)
    assert np.array_equal(outputs_table(out), before), pipeline
    assert check_equivalence(nl, out).equal
    return out, reports


def test_dce_removes_dead_nodes():
    # x0=2, x1=3; n4 = AND(x0,x1) live, n5 = OR dead, n6 = XOR(n4, x0) live, n7 = NOT(n5) dead
    nl = make(2, [(AND, (2, 3)), (OR, (2, 3)), (XOR, (4, 2)), (NOT_A, (5, 0))], [6])
    out, reps = run(nl, "dce")
    assert out.num_nodes == 2
    assert reps[0].counters["removed"] == 2


def test_const_fold_propagates_constants():
    # n5 = FALSE; n6 = AND(x0, n5) -> 0; n7 = OR(x1, n5) -> wire of x1; n8 = XOR(x0, x0) -> 0;
    # n9 = NAND(n6, x2) -> 1; n10 = AND(n7, x2) -> AND(x1, x2)
    nl = make(3, [(FALSE, (2, 3)), (AND, (2, 5)), (OR, (3, 5)), (XOR, (2, 2)), (NAND, (6, 4)), (AND, (7, 4))],
              [6, 7, 8, 9, 10, 10])
    out, reps = run(nl, "const-fold")
    assert list(out.outputs[[0, 2, 3]]) == [0, 0, 1]
    assert out.num_nodes == 2  # the wire of x1 and AND(x1, x2)
    kinds = sorted(out.kinds().tolist())
    assert kinds == [ops.WIRE, ops.LOGIC]
    assert reps[0].counters["constants"] == 4


def test_wire_collapse_absorbs_inversions():
    # n5 = NOT x0, n6 = wire x1, n7 = AND(n5, n6) = ~x0 & x1, n8 = NOT x2 (read by an output)
    nl = make(3, [(NOT_A, (2, 0)), (A, (3, 0)), (AND, (5, 6)), (NOT_A, (4, 0))], [7, 8])
    out, _ = run(nl, "wire-collapse")
    assert out.num_nodes == 1
    logic = np.flatnonzero(out.kinds() == ops.LOGIC)
    assert logic.size == 1 and int(out.tables[logic[0]]) == NOT_A_AND_B
    assert list(out.fanin[logic[0]]) == [2, 3]
    # the output absorbs the inverter of x2: it reads x2 with its polarity flag set
    assert out.outputs.tolist() == [5, 4] and out.output_inv.tolist() == [False, True]


def test_wire_collapse_inverts_an_output_that_reads_an_inverter():
    # output reads NOT(AND(x0,x1)): the inverter goes, the output reads the AND inverted
    nl = make(2, [(AND, (2, 3)), (NOT_A, (4, 0))], [5])
    out, _ = run(nl, "wire-collapse")
    assert out.num_nodes == 1 and int(out.tables[0]) == AND
    assert out.output_inv.tolist() == [True]


def test_strash_merges_commuted_and_complement():
    # n5 = AND(x0,x1), n6 = AND(x1,x0), n7 = NAND(x0,x1), n8 = XOR(n5, n6), n9 = OR(n7, x2)
    nl = make(3, [(AND, (2, 3)), (AND, (3, 2)), (NAND, (2, 3)), (XOR, (5, 6)), (OR, (7, 4))], [8, 9])
    out, reps = run(nl, "strash")
    assert out.num_nodes == 3
    assert reps[0].counters["merged"] == 2


def test_strash_counts_only_merges_that_remove_a_gate():
    # issue 17 item 9 ("strash: merged=2" on a pass that changed nothing) is gone with output
    # polarity: n4 = AND(x0,x1) and n5 = NAND(x0,x1), both outputs, become one gate and an
    # inverted output, and the count is the gate removed; a second run changes nothing.
    nl = make(2, [(AND, (2, 3)), (NAND, (2, 3))], [4, 5])
    out, reps = run(nl, "strash")
    assert out.num_nodes == 1 and out.output_inv.tolist() == [False, True]
    assert reps[0].counters == {"merged": 1, "removed": 1}
    again, reps = run(out, "strash")
    assert again.fingerprint() == out.fingerprint() and reps[0].counters == {"merged": 0, "removed": 0}
    # the twin read by a gate as well: that reader and the output absorb the inversion
    nl = make(3, [(AND, (2, 3)), (NAND, (2, 3)), (OR, (6, 4))], [5, 6, 7])
    out, reps = run(nl, "strash")
    assert out.num_nodes == 2 and reps[0].counters == {"merged": 1, "removed": 1}
    # two complement twins of one output gate: both merge onto it
    nl = make(2, [(AND, (2, 3)), (NAND, (2, 3)), (NAND, (3, 2))], [4, 5, 6])
    out, reps = run(nl, "strash")
    assert out.num_nodes == 1 and reps[0].counters == {"merged": 2, "removed": 2}
    for a, b in ((nl, out),):
        assert np.array_equal(outputs_table(a), outputs_table(b))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nl=netlists())
def test_strash_merged_is_the_gates_it_removed(nl):
    from lgn2hw.ir import live_nodes
    out, reps = run_pipeline(nl, "strash")
    c = reps[0].counters
    assert c["removed"] == nl.num_nodes - out.num_nodes
    assert c["merged"] == int(live_nodes(nl).sum()) - out.num_nodes  # the rest were dead already


def test_sat_sweep_merges_restructured_equivalents_and_constants():
    # n5 = XOR(x0,x1); n6 = x0&~x1; n7 = ~x0&x1; n8 = OR(n6,n7) == n5; n9 = NOR(n6,n7) == ~n5
    # n10 = AND(x0, n7) == 0; n11 = AND(n5, x2); n12 = AND(n9, x2); n13 = OR(n10, x2) == x2 (an input);
    # n14 = XNOR(n8, x2). Merges: n8 -> n5, n9 -> ~n5, n10 -> 0, n13 -> x2.
    nl = make(3, [(XOR, (2, 3)), (A_AND_NOT_B, (2, 3)), (NOT_A_AND_B, (2, 3)), (OR, (6, 7)), (NOR, (6, 7)),
                  (AND, (2, 7)), (AND, (5, 4)), (AND, (9, 4)), (OR, (10, 4)), (XNOR, (8, 4))], [11, 12, 13, 14])
    out, reps = run(nl, "sat-sweep")
    c = reps[0].counters
    assert c["merges"] == 4 and c["constants"] == 1 and c["unknowns"] == 0
    assert out.num_nodes == 4  # XOR(x0,x1), n11, n12 (reading ~XOR), n14
    assert out.outputs[2] == 4  # output 2 reads input x2 directly
    assert c["sat_calls"] >= 1


def _and_tree(n_in: int = 16, levels: int = 4):
    """A balanced AND tree over n_in inputs, every gate an output: deep ANDs look constant on few words."""
    nodes, prev = [], list(range(2, 2 + n_in))
    for _ in range(levels):
        nxt = []
        for j in range(0, len(prev) - 1, 2):
            nodes.append((AND, (prev[j], prev[j + 1])))
            nxt.append(2 + n_in + len(nodes) - 1)
        prev = nxt
    return make(n_in, nodes, list(range(2 + n_in, 2 + n_in + len(nodes))))


def test_sat_sweep_refines_false_candidates_with_counterexamples():
    # with 1 random word and no data, deep ANDs look constant; SAT must refute, never merge
    nl = _and_tree()
    out, reps = run_pipeline(nl, "sat-sweep{sim-words=1}")
    assert out.num_nodes == nl.num_nodes  # nothing is equivalent
    assert reps[0].counters["merges"] == 0
    assert reps[0].counters["counterexamples"] >= 1
    assert check_equivalence(nl, out).equal


def test_sat_sweep_unknown_never_merges():
    # conflict limit 1 on a pair that needs search: answer unknown -> no merge, still exact
    nl = make(3, [(XOR, (2, 3)), (XOR, (5, 4)), (XNOR, (3, 4)), (XNOR, (2, 7))], [6, 8])
    out, reps = run_pipeline(nl, "sat-sweep{conflict-limit=1}")
    c = reps[0].counters
    assert c["merges"] + c["unknowns"] >= 1
    assert np.array_equal(outputs_table(out), outputs_table(nl))


def test_sat_sweep_batch_with_false_pairs_merges_only_the_true_ones():
    # 16-input AND tree: c0, c1 are 1 on 1/256 of inputs, so on 64 patterns every level-4
    # gate looks constant. True pairs: NOR(c0,c1) = ~OR(c0,c1), XNOR(c0,c1) = ~XOR(c0,c1);
    # AND(c0,c1) vs 0 and XOR vs OR differ only where all 16 inputs are 1: one batch holds
    # true and false pairs, SAT must refute the false ones and still prove the true ones.
    n_in = 16
    nodes = [(AND, (2 + 2 * j, 3 + 2 * j)) for j in range(8)]                   # a0..a7: 18..25
    nodes += [(AND, (18 + 2 * j, 19 + 2 * j)) for j in range(4)]                # b0..b3: 26..29
    nodes += [(AND, (26, 27)), (AND, (28, 29))]                                 # c0, c1: 30, 31
    nodes += [(AND, (30, 31)), (OR, (30, 31)), (NOR, (30, 31)), (XOR, (30, 31)), (XNOR, (30, 31))]
    nodes += [(AND, (34, 2)), (AND, (36, 3))]  # the complements are read only by these
    nl = make(n_in, nodes, [30, 31, 32, 33, 35, 37, 38])
    out, reps = run_pipeline(nl, "sat-sweep{sim-words=1}")
    c = reps[0].counters
    assert c["merges"] == 2 and c["constants"] == 0 and c["unknowns"] == 0
    assert c["counterexamples"] >= 1
    assert out.num_nodes == nl.num_nodes - 2
    assert check_equivalence(nl, out).equal


def test_sat_sweep_replacing_the_solver_keeps_every_merge(monkeypatch):
    # a solver is replaced once it holds more than _SOLVER_VARS variables (and twice the cone
    # of the call at hand); replacing it before nearly every call (cones encoded again: later
    # pairs share earlier cones) must prove the same merges
    from lgn2hw.generate import plant_redundancy, random_layered
    from lgn2hw.passes import sat_sweep
    nl = plant_redundancy(random_layered(32, [300, 300, 300, 100], 4, seed=5), 0.3, seed=6)
    nl, _ = run_pipeline(nl, "const-fold,wire-collapse,strash")
    one, reps_one = run_pipeline(nl, "sat-sweep{batch=1}")
    monkeypatch.setattr(sat_sweep, "_SOLVER_VARS", 4)
    many, reps_many = run_pipeline(nl, "sat-sweep{batch=1}")
    assert reps_one[0].counters["merges"] > 10
    assert reps_many[0].counters["merges"] == reps_one[0].counters["merges"]
    assert many.fingerprint() == one.fingerprint()
    assert check_equivalence(nl, many).equal


def test_sat_sweep_simulates_until_the_classes_stop_splitting():
    from lgn2hw.generate import random_layered
    nl = random_layered(12, [40, 40, 20], 2, seed=7)
    _, reps = run_pipeline(nl, "sat-sweep{sim-words=1024}")
    c = reps[0].counters
    # a round of 2048 patterns that splits nothing ends the random simulation early
    assert 2048 <= c["patterns"] < 1024 * 64
    _, reps = run_pipeline(nl, "sat-sweep{sim-words=2}")
    assert reps[0].counters["patterns"] - 64 * reps[0].counters["counterexamples"] <= 2 * 64


def test_lut_netlist_passes():
    from lgn2hw.generate import random_layered
    nl = random_layered(8, [30, 30, 10], 2, arity=4, op_mix="uniform", seed=3)
    out, _ = run(nl, DEFAULT_PIPELINE)
    assert out.num_nodes <= nl.num_nodes


@pytest.mark.parametrize("pipeline", EXACT + [DEFAULT_PIPELINE])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nl=netlists())
def test_exact_passes_preserve_function(pipeline, nl):
    out, _ = run_pipeline(nl, pipeline)
    assert np.array_equal(outputs_table(out), outputs_table(nl))  # exhaustive: a proof
    assert out.num_nodes <= nl.num_nodes
    assert out.depth <= nl.depth


@pytest.mark.parametrize("pipeline", ["strash", DEFAULT_PIPELINE])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nl=netlists(max_inputs=6, max_nodes=30))
def test_exact_passes_pass_the_z3_miter(pipeline, nl):
    out, _ = run_pipeline(nl, pipeline)
    assert check_equivalence(nl, out).equal


@pytest.mark.parametrize("name", ["dce", "const-fold", "wire-collapse", "strash"])
@settings(max_examples=40, deadline=None)
@given(nl=netlists())
def test_structural_passes_are_idempotent(name, nl):
    once, _ = run_pipeline(nl, name)
    twice, _ = run_pipeline(once, name)
    assert twice.fingerprint() == once.fingerprint()


@settings(max_examples=40, deadline=None)
@given(nl=netlists())
def test_default_pipeline_leaves_no_structural_redundancy(nl):
    out, _ = run_pipeline(nl, DEFAULT_PIPELINE)
    kinds = out.kinds()
    assert not (kinds == ops.CONSTANT).any()
    assert not (kinds == ops.WIRE).any()
    # outputs carry their polarity: no inverter is kept, not even to drive an output
    assert not (kinds == ops.INVERTER).any()
    # no two gates compute the same function or complements, and none is a constant or an
    # input up to complement (exhaustive on every input vector): no output twin survives
    x = all_inputs(out.num_inputs)
    from lgn2hw import sim
    vals = sim.unpack_bits(sim.simulate_packed(out, sim.pack_bits(x)), x.shape[0]).T  # [S, 2^I]
    vals = np.where(vals[:, :1] == 1, 1 - vals, vals)  # phase-normalized
    gates = vals[out.base:]
    assert np.unique(gates, axis=0).shape[0] == out.num_nodes
    if out.num_nodes:
        sources = vals[[0] + list(range(2, out.base))]
        assert not (gates[:, None, :] == sources[None, :, :]).all(axis=2).any()


def test_output_twins_merge_into_an_inverted_output():
    # AND(x0,x1) and NAND(x1,x0) read only by outputs: one gate, the second output inverted
    nl = make(2, [(AND, (2, 3)), (NAND, (3, 2)), (XOR, (2, 3)), (XNOR, (2, 3))], [4, 5, 6, 7])
    for pipeline in ("strash", "sat-sweep", DEFAULT_PIPELINE):
        out, _ = run_pipeline(nl, pipeline)
        assert out.num_nodes == 2, pipeline
        assert out.output_inv.tolist() == [False, True, False, True]
        assert out.outputs[0] == out.outputs[1] and out.outputs[2] == out.outputs[3]
        assert np.array_equal(outputs_table(out), outputs_table(nl))
    # an inverted output of an inverted signal is the signal: the flags cancel
    twice = make(2, [(AND, (2, 3)), (NOT_A, (4, 0))], [5, 5]).replace(output_inv=np.array([True, False]))
    out, _ = run_pipeline(twice, DEFAULT_PIPELINE)
    assert out.num_nodes == 1 and out.output_inv.tolist() == [False, True]
    assert np.array_equal(outputs_table(out), outputs_table(twice))


def test_planted_redundancy_is_removed_by_the_default_pipeline():
    from lgn2hw import sim
    from lgn2hw.generate import plant_redundancy, random_layered
    nl = random_layered(24, [80, 80, 40], 4, seed=5)
    planted = plant_redundancy(nl, 0.3, seed=6)
    assert planted.provenance["planted"] > 10
    assert check_equivalence(nl, planted).equal  # the generator keeps the function
    a, _ = run_pipeline(nl, DEFAULT_PIPELINE)
    b, _ = run_pipeline(planted, DEFAULT_PIPELINE)
    assert check_equivalence(a, b).equal
    # no two gates of the result compute the same function or complements (4096 patterns;
    # a twin that survives would show up here), and nearly every planted gate is gone
    pat = np.random.default_rng(0).integers(0, 1 << 63, size=(b.num_inputs, 64), dtype=np.uint64)
    vals = sim.simulate_packed(b, pat)[b.base:]
    vals = np.where((vals[:, :1] & np.uint64(1)).astype(bool), ~vals, vals)
    assert np.unique(vals, axis=0).shape[0] == b.num_nodes
    assert b.num_nodes == a.num_nodes


# ---------------------------------------------------------------- exhaustive cone simulation in sat-sweep
def _needs_core():
    from lgn2hw import sim
    if sim.native_core() is None:
        pytest.skip("the simulator core is not built: sat-sweep sends every pair to SAT")


def test_sat_sweep_exhaustive_proves_what_sat_proves():
    # on planted nets, deciding small cones by exhaustive simulation merges exactly what SAT merges
    _needs_core()
    from lgn2hw.generate import plant_redundancy, random_layered
    nl = plant_redundancy(random_layered(32, [300, 300, 300, 100], 4, seed=5), 0.3, seed=6)
    nl, _ = run_pipeline(nl, "const-fold,wire-collapse,strash")
    sat, r_sat = run_pipeline(nl, "sat-sweep{exhaustive-inputs=0}")
    ex, r_ex = run_pipeline(nl, "sat-sweep{exhaustive-min-pairs=1}")
    c_sat, c_ex = r_sat[0].counters, r_ex[0].counters
    assert c_sat["exhaustive"] == 0 and c_sat["merges"] > 10
    assert c_ex["exhaustive"] >= c_sat["merges"] and c_ex["sat_calls"] < c_sat["sat_calls"]
    assert c_ex["merges"] == c_sat["merges"]
    assert ex.fingerprint() == sat.fingerprint()
    assert check_equivalence(nl, ex).equal


def test_sat_sweep_exhaustive_counterexamples_refine_and_never_merge():
    # the 4-level AND tree of test_sat_sweep_refines_false_candidates_with_counterexamples: with
    # one random word every deep AND looks constant; exhaustive simulation refutes them all
    _needs_core()
    nl = _and_tree()
    out, reps = run_pipeline(nl, "sat-sweep{sim-words=1,exhaustive-min-pairs=1}")
    c = reps[0].counters
    assert out.num_nodes == nl.num_nodes and c["merges"] == 0
    assert c["exhaustive"] >= 1 and c["counterexamples"] >= 1 and c["sat_calls"] == 0
    # cones wider than exhaustive-inputs go to SAT: the same answer
    out2, reps2 = run_pipeline(nl, "sat-sweep{sim-words=1,exhaustive-min-pairs=1,exhaustive-inputs=3}")
    assert out2.fingerprint() == out.fingerprint() and reps2[0].counters["sat_calls"] >= 1


def test_sat_sweep_exhaustive_with_true_and_false_pairs():
    # the batch net of test_sat_sweep_batch_with_false_pairs_merges_only_the_true_ones
    _needs_core()
    n_in = 16
    nodes = [(AND, (2 + 2 * j, 3 + 2 * j)) for j in range(8)]
    nodes += [(AND, (18 + 2 * j, 19 + 2 * j)) for j in range(4)]
    nodes += [(AND, (26, 27)), (AND, (28, 29))]
    nodes += [(AND, (30, 31)), (OR, (30, 31)), (NOR, (30, 31)), (XOR, (30, 31)), (XNOR, (30, 31))]
    nodes += [(AND, (34, 2)), (AND, (36, 3))]
    nl = make(n_in, nodes, [30, 31, 32, 33, 35, 37, 38])
    out, reps = run(nl, "sat-sweep{sim-words=1,exhaustive-min-pairs=1}")
    c = reps[0].counters
    assert c["merges"] == 2 and c["constants"] == 0 and c["unknowns"] == 0 and c["sat_calls"] == 0
    assert out.num_nodes == nl.num_nodes - 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nl=netlists(arities=(2, 2, 3, 4)))
def test_sat_sweep_exhaustive_preserves_function(nl):
    out, _ = run_pipeline(nl, "sat-sweep{exhaustive-min-pairs=1,sim-words=1}")
    assert np.array_equal(outputs_table(out), outputs_table(nl))
    ref, _ = run_pipeline(nl, "sat-sweep{exhaustive-inputs=0,sim-words=1}")
    assert out.num_nodes == ref.num_nodes  # both decide every pair: the same merges


def test_sat_sweep_exhaustive_options_are_range_checked():
    from lgn2hw.passes import PipelineError, parse_pipeline
    for bad in ("sat-sweep{exhaustive-inputs=21}", "sat-sweep{exhaustive-inputs=-1}",
                "sat-sweep{exhaustive-min-pairs=0}"):
        with pytest.raises(PipelineError, match="out of range"):
            parse_pipeline(bad)
    assert str(parse_pipeline("sat-sweep{exhaustive-inputs=0}")[0]) == "sat-sweep{exhaustive-inputs=0}"
