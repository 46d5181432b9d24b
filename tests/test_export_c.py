# SPDX-License-Identifier: MIT
"""``lgn2hw export c``: the generated C, compiled with gcc, against the reference simulator,
bit for bit (group sums, classes and output words) on random and data vectors."""
import ctypes
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _netgen import netlists
from conftest import EXAMPLE_MODEL, require_tool
from lgn2hw import sim
from lgn2hw.cli import main
from lgn2hw.export_c import to_c, write_c
from lgn2hw.generate import random_layered
from lgn2hw.ir import Netlist


def build(nl, tmp_path, name="model", shared=False, spw=64, native=False):
    gcc = require_tool("gcc")
    src = tmp_path / f"{name}.c"
    write_c(nl, src, chunk=7, samples_per_word=spw)  # small chunks: the split into functions is exercised too
    out = tmp_path / (f"{name}.so" if shared else name)
    flags = ["-shared", "-fPIC", "-DLGN_NO_MAIN"] if shared else []
    # -march=native: on AVX machines 256-sample words are 32-byte vectors (aligned loads)
    flags += ["-O3", "-march=native"] if native else ["-O1", "-Wall", "-Werror", "-Wno-unused-function"]
    subprocess.run([gcc, "-std=c99", *flags, "-o", str(out), str(src)], check=True, capture_output=True, text=True)
    return out


def run_driver(exe, data: bytes, *args) -> np.ndarray:
    res = subprocess.run([str(exe), *args], input=data, capture_output=True, check=True)
    lines = res.stdout.decode().split("\n")[:-1]
    return np.array([[int(v) for v in line.split()] for line in lines], np.int64).reshape(len(lines), -1)


def check_driver(nl, exe, bits):
    ref = sim.simulate_bits(nl, bits)
    got = run_driver(exe, bits.tobytes())
    assert got.shape == (bits.shape[0], 1 + nl.num_classes)
    assert np.array_equal(got[:, 0], ref.classes)
    assert np.array_equal(got[:, 1:], ref.group_sums)
    packed = np.packbits(bits, axis=1, bitorder="little")  # -p: each row's bits, LSB first
    assert np.array_equal(run_driver(exe, packed.tobytes(), "-p"), got)


def check_library(nl, so, bits):
    lib = ctypes.CDLL(str(so))
    n = bits.shape[0]
    sums = np.zeros((n, nl.num_classes), np.int32)
    cls = np.zeros(n, np.int32)
    bits = np.ascontiguousarray(bits)
    lib.lgn_predict(ctypes.c_void_p(bits.ctypes.data), ctypes.c_size_t(n), ctypes.c_void_p(sums.ctypes.data),
                    ctypes.c_void_p(cls.ctypes.data))
    ref = sim.simulate_bits(nl, bits)
    assert np.array_equal(sums, ref.group_sums) and np.array_equal(cls, ref.classes)
    packed = sim.pack_bits(bits)
    want = sim.output_words(nl, packed)
    for w in range(packed.shape[1]):
        inw = np.ascontiguousarray(packed[:, w])
        out = np.zeros(max(1, nl.num_outputs), np.uint64)
        lib.lgn_eval64(ctypes.c_void_p(inw.ctypes.data), ctypes.c_void_p(out.ctypes.data))
        assert np.array_equal(out[:nl.num_outputs], want[:, w])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(nl=netlists(max_inputs=8, max_nodes=30, arities=(1, 2, 2, 3, 4, 5, 6)), seed=st.integers(0, 2**31),
       spw=st.sampled_from([64, 256]))
def test_random_netlists_match_the_simulator(tmp_path_factory, nl, seed, spw):
    """Constants, wires, inverters, skips, outputs on constants and inputs; arity 1..6."""
    tmp = tmp_path_factory.mktemp("c")
    bits = np.random.default_rng(seed).integers(0, 2, (300, nl.num_inputs)).astype(np.uint8)
    check_driver(nl, build(nl, tmp, spw=spw), bits)
    check_library(nl, build(nl, tmp, "lib", shared=True, spw=spw), bits)


@pytest.mark.parametrize("arity,spw,native", [(2, 64, False), (2, 256, False), (6, 64, False), (2, 256, True),
                                              (2, 64, True)])
def test_layered_net_with_large_groups(tmp_path, arity, spw, native):
    nl = random_layered(40, [120, 10 * 37], 10, arity=arity, seed=3, skip_prob=0.2,
                        op_mix="realistic" if arity == 2 else "uniform")
    bits = np.random.default_rng(1).integers(0, 2, (1000, 40)).astype(np.uint8)
    check_driver(nl, build(nl, tmp_path, spw=spw, native=native), bits)
    check_library(nl, build(nl, tmp_path, "lib", shared=True, spw=spw, native=native), bits)


def test_cli_on_the_example_model_and_its_data(tmp_path):
    """Data vectors: the example checkpoint's own samples, through its encoder."""
    if not EXAMPLE_MODEL.is_file():
        pytest.skip("examples/digits.pt not present")
    from lgn2hw.frontends import load_model
    imp = load_model(str(EXAMPLE_MODEL))
    nl = imp.netlist
    bits = imp.data["bits"] if "bits" in imp.data else nl.encoder.encode(imp.data["X"])
    for spw in ("64", "256"):
        src = tmp_path / f"digits{spw}.c"
        assert main(["export", "c", str(EXAMPLE_MODEL), "-o", str(src), "--samples-per-word", spw]) == 0
        assert src.read_text() == to_c(nl, samples_per_word=int(spw))
        exe = tmp_path / f"digits{spw}"
        subprocess.run([require_tool("gcc"), "-O1", "-o", str(exe), str(src)], check=True)
        check_driver(nl, exe, np.ascontiguousarray(bits[:500], np.uint8))
    with pytest.raises(ValueError, match="64 or 256"):
        to_c(nl, samples_per_word=128)


def test_conv_model_exports_its_unrolled_netlist(tmp_path):
    from _convgen import random_model
    from lgn2hw.conv_sim import simulate_conv_bits
    model = random_model(np.random.default_rng(4))
    nl = model.unroll()
    x = np.random.default_rng(5).uniform(0, 1, (200, *model.in_shape))
    bits = model.encode(x)
    conv = simulate_conv_bits(model, bits)
    exe = build(nl, tmp_path)
    got = run_driver(exe, bits.tobytes())
    assert np.array_equal(got[:, 1:], conv.group_sums) and np.array_equal(got[:, 0], conv.classes)


def test_driver_rejects_bad_input(tmp_path):
    nl = Netlist.build(3, 2, [1], [[2, 3]], [5, 4], 2)
    exe = build(nl, tmp_path)
    bad = subprocess.run([str(exe)], input=bytes([0, 1, 2]), capture_output=True)
    assert bad.returncode == 1 and b"not 0 or 1" in bad.stderr
    short = subprocess.run([str(exe)], input=bytes([0, 1, 1, 0]), capture_output=True)
    assert short.returncode == 1 and b"whole number" in short.stderr
    empty = subprocess.run([str(exe)], input=b"", capture_output=True)
    assert empty.returncode == 0 and empty.stdout == b""
