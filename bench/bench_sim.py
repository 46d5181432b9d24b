#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference-simulator throughput against compiled C, both sides measured in this run.

    taskset -c 1 .venv/bin/python bench/bench_sim.py [--samples 100000] [--repeats 5]

On random 784 -> 4 x 2,000 and 784 -> 3 x 12,000 networks (10 classes), from the same
uint8 input bits [N, 784] in memory, best of ``--repeats`` runs, one thread:

- ``C export``: ``lgn2hw export c`` (straight-line C, 64 samples per uint64_t word, and 256
  per word in a vector type), compiled here with ``gcc -O3`` (compile time shown):
  ``lgn_predict`` (pack, gates, bit-sliced GroupSum, argmax);
- ``C interpreter``: bench/c_interp.c, a plain interpreter (64 samples per word, a switch per
  gate, a ripple bit-sliced counter), ``gcc -O3``;
- ``lgn2hw simulator``: ``sim.simulate_bits`` with the compiled core (built at install, no
  per-model compile), group sums + classes only, then with the output bits as well; and the
  numpy engine (the fallback) on group sums.

Every engine's group sums are checked equal to the simulator's before timing. Ratios are
against the faster of the two C exports measured in this run. Samples/s are from the best CPU
time of this process (``time.process_time``: every engine runs in it, single-threaded), so
other jobs on a shared machine do not count; compile times are wall time. (The earlier torch forward-pass baseline is
dropped: the training libraries' hard forward ran at 323-819 samples/s in 8.5 GB here.)
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from lgn2hw import sim  # noqa: E402
from lgn2hw.export_c import write_c  # noqa: E402
from lgn2hw.generate import random_layered  # noqa: E402

HERE = Path(__file__).resolve().parent
P = ctypes.c_void_p


def best_of(fn, repeats):
    """Best CPU time of this process over ``repeats`` runs (every engine runs single-threaded in
    this process; on a shared machine wall time would count other jobs' time slices too)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def compile_so(src: Path, out: Path, cflags: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(["gcc", *cflags, "-shared", "-fPIC", "-DLGN_NO_MAIN", "-o", str(out), str(src)], check=True)
    return time.perf_counter() - t


def ptr(a):
    return a.ctypes.data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cflags", default="-O3", help="gcc flags for the C export and the C interpreter")
    args = ap.parse_args()
    if shutil.which("gcc") is None:
        sys.exit("gcc not found: the C sides cannot be built")
    cflags = args.cflags.split()
    core = sim.native_core("auto")
    print(f"one thread (OMP={os.environ.get('OMP_NUM_THREADS', 'unset')}); affinity {sorted(os.sched_getaffinity(0))}; "
          f"simulator core: {'built' if core else 'NOT BUILT (numpy engine)'}; C flags {' '.join(cflags)}")
    nets = {"784 -> 4 x 2,000": [2000] * 4, "784 -> 3 x 12,000": [12000] * 3}
    rng = np.random.default_rng(0)
    n = args.samples
    bits = rng.integers(0, 2, (n, 784)).astype(np.uint8)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        interp_so = d / "interp.so"
        t_interp = compile_so(HERE / "c_interp.c", interp_so, cflags)
        interp = ctypes.CDLL(str(interp_so)).interp_predict
        interp.restype = None
        interp.argtypes = [ctypes.c_int64, ctypes.c_int64, P, P, P, ctypes.c_int64, P, ctypes.c_int64, P,
                           ctypes.c_int64, P, P]
        print(f"C interpreter compiled once in {t_interp:.2f} s")
        print(f"{'network':<20}{'engine':<36}{'compile s':>10}{'samples/s':>13}{'vs C export':>13}"
              "   (ratios against the faster C export of the net)")
        for name, widths in nets.items():
            rates = {}
            nl = random_layered(784, widths, 10, seed=1)
            ref = sim.simulate_bits(nl, bits[:4096], return_output_bits=False)
            tag = name.split()[-1].replace(",", "")
            rate_c = 0.0
            for spw in (64, 256):
                src = d / f"model_{tag}_{spw}.c"  # one file per net: dlopen caches by path
                t = time.perf_counter()
                write_c(nl, src, samples_per_word=spw)
                t_gen = time.perf_counter() - t
                t_cc = compile_so(src, d / f"model_{tag}_{spw}.so", cflags)
                lib = ctypes.CDLL(str(d / f"model_{tag}_{spw}.so"))
                lib.lgn_predict.restype = None
                lib.lgn_predict.argtypes = [P, ctypes.c_size_t, P, P]
                sums = np.empty((n, nl.num_classes), np.int32)
                cls = np.empty(n, np.int32)

                def c_export():
                    lib.lgn_predict(ptr(bits), n, ptr(sums), ptr(cls))
                c_export()
                assert (sums[:4096] == ref.group_sums).all() and (cls[:4096] == ref.classes).all(), "C export differs"
                rates[spw] = n / best_of(c_export, args.repeats)
                rate_c = max(rate_c, rates[spw])
                print(f"{name:<20}{f'C export, {spw} samples/word':<36}{t_gen + t_cc:>10.2f}{rates[spw]:>13,.0f}"
                      f"{'':>13}   (generate {t_gen:.2f} s + gcc {t_cc:.2f} s)")

            ops = nl.tables.astype(np.uint8)
            fa = np.ascontiguousarray(nl.fanin[:, 0], np.int32)
            fb = np.ascontiguousarray(nl.fanin[:, 1], np.int32)
            assert not nl.any_inverted  # the interpreter reads plain outputs
            outs = np.ascontiguousarray(nl.outputs, np.int32)
            isums = np.empty((n, nl.num_classes), np.int32)
            icls = np.empty(n, np.int32)

            def c_interp():
                interp(nl.num_inputs, nl.num_nodes, ptr(ops), ptr(fa), ptr(fb), nl.num_outputs, ptr(outs),
                       nl.num_classes, ptr(bits), n, ptr(isums), ptr(icls))
            c_interp()
            assert (isums[:4096] == ref.group_sums).all(), "C interpreter differs"
            rate = n / best_of(c_interp, args.repeats)
            print(f"{name:<20}{'C interpreter (switch per gate)':<36}{'-':>10}{rate:>13,.0f}{rate / rate_c:>12.2f}x")

            for label, kw, samples in (("lgn2hw simulator, sums + classes", dict(return_output_bits=False), n),
                                       ("lgn2hw simulator, + output bits", dict(return_output_bits=True), n)):
                got = sim.simulate_bits(nl, bits[:4096], **kw)
                assert (got.group_sums == ref.group_sums).all()
                rate = samples / best_of(lambda: sim.simulate_bits(nl, bits[:samples], **kw), args.repeats)
                print(f"{name:<20}{label:<36}{'none':>10}{rate:>13,.0f}{rate / rate_c:>12.2f}x")
            m = min(n, 20_000)
            rate = m / best_of(lambda: sim.simulate_bits_with(nl, bits[:m], False, engine="numpy"),
                               max(1, args.repeats // 2))
            print(f"{name:<20}{'numpy engine (fallback), sums':<36}{'none':>10}{rate:>13,.0f}{rate / rate_c:>12.2f}x")


if __name__ == "__main__":
    main()
