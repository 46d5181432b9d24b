# SPDX-License-Identifier: MIT
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lgn2hw import ir
from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder, Netlist, NetlistError
from lgn2hw.sim import simulate_bits


def tiny():
    # inputs 2,3; n4 = AND(2,3); n5 = XOR(2,4); n6 = OR(3,5) (skips a level)
    return Netlist.build(2, 2, [1, 6, 7], [[2, 3], [2, 4], [3, 5]], [4, 5, 6, 0], 2)


def test_levels_and_layout():
    nl = tiny()
    assert list(nl.level) == [1, 2, 3]
    assert list(nl.level_ptr) == [0, 1, 2, 3]
    assert nl.base == 4 and nl.num_signals == 7 and nl.depth == 3 and nl.group_size == 2


def test_build_sorts_by_level_and_renumbers():
    # n4 is level 2 (reads n5), n5 is level 1: build must not accept forward refs...
    with pytest.raises(NetlistError, match="node 0"):
        Netlist.build(2, 2, [1, 1], [[2, 5], [2, 3]], [4], 1)
    # ...but a level-2 node listed before a level-1 node that does not feed it is reordered.
    nl = Netlist.build(2, 2, [6, 1, 7], [[2, 3], [2, 4], [2, 3]], [4, 5, 6], 3)
    assert list(nl.level) == [1, 1, 2]
    assert list(nl.outputs) == [4, 6, 5]
    assert nl.fanin.tolist() == [[2, 3], [2, 3], [2, 4]]
    vectors = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.uint8)
    res = simulate_bits(nl, vectors)
    expected = [[a ^ b, a & (a ^ b), a | b] for a, b in vectors.tolist()]  # outputs as originally listed
    assert res.output_bits.tolist() == expected


@pytest.mark.parametrize("kwargs, message", [
    (dict(tables=[1, 16], fanin=[[2, 3], [2, 3]]), "node 1: truth table 16"),
    (dict(tables=[1, 1], fanin=[[2, 3], [2, 9]]), "node 1 .* reads signal 9"),
    (dict(tables=[1, 1], fanin=[[2, 3], [-1, 3]]), "node 1 .* reads signal -1"),
    (dict(tables=[1, 1], fanin=[[2, 3], [2, 3]], outputs=[4, 7]), "output 1: signal id 7"),
    (dict(tables=[1, 1, 1], fanin=[[2, 3]] * 3, outputs=[4, 5, 6], classes=2), "3 outputs cannot form 2"),
])
def test_validate_rejects_with_named_node(kwargs, message):
    args = dict(outputs=[4, 5], classes=1) | kwargs
    with pytest.raises(NetlistError, match=message):
        Netlist.build(2, 2, args["tables"], args["fanin"], args["outputs"], args["classes"])


def test_cycle_is_impossible_by_construction():
    nl = tiny()
    bad = nl.replace(fanin=np.array([[2, 3], [2, 6], [3, 5]], np.int32))  # n5 reads n6 which reads n5
    with pytest.raises(NetlistError, match="node 1"):
        bad.validate()


def test_encoder_validation():
    with pytest.raises(NetlistError, match="encoder makes 2x2=4 bits but the netlist has 2 inputs"):
        Netlist.build(2, 2, [1], [[2, 3]], [4], 1, encoder=Encoder(np.zeros((2, 2))))
    enc = Encoder(np.array([[0.5, 1.5]]))
    assert enc.encode(np.array([[1.0], [2.0], [0.5]])).tolist() == [[1, 0], [1, 1], [0, 0]]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([2, 3, 6]), st.floats(0, 0.5))
def test_text_and_npz_roundtrip(tmp_path_factory, seed, arity, skip):
    nl = random_layered(7, [9, 8, 6], 3, arity=arity, seed=seed, op_mix="uniform", skip_prob=skip)
    nl = nl.replace(encoder=None, tau=2.5, provenance={"format": "random", "seed": seed})
    again = ir.loads(ir.dumps(nl))
    assert again.fingerprint() == nl.fingerprint() and ir.dumps(again) == ir.dumps(nl)
    path = tmp_path_factory.mktemp("rt") / "n.npz"
    ir.save(nl, path)
    loaded = ir.load(path)
    assert loaded.fingerprint() == nl.fingerprint() and loaded.tau == 2.5 and loaded.provenance == nl.provenance


def test_roundtrip_with_encoder(tmp_path):
    nl = Netlist.build(4, 2, [6, 1], [[2, 3], [4, 5]], [6, 7], 2,
                       encoder=Encoder(np.array([[0.1, 0.2], [0.3, 1e-7]])))
    assert ir.loads(ir.dumps(nl)).encoder.thresholds.tolist() == nl.encoder.thresholds.tolist()
    ir.save(nl, tmp_path / "e.npz")
    assert ir.load(tmp_path / "e.npz").encoder.thresholds.tolist() == nl.encoder.thresholds.tolist()


