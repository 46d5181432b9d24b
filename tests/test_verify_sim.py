# SPDX-License-Identifier: MIT
"""The cocotb regression in real simulators: a hand-written core (and broken copies of it, which
the bench must catch), emitted designs over simulator x pipeline x encoder, the shipped example
model and the peer-library fixtures. Bigger nets are marked slow."""
import re

import numpy as np
import pytest

from conftest import EXAMPLE_MODEL, PEER_FIXTURES, require_simulator
from lgn2hw import verify
from lgn2hw.errors import CheckpointError
from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder
from test_verify import TINY_V, write_tiny_core

pytestmark = pytest.mark.sim

BUBBLES = 64  # vectors streamed again with idle cycles


@pytest.fixture(params=verify.SIMULATORS)
def simulator(request):
    require_simulator(request.param)
    return request.param


def run(core, simulator, tmp_path, **kw):
    kw.setdefault("bubble_vectors", BUBBLES)
    return verify.verify(core, simulator, build_dir=tmp_path / f"build-{simulator}", **kw)


def tiny_reference(bits, xor=True, tie_high=False):
    """The tiny core's function written out by hand: sums and class per vector."""
    i0, i1, i2, i3 = (bits[:, k].astype(int) for k in range(4))
    n0 = i0 & i1
    n1 = (i2 ^ i3) if xor else (i2 | i3)
    n2 = n0 | n1
    s0, s1 = n0 + n2, n1 + i3
    cls = np.where(s1 >= s0, 1, 0) if tie_high else np.where(s1 > s0, 1, 0)
    return np.stack([s0, s1], axis=1), cls


def vectors_used(res):
    return verify.load_vectors(verify.Path(res.build_dir) / "vectors.npz")[0]


RESET_VECTORS, RESET_PULSE = 48, 3  # sim/tests/lgn_core_tb.py: reset_mid_stream's defaults


def reset_checked(num_vectors, latency):
    """Indices of the vectors reset_mid_stream checks: the first vectors repeated to its stream
    length, without those in flight while rst is high (rst rises after latency + 2 vectors)."""
    n = max(RESET_VECTORS, latency + 2 + RESET_PULSE + 8)
    lost = range(3, latency + 2 + RESET_PULSE)   # captured, and not yet out, at a reset edge
    return np.resize(np.arange(num_vectors), n)[[j for j in range(n) if j not in lost]]


def expected_mismatches(bits, good, bad, latency=2):
    """Mismatching vectors over the three streams (all vectors, the first BUBBLES again, the reset stream)."""
    diff = (good[0] != bad[0]).any(axis=1) | (good[1] != bad[1])
    return (int(diff.sum() + diff[:BUBBLES].sum() + diff[reset_checked(len(bits), latency)].sum()),
            int(np.flatnonzero(diff)[0]))


# ---------------------------------------------------------------------- hand-written core
def test_tiny_core_passes(tmp_path):
    """(Verilator's passing runs are the emitted-core tests below.)"""
    require_simulator("icarus")
    res = run(write_tiny_core(tmp_path / "core"), "icarus", tmp_path, vectors=100)
    assert res.ok, verify.describe(res)
    assert res.composition == {"corner": 6, "dataset": 0, "random": 100}
    assert res.vectors == 106 + BUBBLES + len(reset_checked(106, 2)) and res.measured_latency == [2]
    assert res.vectors_per_second > 0 and res.waves is None


