# SPDX-License-Identifier: MIT
import numpy as np
from hypothesis import given, settings, strategies as st

from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder
from lgn2hw.sim import pack_bits, simulate, simulate_bits, unpack_bits


def per_sample(nl, bits_row):
    """Plain Python evaluation of one sample, gate by gate (the oracle)."""
    val = [0, 1, *(int(b) for b in bits_row)]
    for i in range(nl.num_nodes):
        addr = 0
        for s in nl.fanin[i]:
            addr = (addr << 1) | val[int(s)]
        val.append((int(nl.tables[i]) >> ((1 << nl.arity) - 1 - addr)) & 1)
    out = [val[int(s)] for s in nl.outputs]
    gs = nl.group_size
    sums = [sum(out[c * gs:(c + 1) * gs]) for c in range(nl.num_classes)]
    return out, sums, sums.index(max(sums))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), arity=st.sampled_from([1, 2, 3, 4, 6]), n=st.integers(1, 200),
       skip=st.sampled_from([0.0, 0.3]), mix=st.sampled_from(["uniform", "realistic"]))
def test_matches_per_sample_python(seed, arity, n, skip, mix):
    mix = mix if arity == 2 else "uniform"
    nl = random_layered(6, [10, 9, 6], 3, arity=arity, seed=seed, op_mix=mix, skip_prob=skip)
    bits = np.random.default_rng(seed).integers(0, 2, (n, 6)).astype(np.uint8)
    res = simulate_bits(nl, bits)
    fast = simulate_bits(nl, bits, return_output_bits=False)
    for s in range(n):
        out, sums, cls = per_sample(nl, bits[s])
        assert res.output_bits[s].tolist() == out
        assert res.group_sums[s].tolist() == sums == fast.group_sums[s].tolist()
        assert res.classes[s] == cls == fast.classes[s]


def test_outputs_may_be_constants_and_inputs():
    from lgn2hw.ir import Netlist
    nl = Netlist.build(2, 2, [6], [[2, 3]], [0, 1, 2, 4], 2)
    res = simulate_bits(nl, np.array([[1, 0], [1, 1]], np.uint8))
    assert res.output_bits.tolist() == [[0, 1, 1, 1], [0, 1, 1, 0]]
    assert res.group_sums.tolist() == [[1, 2], [1, 1]]
    assert res.classes.tolist() == [1, 0]  # tie -> lowest index


def test_ties_go_to_lowest_class():
    from lgn2hw.ir import Netlist
    nl = Netlist.build(1, 2, [], np.zeros((0, 2)), [2, 2, 2], 3)
    assert simulate_bits(nl, np.array([[1], [0]], np.uint8)).classes.tolist() == [0, 0]


