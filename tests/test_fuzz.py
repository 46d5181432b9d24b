# SPDX-License-Identifier: MIT
"""Fuzzing the loaders (issue 17): checkpoints and netlist files mutated in their bytes, their
field types and their array shapes. Every run must end in exit 0 with a valid result, or exit 1
with one "error:" line and no traceback; a failed predict leaves no output (not even a temp
file); memory stays bounded. The default suite runs a few dozen cases per strategy; ``-m slow``
runs hundreds."""
from __future__ import annotations

import contextlib
import io
import json
import resource
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lgn2hw import ir
from lgn2hw.cli import main
from lgn2hw.generate import random_layered

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
SLOW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=None)
def native_bytes() -> bytes:
    import torch

    from lgn2hw.frontends.native import make_checkpoint
    rng = np.random.default_rng(0)
    layers = [{"arity": 2, "indices": rng.integers(0, 12, (8, 2)), "logits": rng.normal(size=(8, 16))},
              {"arity": 2, "indices": rng.integers(0, 8, (6, 2)), "ops": rng.integers(0, 16, 6)}]
    ck = make_checkpoint(12, layers, 3, tau=2.0, thresholds=np.sort(rng.normal(size=(4, 3)), axis=1),
                         config={"note": "fuzz"}, data={"X": rng.normal(size=(20, 4)), "y": rng.integers(0, 3, 20)})
    buf = io.BytesIO()
    torch.save(ck, buf)
    return buf.getvalue()


@lru_cache(maxsize=None)
def netlist_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "n.npz"
        nl = random_layered(12, [10, 9], 3, seed=2)
        ir.save(nl.replace(encoder=ir.Encoder(np.sort(np.random.default_rng(1).normal(size=(4, 3)), axis=1))), path)
        return path.read_bytes()


def run_cli(argv) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)  # anything but a clean return (an exception) fails the test
    return rc, err.getvalue()


def check_outcome(model: Path, folder: Path) -> None:
    """inspect and predict on ``model``: exit 0 and a valid result, or exit 1, one line, nothing written."""
    rc, err = run_cli(["inspect", str(model)])
    assert rc in (0, 1), (rc, err)
    assert "Traceback" not in err
    if rc == 1:
        lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert model.name in lines[0], err  # names the file
    x = folder / "x.npz"
    if not x.exists():
        np.savez(x, X=np.random.default_rng(3).normal(size=(16, 4)))
    out = folder / "y.npz"
    out.unlink(missing_ok=True)
    rc, err = run_cli(["predict", str(model), "--inputs", str(x), "--out", str(out)])
    assert rc in (0, 1) and "Traceback" not in err, (rc, err)
    if rc == 0:
        with np.load(out) as z:
            assert z["classes"].shape == (16,) and z["group_sums"].shape[0] == 16
            assert (z["classes"] < z["group_sums"].shape[1]).all()
    else:
        lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert model.name in lines[0] or x.name in lines[0], err
        assert not out.exists()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not leftovers, leftovers


# ---------------------------------------------------------------- strategies
byte_edits = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4)
cut = st.one_of(st.none(), st.floats(0, 1))


def mutate_bytes(raw: bytes, edits, cut_at) -> bytes:
    b = bytearray(raw)
    for where, xor in edits:
        b[int(where * len(b))] ^= xor
    if cut_at is not None:
        b = b[: int(cut_at * len(b))]
    return bytes(b)


def _array(shape, dtype, fill):
    with np.errstate(invalid="ignore", over="ignore"):
        return np.full(shape, fill).astype(dtype)


def arrays(max_side=40):
    return st.builds(
        _array,
        st.lists(st.integers(0, max_side), max_size=3).map(tuple),
        st.sampled_from(["float32", "float64", "int64", "int32", "uint8", "bool"]),
        st.one_of(st.integers(-5, 70), st.floats(allow_nan=True, allow_infinity=True, width=32)))


values = st.one_of(st.integers(-2**62, 2**62), st.floats(allow_nan=True), st.text(max_size=4), st.none(),
                   st.booleans(), st.lists(st.integers(-3, 30), max_size=3), arrays(),
                   st.dictionaries(st.sampled_from(["X", "y", "bits", "thresholds"]), arrays(), max_size=2))

NATIVE_FIELDS = [("num_inputs",), ("classes",), ("tau",), ("config",), ("data",), ("encoder",), ("layers",),
                 ("version",), ("encoder", "thresholds"), ("data", "X"), ("data", "y"), ("data", "bits"),
                 ("layers", 0, "indices"), ("layers", 0, "logits"), ("layers", 0, "arity"), ("layers", 1, "ops"),
                 ("layers", 1, "indices"), ("layers", 1, "logits"), ("layers", 0), ("layers", 2)]


