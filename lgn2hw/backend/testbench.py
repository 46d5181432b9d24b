# SPDX-License-Identifier: MIT
"""A self-checking Verilog testbench for an emitted core, run on Icarus.

This is the backend's own smoke check (the cocotb regression lives in sim/): vectors and
expected outputs come from the reference simulator, in_valid has random gaps, and every
output's value and latency is checked against metadata.json.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ToolError
from ..resources import templates
from ..sim import SimResult
from .metadata import CoreMetadata, load_metadata


def hex_rows(bits: np.ndarray) -> list[str]:
    """uint8 [N, B] bits (bit i of a row is Verilog bit i) -> one hex string per row."""
    bits = np.asarray(bits, dtype=np.uint8)
    pad = (-bits.shape[1]) % 8
    packed = np.packbits(np.pad(bits, ((0, 0), (0, pad))), axis=1, bitorder="little")
    return [row[::-1].tobytes().hex() for row in packed]


def field_bits(values: np.ndarray, width: int) -> np.ndarray:
    """int [N, K] -> uint8 [N, K*width]: lane k at bits [k*width +: width], two's complement."""
    v = np.asarray(values, dtype=np.int64) & ((1 << width) - 1)
    shifts = np.arange(width, dtype=np.int64)
    return ((v[:, :, None] >> shifts) & 1).reshape(v.shape[0], -1).astype(np.uint8)


def expected_bits(res: SimResult, meta: CoreMetadata) -> np.ndarray:
    """The testbench's expected word {out_sums, out_class} as bits (a sums-only core's class is 0)."""
    classes = np.zeros_like(res.classes) if meta.head == "sums" else res.classes
    cls = field_bits(classes[:, None], meta.class_width)
    sums = field_bits(res.group_sums, meta.sum_width)
    return np.concatenate([cls, sums], axis=1)


@dataclass(frozen=True)
class TbResult:
    received: int
    errors: int
    latency_errors: int
    log: str

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.latency_errors == 0


def run_icarus(rtl_dir, work_dir, in_data_bits: np.ndarray, res: SimResult, seed: int = 1,
               timeout: float = 600) -> TbResult:
    """Simulate the core in ``rtl_dir`` on ``in_data_bits`` (uint8 [N, input_width]) and
    compare with the reference result ``res``."""
    iverilog, vvp = shutil.which("iverilog"), shutil.which("vvp")
    if not iverilog or not vvp:
        raise ToolError("iverilog/vvp not found on PATH (run scripts/setup.sh)")
    rtl_dir, work = Path(rtl_dir), Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    meta = load_metadata(rtl_dir)
    n = in_data_bits.shape[0]
    exp = expected_bits(res, meta)
    (work / "vectors.hex").write_text("\n".join(hex_rows(in_data_bits)) + "\n")
    (work / "expected.hex").write_text("\n".join(hex_rows(exp)) + "\n")
    tb = templates().get_template("testbench.v.j2").render(
        n=n, in_width=meta.input_width, out_width=exp.shape[1], latency=meta.latency, seed=seed,
        class_width=meta.class_width, sums_width=meta.sums_width, top=meta.top)
    (work / "tb.v").write_text(tb)
    files = [str(f.resolve()) for f in meta.file_paths]
    build = subprocess.run([iverilog, "-g2005", "-s", "tb", "-o", "sim.vvp", "tb.v", *files], cwd=work,
                           capture_output=True, text=True, timeout=timeout)
    if build.returncode:
        raise ToolError(f"iverilog failed on {rtl_dir}: {build.stderr.strip()[:2000]}")
    run = subprocess.run([vvp, "-n", "sim.vvp"], cwd=work, capture_output=True, text=True, timeout=timeout)
    m = re.search(r"RESULT received=(\d+) errors=(\d+) latency_errors=(\d+)", run.stdout)
    if not m:
        raise ToolError(f"vvp gave no result for {rtl_dir}: {run.stdout[-2000:]} {run.stderr[-2000:]}")
    return TbResult(int(m[1]), int(m[2]), int(m[3]), run.stdout)