def test_gate_bug_is_caught_with_waves(tmp_path, simulator):
    bad_v = TINY_V.read_text().replace("in_data[2] ^ in_data[3]", "in_data[2] | in_data[3]")
    res = run(write_tiny_core(tmp_path / "core", verilog=bad_v), simulator, tmp_path, vectors=100)
    bits = vectors_used(res)
    count, first = expected_mismatches(bits, tiny_reference(bits), tiny_reference(bits, xor=False))
    assert not res.ok and res.mismatches == count
    fm = res.first_mismatch
    assert fm["index"] == first and fm["test"] == "stream_full_throughput"
    assert fm["expected_sums"] == tiny_reference(bits[first:first + 1])[0][0].tolist()
    assert fm["actual_sums"] == tiny_reference(bits[first:first + 1], xor=False)[0][0].tolist()
    assert int(fm["in_data"], 16) == sum(int(b) << i for i, b in enumerate(bits[first]))
    vcd = verify.Path(res.waves)
    assert vcd.suffix == ".vcd" and vcd.is_file()
    head = vcd.read_text(errors="replace")[:4000]
    assert "$var" in head and "out_sums" in head


def test_argmax_tie_bug_is_caught(tmp_path):
    require_simulator("icarus")
    bad_v = TINY_V.read_text().replace("(s1 > s0)", "(s1 >= s0)")
    res = run(write_tiny_core(tmp_path / "core", verilog=bad_v), "icarus", tmp_path, vectors=100,
              waves_on_failure=False)
    bits = vectors_used(res)
    count, first = expected_mismatches(bits, tiny_reference(bits), tiny_reference(bits, tie_high=True))
    assert res.mismatches == count > 0
    fm = res.first_mismatch
    assert fm["problem"] == "class differs" and fm["expected_sums"] == fm["actual_sums"]
    assert fm["expected_class"] == 0 and fm["actual_class"] == 1


def test_wrong_declared_latency_is_caught(tmp_path):
    require_simulator("icarus")
    res = run(write_tiny_core(tmp_path / "core", latency=3), "icarus", tmp_path, vectors=20)
    # (reset_mid_stream expects the wrong vectors to be lost, so it pairs some outputs off by one)
    assert not res.ok and 2 in res.measured_latency and 3 not in res.measured_latency and res.latency == 3


def test_missing_output_is_caught(tmp_path):
    require_simulator("icarus")
    bad_v = TINY_V.read_text().replace("else     out_valid <= v1;", "else     out_valid <= 1'b0;")
    res = run(write_tiny_core(tmp_path / "core", verilog=bad_v), "icarus", tmp_path, vectors=10,
              waves_on_failure=False)
    assert res.mismatches == res.vectors == 16 + min(16, BUBBLES) + len(reset_checked(16, 2))
    assert res.first_mismatch["problem"].startswith("no output")


def test_extra_output_is_caught(tmp_path):
    require_simulator("icarus")
    bad_v = TINY_V.read_text().replace("else     out_valid <= v1;", "else     out_valid <= 1'b1;")
    res = run(write_tiny_core(tmp_path / "core", verilog=bad_v), "icarus", tmp_path, vectors=10,
              waves_on_failure=False)
    assert not res.ok and any("no vector in flight" in e for e in res.protocol_errors)


@pytest.mark.parametrize("stage", ["first", "both"])
def test_valid_ignoring_rst_is_caught(tmp_path, simulator, stage):
    """A valid pipeline that ignores rst passes the streams without a reset in the middle, and
    fails reset_mid_stream: vectors in flight during the pulse come out."""
    bad_v = TINY_V.read_text().replace("if (rst) v1 <= 1'b0;\n        else     v1 <= in_valid;",
                                       "v1 <= in_valid;")
    if stage == "both":  # out_valid keeps only the reset at power-up (an initial value)
        bad_v = bad_v.replace("output reg        out_valid,", "output reg        out_valid = 1'b0,") \
            .replace("if (rst) out_valid <= 1'b0;\n        else     out_valid <= v1;", "out_valid <= v1;") \
            .replace("reg v1, n0, n1, i3_d;", "reg v1 = 1'b0, n0, n1, i3_d;")
    assert bad_v.count("rst") == 1 + (stage == "first")  # the port (and out_valid's reset) left
    res = run(write_tiny_core(tmp_path / "core", verilog=bad_v), simulator, tmp_path, vectors=30,
              waves_on_failure=False)
    assert not res.ok
    assert all(e.startswith("reset_mid_stream: ") for e in res.protocol_errors)
    assert res.first_mismatch is None or res.first_mismatch["test"] == "reset_mid_stream"
    assert res.protocol_errors or res.mismatches


