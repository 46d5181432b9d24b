# SPDX-License-Identifier: MIT
"""What the commands print (rich tables and lines): the only place with terminal UI.

The library (``lgn2hw.api`` and below) returns results; the commands hand them to these.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .. import analysis
from ..errors import LgnError
from ..synth.report import summary_line


# ---------------------------------------------------------------------- pass reports
def _counter_text(counters: dict) -> str:
    keep = {k: v for k, v in counters.items() if v and k not in ("sim_seconds", "sat_seconds", "exhaustive_seconds", "patterns")}
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in keep.items())


def pass_table(passes: list[dict], title: str = "passes", counters: bool = True) -> Table:
    table = Table(title=title)
    cols = [("#", "right"), ("pass", "left"), ("round", "right"), ("gates", "right"), ("logic", "right"),
            ("inv", "right"), ("depth", "right"), ("seconds", "right")] + [("counters", "left")] * counters
    for col, just in cols:
        table.add_column(col, justify=just, no_wrap=col != "counters")
    for i, p in enumerate(passes, 1):
        b, a = p["before"], p["after"]
        table.add_row(str(i), p["name"], str(p.get("round", 1)), f"{b['gates']:,} → {a['gates']:,}",
                      f"{a['logic_gates']:,}", f"{a['inverters']:,}", f"{a['depth']}", f"{p['seconds']:.3f}",
                      *[_counter_text(p.get("counters", {}))] * counters)
    return table


def print_passes(console, passes: list[dict], title: str = "passes") -> None:
    """The pass table; on a console too narrow for the counters column (under 120 characters)
    the counters follow the table, one line per pass that has any."""
    wide = console.width >= 120
    console.print(pass_table(passes, title, counters=wide))
    if not wide:
        for i, p in enumerate(passes, 1):
            text = _counter_text(p.get("counters", {}))
            if text:
                console.print(f"  {i} {p['name']}: {text}", soft_wrap=False, highlight=False)


def render_pass_report(doc: dict, console=None) -> None:
    console = console or Console()
    print_passes(console, doc["passes"], title=f"passes: {doc.get('pipeline', '')}")
    i, f = doc.get("initial", {}), doc["final"]
    console.print(f"final: {f['gates']:,} gates ({f['logic_gates']:,} logic, {f['inverters']:,} inverters), "
                  f"depth {f['depth']}" + (f"; from {i['gates']:,} gates, depth {i['depth']}" if i else "")
                  + f"; {doc.get('seconds', 0):.2f} s")




def _fmt_util(u: dict | None) -> str:
    return f"{u['used']:,} / {u['available']:,} ({u['percent']:g}%)" if u else "-"


def tool_label(tool: dict) -> str:
    """Short "binary version (source)" for tables; synth.json keeps the full version line."""
    name = Path(tool.get("command", "?").split()[0]).name
    m = re.search(r"\d+\.\d+[\w.+-]*", tool.get("version") or "")
    return f"{name} {m.group(0) if m else ''} ({tool.get('source', '?')})".replace("  ", " ")


def render_table(rep: dict) -> Table:
    """The synthesis report as a rich table (one row per figure)."""
    dev = rep["device"]
    table = Table(title=f"synthesis: {rep['target']} {dev['part']} ({dev['package'] or 'default package'})"
                        + (f", board {rep['board']}" if rep.get("board") else ", out of context"))
    table.add_column("figure")
    table.add_column("core", justify="right")
    table.add_column("whole design", justify="right")
    core, design = rep["resources"]["core"], rep["resources"]["design"]
    names = {"lut": dev.get("lut", "LUT4"), "lut6_2": "  of which LUT6_2 (two outputs, one site)", "carry": "carry cells", "ff": "flip-flops", "bram": "block RAM",
             "lutram": "LUT RAM", "srl": "shift-register LUTs", "uram": "UltraRAM",
             "dsp": "DSP", "widemux": "wide muxes"}  # IO cells appear only after place-and-route
    for kind, label in names.items():
        if kind in core:
            table.add_row(label, f"{core[kind]:,}", f"{design[kind]:,}")
    pnr = rep.get("pnr")
    if pnr:
        u = pnr["utilization"]
        table.add_row("logic cells (placed)", "", _fmt_util(u.get("logic")))
        for kind, label in (("ff", "FF bels"), ("bram", "block RAM bels"), ("io", "IO bels"), ("dsp", "DSP bels")):
            if kind in u and (u[kind]["used"] or kind == "io"):
                table.add_row(label, "", _fmt_util(u[kind]))
        t = pnr["timing"]
        verdict = "met" if t["met"] else "NOT met"
        source = f", {rep['clock_source']}" if rep.get("clock_source") else ""
        table.add_row("Fmax", "", f"{t['fmax_mhz']} MHz (requested {t['requested_mhz']:g} MHz{source}: {verdict})")
        cp = pnr.get("critical_path")
        if cp:
            table.add_row("critical path", "", f"{cp['delay_ns']} ns, {cp.get('cells', '?')} cells "
                          f"({cp['logic_ns']} ns logic, {cp['routing_ns']} ns routing)")
    for step, secs in rep["times_s"].items():
        table.add_row(f"{step} time", "", f"{secs:.1f} s  ({tool_label(rep['tools'].get(step, {}))})")
    if rep.get("bitstream"):
        table.add_row("bitstream", "", rep["bitstream"])
    if rep.get("estimate"):
        table.add_row("note", "", "yosys estimate, no place-and-route ran")
        table.add_row("Vivado", "", f"vivado -mode batch -source {rep['files'].get('vivado_script', 'build.tcl')}")
    return table




def render_synth_report(path: Path, doc: dict, console=None) -> None:
    console = console or Console()
    try:
        console.print(render_table(doc))
    except (KeyError, TypeError, ValueError) as e:
        raise LgnError(f"{path}: synthesis report lacks or mangles a field ({type(e).__name__}: {e})") from None
    if doc.get("fits") is False:
        console.print(f"[red]{doc.get('error', 'does not fit')}[/red]")
    console.print(f"{summary_line(doc)}  [dim]({path})[/dim]")


# ---------------------------------------------------------------------- compile steps
def show_import(console: Console, model, imp) -> None:
    nl = imp.netlist
    counts = analysis.gate_counts(nl)
    console.print(f"imported {model} ({imp.format}): {nl.num_inputs} inputs, {counts['gates']} gates "
                  f"({counts['logic_gates']} logic), depth {counts['depth']}, {nl.num_classes} classes")


def show_passes(console: Console, opt, report_path=None) -> None:
    """One row per pass of an ``api.OptimizeResult`` (none when no pass ran)."""
    doc = opt.report
    if opt.reports and "stages" in doc:  # a conv model: one table per stage
        for st in doc["stages"]:
            rows = [p for p in doc["passes"] if p.get("stage") == st["stage"]]
            note = f", {st['dropped_kernels']} unread kernel(s) made constant" if st.get("dropped_kernels") else ""
            print_passes(console, rows, title=f"{st['stage']}: {st['initial']['gates']:,} -> "
                                              f"{st['final']['gates']:,} gates{note}")
        conv = doc.get("conv", {})
        console.print(f"conv model after the passes: {conv.get('shared_gates', 0):,} gates shared "
                      f"({conv.get('unrolled_gates', 0):,} unrolled)")
    elif opt.reports:
        print_passes(console, doc["passes"], title=f"passes: {doc['pipeline']}")
    if report_path:
        console.print(f"wrote {report_path}")


def _rtl_table(res, title: str) -> Table:
    """The two-column table an RTL step prints (title with the step's seconds)."""
    table = Table(title=f"{title} ({sum(res.seconds.values()):.1f} s)", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    return table


def show_stream_rtl(console: Console, res) -> None:
    """The streaming conv core an ``emit_stream`` wrote: its stages, head and timing."""
    plan, meta = res.plan, res.metadata
    table = _rtl_table(res, f"RTL: {plan.top}, streaming conv core")
    c, h, w = plan.image
    table.add_row("input", f"{h}x{w} pixels of {c} bits (in_pixel), one per clock")
    for i, st in enumerate(plan.stages):
        g = st.geometry
        what = (f"{st.out_channels} kernels, one instance each, {st.schedule.num_stages} pipeline stage(s)"
                if st.kind == "conv" else f"OR over {g.rf}x{g.rf}")
        table.add_row(f"stage {i} ({st.kind})", f"{g.channels}x{g.height}x{g.width} -> {st.out_channels}x"
                      f"{g.out_height}x{g.out_width}; rf {g.rf}, stride {g.stride}, padding {g.padding}; {what}; "
                      f"line buffers {max(0, g.rf - 1)} x {g.width} x {g.channels} bits; border {g.tail} steps")
    hp = plan.head
    every = hp.options.pipeline_every
    table.add_row("head", f"{plan.features} collected bits -> dense core {hp.top}: {hp.schedule.num_stages} fabric "
                          f"stage(s) ({'combinational' if every == 0 else f'every {every} level(s)'}), "
                          f"{hp.classes} x popcount({hp.group_size}), latency {hp.latency}")
    table.add_row("timing", f"{plan.cycles_per_image} cycles per image (back to back); latency {plan.latency} "
                            f"cycles from an image's last pixel to out_valid")
    est = plan.estimates
    table.add_row("estimate", f"streaming <= {est['streaming']['lut4_upper']:,} LUT4, "
                              f"{est['streaming']['line_buffer_bits']:,} line-buffer bits, "
                              f"{est['streaming']['bank_bits']:,}-bit bank; unrolled (--conv unrolled) <= "
                              f"{est['unrolled']['lut4_upper']:,} LUT4 (one per logic gate and GroupSum bit)")
    table.add_row("files", "\n".join(str(Path(res.out_dir) / f) for f in res.files))
    console.print(table)


def show_rtl(console: Console, res, counts: dict | None = None) -> None:
    """The core an ``emit`` wrote (an ``EmitResult``): its plan as a table; ``counts``: the
    netlist's ``analysis.gate_counts``."""
    if res.metadata.get("kind") == "stream":
        return show_stream_rtl(console, res)
    plan, pipe = res.plan, res.metadata["pipeline"]
    table = _rtl_table(res, f"RTL: {plan.top}")
    sched = plan.schedule
    if counts:
        table.add_row("gates", f"{counts['gates']} ({counts['logic_gates']} logic)")
        table.add_row("depth", str(counts["depth"]))
    every = plan.options.pipeline_every
    table.add_row("fabric stages", f"{sched.num_stages} ({'combinational' if every == 0 else f'every {every} level(s)'}), "
                                   f"{pipe['fabric_registers']} fabric flip-flops")
    pop = plan.popcount
    table.add_row("GroupSum", f"{plan.classes} x popcount({plan.group_size}) -> {plan.sum_width} bits, "
                              f"{pop.style}, {pop.latency} register level(s); "
                              f"{pop.bits} of {plan.classes * plan.group_size} bits to add "
                              f"(constants, copies and complement pairs folded)")
    table.add_row("head", "sums only (regression): no argmax, out_class tied to 0" if plan.head == "sums" else
                  f"argmax of {plan.classes} sums, {plan.argmax_latency} register level(s)")
    inp = plan.input
    table.add_row("input", f"{inp.num_inputs} bits" if inp.fixed is None else
                  f"{inp.features} x {inp.fixed.width}-bit {'signed' if inp.fixed.signed else 'unsigned'} "
                  f"fixed point ({inp.fixed.frac_bits} fractional bits), on-chip encoder")
    table.add_row("latency", f"{plan.latency} cycles (one vector per clock)")
    table.add_row("files", "\n".join(str(Path(res.out_dir) / f) for f in res.files))
    console.print(table)


def show_verify(console: Console, res, out_dir, as_json: bool = False) -> None:
    """A ``verify.VerifyResult``: PASS/FAIL and its lines (or JSON on stdout)."""
    from ..verify import describe
    if as_json:
        import json
        click.echo(json.dumps(res.to_dict(), indent=2))
        return
    style = "green" if res.ok else "red"
    console.print(f"[bold {style}]{'PASS' if res.ok else 'FAIL'}[/bold {style}] bit-exact check of {out_dir}")
    for line in describe(res):
        console.print(line, highlight=False, markup=False)


def show_synth(console: Console, core_dir, rep: dict) -> None:
    """A synthesis report, where it was written, and how to flash a board's bitstream."""
    work = Path(core_dir) / ("board" if rep.get("board") else "synth")
    console.print(render_table(rep))
    console.print(summary_line(rep))
    console.print(f"wrote {work / 'synth.json'}" + (f" and {work / rep['bitstream']}" if rep.get("bitstream") else ""))
    if rep.get("board") and rep.get("bitstream"):
        from ..board.boards import load_board
        prog = load_board(rep["board"]).program
        if prog:
            console.print(f"flash it: {prog.format(bitstream=work / rep['bitstream'])}; then "
                          f"lgn2hw run-board {core_dir} --port <serial port>")


class CompileDisplay:
    """``progress`` and ``on_step`` for ``lgn2hw.compile``: a status line while a step runs,
    each step's table when it ends."""

    def __init__(self, console: Console, model, out_dir, report_path=None):
        self.console, self.model, self.out_dir, self.report_path = console, model, out_dir, report_path
        self.status = None
        self.counts = None

    def progress(self, msg: str) -> None:
        if self.status is not None:
            self.status.update(msg)

    def on_step(self, name: str, value) -> None:
        c = self.console
        if name == "imported":
            show_import(c, self.model, value)
        elif name == "optimized":
            self.counts = value.report["final"]
            show_passes(c, value, self.report_path)
        elif name == "rtl":
            show_rtl(c, value, self.counts)
        elif name == "verified":
            show_verify(c, value, self.out_dir)
        elif name == "synthesized":
            show_synth(c, self.out_dir, value)

    @contextmanager
    def running(self, what: str = "compiling"):
        from ..progress import status as progress_status
        with progress_status(self.console, what) as status:
            self.status = status
            try:
                yield self
            finally:
                self.status = None
