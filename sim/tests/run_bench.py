#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build an emitted lgn2hw core and run ``lgn_core_tb`` on it through ``cocotb_tools.runner``.

    python sim/tests/run_bench.py --core-dir build/digits --sim icarus --build-dir /tmp/b \\
        --vectors vectors.npz --result result.json

``lgn2hw.verify`` runs this in a child process whose environment selects the simulator
(Verilator's folder first on PATH, MAKEFLAGS) and whose PYTHONPATH holds ``sim/tests`` and
``sim/model``. It writes one JSON: vectors, mismatches, measured latencies, the first mismatch,
build/run/stream seconds, the waveform path, or ``error`` when the build or simulator failed.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from cocotb_tools.runner import VerilatorControlFile, get_runner

TESTS = ("stream_full_throughput", "stream_with_bubbles", "reset_mid_stream")
# kind "stream" (the streaming conv core): its own bench module and tests
STREAM_TESTS = ("frames_back_to_back", "frames_with_bubbles", "reset_mid_frame", "first_cuts_frame")
BENCH = {"dense": ("lgn_core_tb", TESTS), "stream": ("lgn_stream_tb", STREAM_TESTS)}
TIMESCALE = ("1ns", "1ps")  # Amaranth emits no `timescale; cocotb's 10 ns clock needs ps precision
PORTS = {"dense": ("clk", "rst", "in_valid", "in_data", "out_valid", "out_class", "out_sums"),
         "stream": ("clk", "rst", "in_valid", "in_first", "in_pixel", "in_ready", "out_valid", "out_class",
                    "out_sums")}


def verilator_ports_only(build: Path, top: str, ports) -> list:
    """Build args and a control file that give VPI access to the top's ports only.

    cocotb's runner passes --public-flat-rw, which keeps every gate wire alive and registers
    it with VPI: on a 6,000-gate core that is megabytes of extra C++ (symbol tables). The bench
    touches only the ports; waveforms (--trace) still show every signal.
    """
    vlt = build / "ports.vlt"
    vlt.write_text("`verilator_config\n" + "".join(
        f'public_flat_rw -module "{top}" -var "{p}"\n' for p in ports))
    return ["--no-public-flat-rw", VerilatorControlFile(vlt)]


def tail(path: Path, lines: int = 3) -> str:
    if not path.is_file():
        return "no log"
    text = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    errs = [ln for ln in text if "error" in ln.lower()]
    return " | ".join((errs or text)[-lines:])[:600]


def write_json(path: Path, obj) -> None:
    from lgn2hw.ir import atomic_write  # a killed run never leaves half a report
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=1)))


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core-dir", type=Path, required=True)
    ap.add_argument("--sim", choices=("icarus", "verilator"), required=True)
    ap.add_argument("--build-dir", type=Path, required=True)
    ap.add_argument("--vectors", type=Path, required=True)
    ap.add_argument("--result", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bubble-vectors", type=int, default=256)
    ap.add_argument("--bubble-prob", type=float, default=0.3)
    ap.add_argument("--waves", action="store_true", help="dump a VCD (Verilator: a --trace build)")
    ap.add_argument("--test", choices=TESTS + STREAM_TESTS, default=None, help="run only this test")
    ap.add_argument("--verilator-arg", action="append", default=[], help="extra Verilator build argument")
    ap.add_argument("--all-signals", action="store_true",
                    help="Verilator: VPI access to every signal (cocotb's default), not only the ports")
    args = ap.parse_args(argv)

    from lgn2hw.backend.metadata import load_metadata
    from lgn2hw.verify import VERILATOR_ARGS  # the flags live with the API that documents them

    meta = load_metadata(args.core_dir)
    top = meta.top
    module, tests = BENCH[meta.kind]
    build = args.build_dir.resolve()
    run_dir = build / ("run_waves" if args.waves else "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    report = {"build_dir": str(build)}

    def finish(**more) -> int:
        report.update(more)
        write_json(args.result, report)
        return 0 if not report.get("error") and report.get("mismatches") == 0 else 1

    runner = get_runner(args.sim)
    build_log = build / "build.log"
    sources = meta.file_paths
    build_args = []
    if args.sim == "verilator":
        build_args = [*VERILATOR_ARGS, *args.verilator_arg]
        if not args.all_signals:
            build.mkdir(parents=True, exist_ok=True)
            no_public, vlt = verilator_ports_only(build, top, PORTS[meta.kind])
            sources.insert(0, vlt)
            build_args.append(no_public)
    t0, cpu0 = time.perf_counter(), _children_cpu()
    try:
        runner.build(sources=sources, hdl_toplevel=top, build_dir=build, timescale=TIMESCALE,
                     build_args=build_args,
                     # Icarus: the dump module costs nothing while vvp runs with -none
                     waves=args.waves or args.sim == "icarus", log_file=build_log)
    except (RuntimeError, SystemExit) as e:
        return finish(error=f"build failed ({e}): {tail(build_log)}", log=str(build_log))
    report["build_seconds"] = time.perf_counter() - t0
    report["build_cpu_seconds"] = _children_cpu() - cpu0  # fair on a loaded machine

    test_log = run_dir / "sim.log"
    wave_file = run_dir / ("waves.vcd" if args.sim == "icarus" else "dump.vcd")
    t0 = time.perf_counter()
    try:
        runner.test(test_module=module, hdl_toplevel=top, build_dir=build, test_dir=run_dir,
                    testcase=args.test, seed=args.seed, waves=args.waves, log_file=test_log,
                    results_xml=str(run_dir / "results.xml"), timescale=TIMESCALE,
                    plusargs=[f"+dumpfile_path={wave_file}"] if args.waves and args.sim == "icarus" else [],
                    extra_env={"LGN2HW_CORE_DIR": str(args.core_dir.resolve()),
                               "LGN2HW_VECTORS": str(args.vectors.resolve()),
                               "LGN2HW_RESULT_DIR": str(run_dir),
                               "LGN2HW_SEED": str(args.seed),
                               "LGN2HW_BUBBLE_VECTORS": str(args.bubble_vectors),
                               "LGN2HW_BUBBLE_PROB": str(args.bubble_prob)})
    except (RuntimeError, SystemExit):
        pass  # a failing test still leaves its JSON; a crash is reported below
    report["run_seconds"] = time.perf_counter() - t0

    results = []
    for name in ([args.test] if args.test else tests):
        path = run_dir / f"{name}.json"
        if not path.is_file():
            return finish(error=f"test {name} did not report (simulator crashed?): {tail(test_log)}",
                          log=str(test_log))
        results.append(json.loads(path.read_text()))
    errors = [f"{r['test']}: {e}" for r in results for e in r["errors"]]
    first = next((r["first_mismatch"] for r in results if r["first_mismatch"]), None)
    return finish(vectors=sum(r["vectors"] for r in results),
                  mismatches=sum(r["mismatches"] for r in results),
                  measured_latency=sorted({v for r in results for v in r["latencies"]}),
                  first_mismatch=first, protocol_errors=errors,
                  stream_seconds=sum(r["stream_seconds"] for r in results),
                  waves=str(wave_file) if args.waves and wave_file.is_file() else None,
                  log=str(test_log))


if __name__ == "__main__":
    sys.exit(main())