def test_emitted_valid_ignoring_rst_is_caught(tmp_path, emitted):
    require_simulator("icarus")
    _, out = emitted("every2", False)
    core = tmp_path / "core"
    core.mkdir()
    for f in out.iterdir():
        if f.is_file():
            (core / f.name).write_bytes(f.read_bytes())
    text = (core / "lgn_core.v").read_text()
    assert text.count("if (rst)") == 1  # the valid pipeline's reset, the only one
    (core / "lgn_core.v").write_text(text.replace("if (rst)", "if (1'b0)"))
    res = run(core, "icarus", tmp_path, vectors=40, waves_on_failure=False)
    assert not res.ok and res.measured_latency[:1] == [res.latency]
    assert any(e.startswith("reset_mid_stream: ") for e in res.protocol_errors) or \
        res.first_mismatch["test"] == "reset_mid_stream"


def test_cli_verify_and_exit_codes(tmp_path, capsys):
    require_simulator("icarus")
    from lgn2hw.cli import main
    good = write_tiny_core(tmp_path / "good")
    assert main(["verify", str(good), "--vectors", "20", "--build-dir", str(tmp_path / "b1")]) == 0
    out = capsys.readouterr().out
    assert "mismatches: 0" in out and re.search(r"vectors checked: \d+", out) and "vectors/s" in out
    bad_v = TINY_V.read_text().replace("in_data[0] & in_data[1]", "in_data[0] | in_data[1]")
    bad = write_tiny_core(tmp_path / "bad", verilog=bad_v)
    assert main(["verify", str(bad), "--vectors", "20", "--build-dir", str(tmp_path / "b2")]) == 1
    captured = capsys.readouterr()
    assert "first mismatch: vector" in captured.out and "waves:" in captured.out
    assert captured.err.startswith("error: verification failed on icarus:")


def small_checkpoint(path):
    """A native checkpoint with a thermometer encoder and stored samples."""
    import torch
    from lgn2hw.frontends.native import make_checkpoint
    rng = np.random.default_rng(5)
    layers = [{"arity": 2, "indices": rng.integers(0, 12, (16, 2)), "ops": rng.integers(0, 16, 16)},
              {"arity": 2, "indices": rng.integers(0, 16, (12, 2)), "ops": rng.integers(0, 16, 12)}]
    thr = np.sort(rng.normal(size=(4, 3)), axis=1)
    torch.save(make_checkpoint(12, layers, 3, thresholds=thr, data={"X": rng.normal(size=(30, 4))}), path)
    return path