def test_load_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(NetlistError, match="bad.npz: not an lgn2hw netlist"):
        ir.load(bad)
    with pytest.raises(NetlistError, match="missing.npz: no such file"):
        ir.load(tmp_path / "missing.npz")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    def boom(tmp):
        open(tmp, "w").write("partial")
        raise RuntimeError("fail")
    with pytest.raises(RuntimeError):
        ir.atomic_write(tmp_path / "out.txt", boom)
    assert list(tmp_path.iterdir()) == []


def test_compact_and_live_nodes():
    nl = tiny()
    # output only n4: n5, n6 are dead
    nl2 = nl.replace(outputs=np.array([4], np.int32), num_classes=1)
    live = ir.live_nodes(nl2)
    assert live.tolist() == [True, False, False]
    small = ir.compact(nl2, live)
    assert small.num_nodes == 1 and small.outputs.tolist() == [4]
    with pytest.raises(NetlistError, match="reads a removed node"):
        ir.compact(nl, np.array([True, False, True]))


def test_atomic_write_gives_normal_permissions(tmp_path):
    ir.atomic_write(tmp_path / "f.txt", lambda tmp: open(tmp, "w").write("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~mask


# ---------------------------------------------------------------- output polarity
def inverted():
    """tiny() with outputs 1 and 3 (n5 and the constant 0) inverted."""
    return Netlist.build(2, 2, [1, 6, 7], [[2, 3], [2, 4], [3, 5]], [4, 5, 6, 0], 2,
                         output_inv=np.array([False, True, False, True]))


def test_output_polarity_round_trips_through_text_and_file(tmp_path):
    nl = inverted()
    text = ir.dumps(nl)
    assert text.splitlines()[0] == f"{ir.FORMAT_NAME} 2" and "outputs 4 ~5 6 ~0" in text
    again = ir.loads(text)
    assert again.output_inv.tolist() == [False, True, False, True] and again.fingerprint() == nl.fingerprint()
    ir.save(nl, tmp_path / "n.npz")
    loaded = ir.load(tmp_path / "n.npz")
    assert loaded.output_inv.tolist() == nl.output_inv.tolist() and loaded.fingerprint() == nl.fingerprint()
    # the flags are part of the function: fingerprints differ; without any the text form is version 1
    plain = tiny()
    assert plain.fingerprint() != nl.fingerprint()
    assert ir.dumps(plain).splitlines()[0] == f"{ir.FORMAT_NAME} 1" and "~" not in ir.dumps(plain)


def test_version_1_files_still_load(tmp_path):
    nl = tiny()
    fields, arrays = ir.netlist_arrays(nl)
    del arrays["output_inv"]
    ir.write_npz(tmp_path / "v1.npz", {"format": ir.FORMAT_NAME, "version": 1, **fields, "provenance": {}}, arrays)
    old = ir.load(tmp_path / "v1.npz")
    assert old.fingerprint() == nl.fingerprint() and not old.output_inv.any()
    arrays["output_inv"] = np.ones(4, np.uint8)
    ir.write_npz(tmp_path / "bad1.npz", {"format": ir.FORMAT_NAME, "version": 1, **fields}, arrays)
    with pytest.raises(NetlistError, match="bad1.npz: a version 1 netlist file has no 'output_inv'"):
        ir.load(tmp_path / "bad1.npz")
    arrays["output_inv"] = np.array([0, 2, 0, 0], np.uint8)
    ir.write_npz(tmp_path / "bad2.npz", {"format": ir.FORMAT_NAME, "version": 2, **fields}, arrays)
    with pytest.raises(NetlistError, match="bad2.npz: 'output_inv': expected 4 flags of 0/1"):
        ir.load(tmp_path / "bad2.npz")
    arrays["output_inv"] = np.zeros(4, np.uint8)
    ir.write_npz(tmp_path / "v9.npz", {"format": ir.FORMAT_NAME, "version": 9, **fields}, arrays)
    with pytest.raises(NetlistError, match="version 9, this lgn2hw reads 1 and 2"):
        ir.load(tmp_path / "v9.npz")


def test_output_inv_is_validated():
    with pytest.raises(NetlistError, match="output_inv: expected 4 flags"):
        Netlist.build(2, 2, [1], [[2, 3]], [4, 4, 4, 4], 2, output_inv=np.array([True, False]))
    with pytest.raises(NetlistError, match="output_inv: shape"):
        tiny().replace(output_inv=np.zeros(3, bool)).validate()


def test_plain_outputs_and_inverted_rows_keep_the_function():
    nl = inverted()
    x = np.array([[a, b] for a in (0, 1) for b in (0, 1)], np.uint8)
    want = simulate_bits(nl, x).output_bits
    base = simulate_bits(tiny(), x).output_bits
    assert np.array_equal(want, base ^ np.array([0, 1, 0, 1], np.uint8))  # inverted outputs are complements
    plain = ir.plain_outputs(nl)
    assert not plain.output_inv.any() and plain.num_nodes == nl.num_nodes + 1  # NOT of n5; ~0 is the constant 1
    assert plain.outputs[3] == 1
    assert np.array_equal(simulate_bits(plain, x).output_bits, want)
    rows, srcs = ir.inverted_rows(nl)
    assert srcs.tolist() == [0, 5] and rows.tolist() == [4, nl.num_signals + 1, 6, nl.num_signals]
