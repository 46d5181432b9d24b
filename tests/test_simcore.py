# SPDX-License-Identifier: MIT
"""The compiled simulator core (lgn2hw/_simcore.c) against the numpy engine, bit for bit."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _netgen import netlists
from lgn2hw import _simcore, sim
from lgn2hw.generate import random_layered
from lgn2hw.ir import Netlist


def both(nl, bits, out_bits=True):
    return (sim.simulate_bits_with(nl, bits, out_bits, engine="native"),
            sim.simulate_bits_with(nl, bits, out_bits, engine="numpy"))


def assert_same(a, b):
    assert np.array_equal(a.group_sums, b.group_sums)
    assert np.array_equal(a.classes, b.classes)
    if a.output_bits is None:
        assert b.output_bits is None
    else:
        assert a.output_bits.dtype == b.output_bits.dtype == np.uint8
        assert np.array_equal(a.output_bits, b.output_bits)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nl=netlists(max_inputs=8, max_nodes=40, arities=(1, 2, 2, 3, 4, 6)), n=st.integers(0, 300),
       seed=st.integers(0, 2**31))
def test_matches_numpy_on_random_netlists(simcore, nl, n, seed):
    """Constants, wires, inverters, duplicates, skips, outputs on constants and inputs, arity 1..6."""
    bits = np.random.default_rng(seed).integers(0, 2, (n, nl.num_inputs)).astype(np.uint8)
    assert_same(*both(nl, bits))
    assert_same(*both(nl, bits, out_bits=False))
    packed = sim.pack_bits(bits) if n else np.zeros((nl.num_inputs, 1), np.uint64)
    assert np.array_equal(sim.simulate_packed(nl, packed, engine="native"),
                          sim.simulate_packed(nl, packed, engine="numpy"))
    assert np.array_equal(sim.output_words(nl, packed, engine="native"), sim.output_words(nl, packed, engine="numpy"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), arity=st.sampled_from([2, 2, 3, 5]), classes=st.sampled_from([1, 3, 10]),
       group=st.sampled_from([1, 2, 15, 16, 17, 33, 100, 257]), skip=st.sampled_from([0.0, 0.4]),
       n=st.sampled_from([1, 63, 64, 65, 511, 1000, 2100]))
def test_large_groups_and_block_edges(simcore, seed, arity, classes, group, skip, n):
    """Group sizes around the 16-wide carry-save steps, sample counts around block edges."""
    nl = random_layered(20, [60, classes * group], classes, arity=arity, seed=seed, skip_prob=skip,
                        op_mix="uniform" if arity != 2 else "realistic")
    bits = np.random.default_rng(seed).integers(0, 2, (n, 20)).astype(np.uint8)
    a, b = both(nl, bits)
    assert_same(a, b)
    assert np.array_equal(a.group_sums, sim.group_sums(b.output_bits, classes))
    for block in (1, 2, 4, 8, 16):  # every compiled block width
        cls = np.full(n, -1, np.int64)
        sums, out = _simcore.NativeNet(nl).simulate_bits(simcore, bits, True, True, block, classes=cls)
        assert np.array_equal(sums, b.group_sums) and np.array_equal(out, b.output_bits)
        assert np.array_equal(cls, b.classes)  # the core's argmax, ties to the lowest class


def test_empty_and_degenerate(simcore):
    nl = Netlist.build(1, 2, [], np.zeros((0, 2)), [2, 2, 0, 1], 2)  # no nodes; outputs on input/constants
    bits = np.array([[1], [0]], np.uint8)
    assert_same(*both(nl, bits))
    assert_same(*both(nl, np.zeros((0, 1), np.uint8)))
    nl0 = Netlist.build(0, 2, [6], [[0, 1]], [2, 2], 1)  # no inputs
    assert_same(*both(nl0, np.zeros((5, 0), np.uint8)))


def test_env_forces_numpy(simcore, monkeypatch):
    monkeypatch.setenv("LGN2HW_SIM", "numpy")
    assert sim.native_core() is None
    assert sim.native_core("native") is simcore
    monkeypatch.delenv("LGN2HW_SIM")
    assert sim.native_core() is simcore
    with pytest.raises(ValueError, match="unknown simulator engine"):
        sim.native_core("gpu")


def test_core_is_built_in_ci():
    """setup.sh installs gcc and pip builds the core: in CI the fast path must be there."""
    if os.environ.get("CI") != "true":
        pytest.skip("only checked in CI")
    assert _simcore.load() is not None


def test_cone_check_decides_small_cones(simcore):
    # n5 = XOR(x0, x1); n6 = x0 & ~x1, n7 = ~x0 & x1; n8 = AND(x0, x2); n9 = OR(n6, n7) == n5
    nl = Netlist.build(3, 2, [6, 2, 4, 1, 7], [[2, 3], [2, 3], [2, 3], [2, 4], [6, 7]], [5, 8, 9], 1)
    assert nl.level.tolist() == [1, 1, 1, 1, 2]  # ids as written
    pairs = np.array([[9, 5, 0], [9, 5, 1], [8, 2, 0], [8, 0, 0], [5, 8, 1]])
    status, support, assign = _simcore.cone_check(simcore, nl.num_inputs, nl.tables, nl.fanin, pairs, 16)
    assert status.tolist() == [0, 1, 1, 1, 1]
    for j in range(1, 5):  # each counterexample really separates its pair
        x = np.random.default_rng(j).integers(0, 2, 3).astype(np.uint8)
        for i, s in enumerate(support[j]):
            if s >= 2:
                x[s - 2] = (assign[j] >> i) & 1
        vals = sim.simulate_packed(nl, sim.pack_bits(x[None, :]))[:, 0] & np.uint64(1)
        a, r, p = pairs[j]
        assert int(vals[a]) != int(vals[r]) ^ int(p)
    status, _, _ = _simcore.cone_check(simcore, nl.num_inputs, nl.tables, nl.fanin, pairs, 1)
    assert status.tolist()[:3] == [2, 2, 2]  # cones wider than one input: undecided