def test_pack_unpack_roundtrip(rng):
    for n in (1, 63, 64, 65, 1000):
        bits = rng.integers(0, 2, (n, 5)).astype(np.uint8)
        packed = pack_bits(bits)
        assert packed.shape == (5, (n + 63) // 64)
        assert (unpack_bits(packed, n) == bits).all()
        assert (packed[0, 0] & 1) == bits[0, 0]


def test_chunking_matches_unchunked(monkeypatch, rng):
    import lgn2hw.sim as sim
    nl = random_layered(20, [50, 40], 4, seed=3)
    bits = rng.integers(0, 2, (1000, 20)).astype(np.uint8)
    whole = simulate_bits(nl, bits)
    monkeypatch.setattr(sim, "_CHUNK_BYTES", 8 * nl.num_signals)  # one word (64 samples) per chunk
    parts = simulate_bits(nl, bits)
    assert (whole.output_bits == parts.output_bits).all() and (whole.group_sums == parts.group_sums).all()


def test_encoder_path(rng):
    nl = random_layered(6, [12, 6], 2, seed=1).replace(encoder=Encoder(np.array([[0.0, 0.5, 1.0], [-1, 0, 1]], float)))
    x = rng.normal(size=(50, 2))
    bits = (x[:, :, None] > nl.encoder.thresholds[None]).reshape(50, 6).astype(np.uint8)
    assert (simulate(nl, x).group_sums == simulate_bits(nl, bits).group_sums).all()


def test_rejects_bad_bits():
    import pytest
    from lgn2hw.ir import NetlistError
    nl = random_layered(4, [4], 2)
    with pytest.raises(NetlistError, match=r"\[N, 4\]"):
        simulate_bits(nl, np.zeros((3, 5), np.uint8))
    with pytest.raises(NetlistError, match="0 or 1"):
        simulate_bits(nl, np.full((3, 4), 2))
    from lgn2hw.sim import simulate_bits_with
    for engine in ("numpy", "native"):  # a uint8 byte deep in the array (the core checks while packing)
        bits = np.zeros((2000, 4), np.uint8)
        for pos, byte in (((1999, 3), 2), ((1000, 0), 128), ((7, 2), 255)):
            bad = bits.copy()
            bad[pos] = byte
            with pytest.raises(NetlistError, match="0 or 1"):
                simulate_bits_with(nl, bad, engine=engine)


def test_simulate_packed_returns_every_signal_by_id(rng):
    """The plan evaluates in its own (op-grouped) order; the result must still be indexed by signal id."""
    from lgn2hw.sim import SimPlan, simulate_packed
    nl = random_layered(8, [30, 20], 2, seed=5, op_mix="uniform")
    plan = SimPlan(nl)
    assert not plan.identity  # uniform ops within a level are never already grouped
    bits = rng.integers(0, 2, (100, 8)).astype(np.uint8)
    vals = unpack_bits(simulate_packed(nl, pack_bits(bits), plan), 100)  # [N, S]
    for s in range(0, 100, 9):
        v = [0, 1, *(int(b) for b in bits[s])]
        for i in range(nl.num_nodes):
            a, b = (v[int(x)] for x in nl.fanin[i])
            v.append((int(nl.tables[i]) >> (3 - (2 * a + b))) & 1)
        assert vals[s].tolist() == v


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), arity=st.sampled_from([1, 2, 3, 6]), n=st.integers(1, 300),
       engine=st.sampled_from(["numpy", "native"]))
def test_inverted_outputs_are_complements(seed, arity, n, engine):
    """Output polarity on either engine, against the same netlist without flags and against its
    plain form (the complements as nodes: an independent path through the simulator)."""
    from lgn2hw import sim
    from lgn2hw.ir import plain_outputs
    if engine == "native" and sim.native_core() is None:
        return
    rng = np.random.default_rng(seed)
    nl = random_layered(12, [30, 24], 3, arity=arity, seed=seed, op_mix="uniform" if arity != 2 else "realistic")
    inv = rng.random(nl.num_outputs) < 0.4
    # some outputs on constants and inputs too (an inverted constant, an inverted input)
    outs = np.where(rng.random(nl.num_outputs) < 0.15, rng.integers(0, 14, nl.num_outputs), nl.outputs)
    nl = nl.replace(outputs=outs.astype(np.int32))
    flagged = nl.replace(output_inv=inv)
    bits = rng.integers(0, 2, (n, 12)).astype(np.uint8)
    got = sim.simulate_bits_with(flagged, bits, engine=engine)
    ref = sim.simulate_bits_with(nl, bits, engine=engine)
    assert np.array_equal(got.output_bits, ref.output_bits ^ inv.astype(np.uint8))
    assert np.array_equal(got.group_sums, sim.group_sums(got.output_bits, nl.num_classes))
    plain = sim.simulate_bits_with(plain_outputs(flagged), bits, engine="numpy")
    assert np.array_equal(got.output_bits, plain.output_bits) and np.array_equal(got.classes, plain.classes)
    packed = pack_bits(bits)
    assert np.array_equal(unpack_bits(sim.output_words(flagged, packed, engine=engine), n), got.output_bits)