def mutate_native(folder: Path, edits) -> Path:
    import torch
    ck = torch.load(io.BytesIO(native_bytes()), weights_only=True)
    for field, value in edits:
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        elif isinstance(value, dict):
            value = {k: torch.from_numpy(v) for k, v in value.items()}
        target = ck
        try:
            for key in field[:-1]:
                target = target[key]
            if isinstance(target, list) and field[-1] >= len(target):
                target.append(value)
            else:
                target[field[-1]] = value
        except (KeyError, IndexError, TypeError, RuntimeError):
            pass  # an earlier edit replaced a container (a tensor takes no such item): keep what there is
    path = folder / "m.pt"
    torch.save(ck, path)
    return path


HEADER_FIELDS = ["num_inputs", "arity", "num_classes", "tau", "provenance", "format", "version"]
ARRAY_FIELDS = ["tables", "fanin", "level", "outputs", "output_inv", "thresholds", "header"]


def mutate_netlist(folder: Path, edits) -> Path:
    path = folder / "n.npz"
    path.write_bytes(netlist_bytes())
    with np.load(path) as z:
        a = {k: z[k] for k in z.files}
    header = json.loads(bytes(a["header"]).decode())
    for field, value in edits:
        if field in HEADER_FIELDS:
            header[field] = value.tolist() if isinstance(value, np.ndarray) else \
                ({k: v.tolist() for k, v in value.items()} if isinstance(value, dict) else value)
        elif isinstance(value, np.ndarray):
            a[field] = value
        else:
            a.pop(field, None)
    if "header" in a and a["header"].dtype == np.uint8 and a["header"].ndim == 1:
        try:
            a["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
        except ValueError:  # NaN is not JSON: write it as Python's json does
            a["header"] = np.frombuffer(json.dumps(header, allow_nan=True).encode(), np.uint8)
    np.savez(path, **a)
    return path


native_edits = st.lists(st.tuples(st.sampled_from(NATIVE_FIELDS), values), min_size=1, max_size=3)
netlist_edits = st.lists(st.tuples(st.sampled_from(HEADER_FIELDS + ARRAY_FIELDS), values), min_size=1, max_size=3)


# ---------------------------------------------------------------- the runs
def _bytes_case(which, edits, cut_at):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        raw = native_bytes() if which == "pt" else netlist_bytes()
        path = folder / ("m.pt" if which == "pt" else "n.npz")
        path.write_bytes(mutate_bytes(raw, edits, cut_at))
        check_outcome(path, folder)


def _native_case(edits):
    with tempfile.TemporaryDirectory() as d:
        check_outcome(mutate_native(Path(d), edits), Path(d))


def _netlist_case(edits):
    with tempfile.TemporaryDirectory() as d:
        check_outcome(mutate_netlist(Path(d), edits), Path(d))


@pytest.fixture(scope="module")
def memory_bound():
    """The fuzz runs together may not grow the process by more than 1 GB (a bomb would)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 1024, f"fuzzing grew the process by {grown_mb:.0f} MB"


@FAST
@given(which=st.sampled_from(["pt", "npz"]), edits=byte_edits, cut_at=cut)
@example(which="npz", edits=[(0.5, 1)], cut_at=None)  # found by the long run: zlib.error escaped
def test_fuzz_bytes(memory_bound, which, edits, cut_at):
    _bytes_case(which, edits, cut_at)


@FAST
@given(edits=native_edits)
def test_fuzz_native_fields(memory_bound, edits):
    _native_case(edits)


@FAST
@given(edits=netlist_edits)
def test_fuzz_netlist_fields(memory_bound, edits):
    _netlist_case(edits)


@pytest.mark.slow
@SLOW
@given(which=st.sampled_from(["pt", "npz"]), edits=byte_edits, cut_at=cut)
def test_fuzz_bytes_long(memory_bound, which, edits, cut_at):
    _bytes_case(which, edits, cut_at)


@pytest.mark.slow
@SLOW
@given(edits=native_edits)
def test_fuzz_native_fields_long(memory_bound, edits):
    _native_case(edits)


@pytest.mark.slow
@SLOW
@given(edits=netlist_edits)
def test_fuzz_netlist_fields_long(memory_bound, edits):
    _netlist_case(edits)


def test_fuzz_findings():
    """Cases the long runs found, kept as plain regressions."""
    _native_case([(("version",), np.zeros(0, np.float32))])  # a tensor version: RuntimeError escaped
    _native_case([(("num_inputs",), np.zeros((2, 1), np.float32))])  # a repr over two lines
    _bytes_case("npz", [(0.5, 1)], None)  # a zlib error escaped
    _bytes_case("npz", [(0.875, 1)], None)  # an unknown compression method: NotImplementedError
    _bytes_case("pt", [(0.9952104325821579, 1)], None)  # zipfile.is_zipfile raised BadZipFile
    _bytes_case("pt", [(0.9181614364425773, 168), (0.9181614364425773, 192)], None)  # \x0c in an entry name
    # an item set on a tensor that replaced the layer list: the mutation itself raised
    _native_case([(("layers",), np.zeros(1, np.float32)), (("layers", 0), np.zeros(0, np.float32))])