def test_cli_checkpoint_is_compiled_then_verified(tmp_path, capsys):
    require_simulator("icarus")
    from lgn2hw.cli import main
    ckpt = small_checkpoint(tmp_path / "small.pt")
    assert main(["verify", str(ckpt), "--out", str(tmp_path / "a"), "--vectors", "30"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "a" / "metadata.json").is_file()
    assert "PASS" in out and "30 dataset" in out and "mismatches: 0" in out
    assert main(["compile", str(ckpt), "--out", str(tmp_path / "b"), "--pipeline-every", "2",
                 "--onchip-encoder", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "simulator: icarus" in out and "30 dataset" in out and "mismatches: 0" in out


# ---------------------------------------------------------------------- emitted designs
PIPELINES = {"comb": dict(pipeline_every=0, adder_stages=0), "every2": dict(pipeline_every=2, adder_stages=1)}


@pytest.fixture(scope="module")
def emitted(tmp_path_factory):
    """Emit each (pipeline, encoder) configuration once; the simulators share it."""
    from lgn2hw.backend import EmitOptions, emit
    made = {}

    def get(pipeline, encoder):
        key = (pipeline, encoder)
        if key not in made:
            nl = random_layered(24, [48, 48, 30], 3, seed=7, skip_prob=0.15)
            # output polarity: about a third of the outputs are the complement of their gate
            nl = nl.replace(output_inv=np.random.default_rng(8).random(nl.num_outputs) < 0.33)
            if encoder:
                thr = np.sort(np.random.default_rng(7).normal(0, 1.5, (6, 4)), axis=1)
                nl = nl.replace(encoder=Encoder(thr))
            out = tmp_path_factory.mktemp(f"core-{pipeline}-{encoder}")
            opts = EmitOptions(input_width=7 if encoder else None, **PIPELINES[pipeline])
            made[key] = (emit(nl, out, opts), out)
        return made[key]
    return get


@pytest.mark.parametrize("encoder", [False, True], ids=["bits", "encoder"])
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_emitted_core(tmp_path, simulator, emitted, pipeline, encoder):
    em, out = emitted(pipeline, encoder)
    data = {"X": np.random.default_rng(1).normal(0, 2, (20, 6))} if encoder else None
    res = run(out, simulator, tmp_path, vectors=150, data=data)
    assert res.ok, verify.describe(res)
    assert res.measured_latency == [em.latency]
    assert res.composition["dataset"] == (20 if encoder else 0)


def emit_model(path, tmp_path, **import_opts):
    from lgn2hw.backend import emit
    from lgn2hw.frontends import load_model
    imp = load_model(path, **import_opts)
    emit(imp.netlist, tmp_path / "core")
    return tmp_path / "core", imp


def test_example_model(tmp_path, simulator):
    if not EXAMPLE_MODEL.is_file():
        pytest.skip(f"{EXAMPLE_MODEL} not built yet (examples/make_example.sh)")
    core, imp = emit_model(EXAMPLE_MODEL, tmp_path)
    data = {"X": imp.data["X"]} if "X" in imp.data else None
    res = run(core, simulator, tmp_path, vectors=200, data=data, max_data=100)
    assert res.ok, verify.describe(res)
    assert res.composition["dataset"] == (100 if data else 0)


def peer_libraries():
    return sorted(p.name for p in PEER_FIXTURES.iterdir() if p.is_dir()) if PEER_FIXTURES.is_dir() else []


def import_peer(path, tmp_path):
    try:
        return emit_model(path, tmp_path)
    except CheckpointError as e:
        if "--classes" not in str(e):
            return None
        return emit_model(path, tmp_path, classes=2)  # FIXTURES.md: every peer model has 2 classes


@pytest.mark.parametrize("library", peer_libraries())
def test_peer_fixture(tmp_path, simulator, library):
    """One network per peer library (its checkpoint forms import to the same netlist, which
    the importer tests check), with the library's own 200 reference inputs as dataset samples."""
    folder = PEER_FIXTURES / library
    for path in sorted(folder.glob("*.pt")):
        got = import_peer(path, tmp_path)
        if got is not None:
            break
    else:
        pytest.skip(f"no checkpoint in {folder} imports yet")
    core, imp = got
    ref = next(folder.glob("*_ref.npz"))
    with np.load(ref) as z:
        if imp.netlist.encoder is not None:
            data = {"X": z["inputs_real"]}
        else:  # a state_dict without its thermometer: the net takes the encoded bits
            data = {"bits": z["input_bits"] if "input_bits" in z.files else z["inputs"]}
    res = run(core, simulator, tmp_path, vectors=100, data=data, max_data=100)
    assert res.ok, verify.describe(res)
    assert res.composition["dataset"] == 100


@pytest.mark.slow
def test_six_thousand_gates(tmp_path, simulator):
    from lgn2hw.backend import emit
    nl = random_layered(256, [2000, 2000, 2000], 10, seed=11)
    emit(nl, tmp_path / "core")
    res = run(tmp_path / "core", simulator, tmp_path, vectors=300 if simulator == "icarus" else 3000)
    assert res.ok, verify.describe(res)
