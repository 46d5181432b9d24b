# SPDX-License-Identifier: MIT
"""The RTL stage of ``lgn2hw compile``: progress display and the final summary."""
from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .. import analysis
from ..ir import Netlist
from .emit import EmitOptions, EmitResult, emit


def rtl_stage(console: Console, nl: Netlist, out_dir: Path, options: EmitOptions) -> EmitResult:
    t0 = time.perf_counter()
    with console.status("emitting RTL") as status:
        res = emit(nl, out_dir, options, progress=lambda msg: status.update(f"RTL: {msg}"))
    meta, pipe = res.metadata, res.metadata["pipeline"]
    counts = analysis.gate_counts(nl)
    table = Table(title=f"RTL: {meta['top']} ({time.perf_counter() - t0:.1f} s)", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("gates", f"{counts['gates']} ({counts['logic_gates']} logic)")
    table.add_row("depth", str(counts["depth"]))
    every = pipe["pipeline_every"]
    table.add_row("fabric stages", f"{pipe['fabric_stages']} ({'combinational' if every == 0 else f'every {every} level(s)'}), "
                                   f"{pipe['fabric_registers']} fabric flip-flops")
    table.add_row("GroupSum", f"{meta['classes']} x popcount({meta['group_size']}) -> {meta['sum_width']} bits, "
                              f"{pipe['popcount']}, {pipe['popcount_latency']} register level(s); "
                              f"{pipe['popcount_bits']} of {meta['classes'] * meta['group_size']} bits to add "
                              f"(constants, copies and complement pairs folded)")
    fmt = meta["input_format"]
    table.add_row("input", f"{meta['num_inputs']} bits" if fmt["kind"] == "bits" else
                  f"{fmt['features']} x {fmt['width']}-bit {'signed' if fmt['signed'] else 'unsigned'} "
                  f"fixed point ({fmt['frac_bits']} fractional bits), on-chip encoder")
    table.add_row("latency", f"{meta['latency']} cycles (one vector per clock)")
    table.add_row("files", "\n".join(str(Path(out_dir) / f) for f in res.files))
    console.print(table)
    return res
