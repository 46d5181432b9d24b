# SPDX-License-Identifier: MIT
"""The synthesis flow: yosys -> (fit check) -> nextpnr -> (icepack | ecppack) -> synth.json.

Scripts and argument lists are rendered from jinja2 templates in ``rtl_templates/`` with
named options (``devices.FAMILIES[..].synth_opts / pnr_opts``) that users override as text
(``--synth-opts "retime,abc9=0"``). Every tool run is timed and logged to a file in the work
folder; the report names the binary and version that ran.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


from .. import ir, subproc
from ..backend.metadata import load_metadata
from ..datafile import load_json
from ..errors import LgnError, ToolError
from ..resources import templates
from . import report as rpt
from .devices import FAMILIES, Device, get_device, parse_options
from .tools import Tool, find_tool

# nextpnr's ways of saying "too many cells of a kind" (a "$..." cell type is a yosys leftover, not size)
_NOT_FIT = re.compile(r"no BELs remaining to implement cell type '[A-Z]|Unable to place cell|only has \d+|"
                      r"[Dd]esign uses \d+ .* but|Unable to find legal placement for all cells|"
                      r"Failed to expand region .* of \d+ \w+")


class DoesNotFit(LgnError):
    """The design needs more of a resource than the device has; ``counts``: yosys's figures."""

    def __init__(self, message: str, counts: dict | None = None):
        super().__init__(message)
        self.counts = counts or {}


@dataclass(frozen=True)
class SynthConfig:
    """What to build: family, device, requested clock, seed and option overrides."""

    target: str = "ice40"
    device: str | None = None
    package: str | None = None
    clock_mhz: float = 100.0
    seed: int | None = None
    synth_opts: str | dict | None = None
    pnr_opts: str | dict | None = None
    pnr: bool = True        # run place-and-route (False: yosys figures only)
    bitstream: bool = False  # pack a bitstream (board builds)
    timeout_s: float | None = None  # per tool run

    def resolve(self) -> tuple[Device, dict, dict]:
        dev = get_device(self.target, self.device, self.package)
        fam = FAMILIES[self.target]
        sopts = parse_options(self.synth_opts, fam.synth_opts, "--synth-opts")
        popts = parse_options(self.pnr_opts, fam.pnr_opts, "--pnr-opts")
        if self.seed is not None:
            popts["seed"] = int(self.seed)
        _check_opts(sopts, "--synth-opts")
        _check_opts(popts, "--pnr-opts")
        if dev.package is not None and not _SAFE_TOKEN.match(dev.package):
            raise LgnError(f"--package: {_shown(dev.package)} is not a package name")
        if not self.clock_mhz or self.clock_mhz <= 0:
            raise LgnError(f"--clock: expected a positive frequency in MHz, got {self.clock_mhz}")
        return dev, sopts, popts


@dataclass(frozen=True)
class Design:
    """Verilog to synthesize: ``top`` is synthesized, ``core_top``'s figures are reported apart."""

    files: tuple[Path, ...]
    top: str
    core_top: str
    constraints: Path | None = None  # PCF / LPF for a board; None = unconstrained (out of context)
    name: str = "design"
    extra: dict = field(default_factory=dict)  # copied into the report (e.g. board settings)
    defines: tuple = ()  # Verilog macros the Vivado script defines (yosys defines SYNTHESIS itself)


#: What may go into a tool script or argument list: a Verilog identifier for module names; for
#: file names and paths (relative to the work folder) letters, digits and ``_.+-/`` only, so
#: nothing can end a command (newline, ``;``), start a shell escape (yosys runs ``!`` lines),
#: quote, or pass for a flag (a leading ``-``).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.+/-]*\Z")
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_.+=:,/-]+\Z")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_identifier(value, what: str) -> str:
    """``value`` if it is a plain Verilog identifier, else LgnError naming ``what``."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise LgnError(f"{what}: {_shown(value)} is not a Verilog identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def check_plain_name(value, what: str) -> str:
    """``value`` if it is a file name without folders (letters, digits, ``_.+-``), else LgnError."""
    if not isinstance(value, str) or not _PLAIN_NAME.match(value) or value in (".", ".."):
        raise LgnError(f"{what}: {_shown(value)} is not a plain file name in the folder "
                       f"(letters, digits and _.+- only, no folders)")
    return value


def _check_script_value(value, what: str) -> str:
    if not isinstance(value, str) or not _SAFE_PATH.match(value):
        raise LgnError(f"{what}: {_shown(value)} cannot go into a tool script "
                       f"(allowed: letters, digits and _.+-/, not starting with - or /)")
    return value


def _check_extra(value, what: str) -> str:
    for token in str(value).split():
        if not _SAFE_TOKEN.match(token):
            raise LgnError(f"{what}: extra={_shown(value)}: {_shown(token)} cannot go into a tool script "
                           f"(allowed: letters, digits and _.+=:,/-)")
    return value


def _check_opts(opts: dict, what: str) -> None:
    for key, value in opts.items():
        if key == "extra":
            _check_extra(value, what)
        elif isinstance(value, str) and value and not _SAFE_TOKEN.match(value):
            raise LgnError(f"{what}: {key}={_shown(value)} cannot go into a tool script")


def render(template: str, **ctx) -> str:
    return templates().get_template(template).render(**ctx)


def xor_tree_lines(width: int, extra: str = "") -> str:
    """Verilog reducing ``x0`` ({out_valid, out_class, out_sums} and ``extra`` outputs,
    ``width`` bits) to ``sout`` with 4-input XORs, a register after each level."""
    lines = [f"  wire [{width - 1}:0] x0 = {{{extra}out_valid, out_class, out_sums}};"]
    level = 0
    while width > 1:
        nxt = -(-width // 4)
        level += 1
        lines.append(f"  reg [{nxt - 1}:0] x{level};")
        lines.append("  always @(posedge clk) begin")
        lines += [f"    x{level}[{j}] <= ^x{level - 1}[{min(4 * j + 3, width - 1)}:{4 * j}];" for j in range(nxt)]
        lines.append("  end")
        width = nxt
    lines.append(f"  always @(posedge clk) sout <= x{level}[0];")
    return "\n".join(lines)


def core_design(core_dir: str | Path) -> Design:
    """The core alone, its ports the design's ports (AMD: yosys and Vivado synthesize it out of
    context without I/O buffers, so no harness is needed)."""
    meta = load_metadata(Path(core_dir).resolve())
    # a lut6c core's fabric ends in simulation models of the AMD primitives, inside ifndef SYNTHESIS
    defines = ("SYNTHESIS",) if meta.pipeline.get("popcount") == "lut6c" else ()
    return Design(files=tuple(meta.file_paths), top=meta.top, core_top=meta.top, name="core", defines=defines)


def ooc_design(core_dir: str | Path, work_dir: str | Path, target: str | None = None) -> Design:
    """Wrap the core in the out-of-context harness (ports not bound to pins); for a family
    without open place-and-route (``xilinx``), the core alone (``core_design``)."""
    if target is not None and FAMILIES[target].pnr_tool is None:
        return core_design(core_dir)
    core_dir, work_dir = Path(core_dir).resolve(), Path(work_dir).resolve()
    meta = load_metadata(core_dir)
    stream = meta.kind == "stream"  # the streaming conv core: in_first/in_pixel in, in_ready out
    out_width = 1 + meta.class_width + meta.sums_width + int(stream)
    text = render("ooc_harness.v.j2", top="lgn_ooc", core_top=meta.top, in_width=meta.input_width,
                  class_width=meta.class_width, sums_width=meta.sums_width, stream=stream,
                  reduce_lines=xor_tree_lines(out_width, "in_ready, " if stream else ""))
    harness = work_dir / "ooc_harness.v"
    ir.atomic_write(harness, lambda tmp: Path(tmp).write_text(text))
    return Design(files=(*meta.file_paths, harness), top="lgn_ooc", core_top=meta.top, name="core")


def _rel(path: Path, work: Path) -> str:
    # Paths relative to the work folder: YoWASP tools (WASI) may not see every absolute path.
    return os.path.relpath(Path(path).resolve(), work)


def _run(tool: Tool, args: list[str], log: Path, cwd: Path, timeout: float | None) -> float:
    """Run a tool with its output in ``log``; raise ToolError with the first error line."""
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        fh.write("$ " + shlex.join([*tool.argv, *args]) + "\n")
        fh.flush()
        try:
            code = subproc.run([*tool.argv, *args], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ToolError(f"{tool.name} ran past {timeout:g} s; see {log}") from None
        except OSError as e:
            raise ToolError(f"{tool.name} could not start ({e}); check {' '.join(tool.argv)}") from None
    if code != 0:
        raise ToolError(f"{tool.name} failed (exit {code}): {_first_error(log)}; see {log}")
    return time.perf_counter() - t0


def _first_error(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    for line in lines:
        if "ERROR" in line:
            return line.strip()
    return lines[-1].strip() if lines else "no output"


def _logic_unit(fam) -> str:
    return {"ice40": "logic cells", "xilinx": "LUT6"}.get(fam.name, "LUT4 slots")


def _check_fit(counts: dict, dev: Device, fam) -> None:
    need = rpt.min_logic_cells(counts, fam)
    if need > dev.logic:
        unit = _logic_unit(fam)
        raise DoesNotFit(
            f"design does not fit {dev.part}: needs at least {need:,} {unit} ({counts['lut']:,} {fam.lut}, "
            f"{counts['ff']:,} FF, {counts['carry']:,} carry), the device has {dev.logic:,} "
            f"({100.0 * need / dev.logic:.0f}%); try a larger --device or a smaller model", counts)


def synthesize(design: Design, work_dir: str | Path, config: SynthConfig, board: str | None = None) -> dict:
    """Run the flow in ``work_dir``; returns the report, also written to ``work_dir/synth.json``."""
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    (work / "synth.json").unlink(missing_ok=True)  # a failed rerun must not leave the old figures
    check_plain_name(design.name, "design name")
    for ext in (".asc", ".config", ".bin", ".bit", ".pnr.json", ".fs"):  # nor an older placement or bitstream
        (work / f"{design.name}{ext}").unlink(missing_ok=True)                # (e.g. under --no-pnr)
    dev, sopts, popts = config.resolve()
    fam = FAMILIES[config.target]
    if fam.pnr_tool is None and config.bitstream:
        raise LgnError(f"{fam.name}: lgn2hw has no open place-and-route for these parts, so no bitstream; "
                       f"run the Vivado script (build.tcl) it writes")
    pnr = config.pnr and fam.pnr_tool is not None
    tools = {"yosys": find_tool("yosys")}
    if pnr:
        tools["nextpnr"] = find_tool(fam.pnr_tool)
    if config.bitstream:
        tools["pack"] = find_tool(fam.pack_tool)
    times: dict[str, float] = {}

    stat_json, net_json = work / "yosys_stat.json", work / f"{design.name}.json"
    check_identifier(design.top, "synthesis top module")
    check_identifier(design.core_top, "core top module")
    check_plain_name(design.name, "design name")
    files = [_check_script_value(_rel(f, work), "Verilog file") for f in design.files]
    if design.constraints:
        _check_script_value(_rel(design.constraints, work), "constraints file")
    script = render(fam.synth_template, device=dev, files=files, top=design.top,
                    core_top=design.core_top, opts=sopts, stat_json=stat_json.name, json_out=net_json.name)
    (work / "synth.ys").write_text(script)
    times["yosys"] = _run(tools["yosys"], ["-s", "synth.ys"], work / "yosys.log", work, config.timeout_s)
    resources = rpt.parse_yosys_stat(stat_json, fam, design.top, design.core_top)

    rep = {"target": config.target, "board": board, "top": design.top, "core_top": design.core_top,
           "device": {"name": dev.name, "part": dev.part, "package": dev.package, "logic_capacity": dev.logic},
           "clock_mhz": config.clock_mhz, "synth_opts": sopts, "pnr_opts": popts,
           "tools": {step: t.as_dict() for step, t in tools.items()}, "times_s": times,
           "resources": resources, "fits": None, "pnr": None, "bitstream": None,
           "files": {"yosys_script": "synth.ys", "yosys_log": "yosys.log", "netlist_json": net_json.name},
           **design.extra}
    rep["device"]["lut"] = fam.lut
    if dev.ff is not None:
        rep["device"]["ff_capacity"] = dev.ff
    if fam.pnr_tool is None:
        rep["estimate"] = (f"yosys synth_{fam.name} -family {dev.variant} estimate, no place-and-route ran "
                           f"(INV cells counted as LUTs, an instantiated LUT6_2 as one); Vivado's figures: vivado -mode batch -source build.tcl")
        rep["files"].update(_write_vivado(design, work, dev, config.clock_mhz))
    try:
        _check_fit(resources["design"], dev, fam)
        if pnr:
            _place_and_route(design, work, config, dev, fam, popts, tools, rep)
            rep["fits"] = True
    except DoesNotFit as e:
        rep["fits"] = False
        rep["error"] = str(e)
        _write_report(work, rep)
        raise
    _write_report(work, rep)
    return rep


def vivado_files(files: list[str], top: str, part: str, clock_mhz: float,
                 defines: tuple = ()) -> dict[str, str]:
    """{"build.tcl": ..., "constraints.xdc": ...}: a Vivado batch build of ``top`` out of context
    (``files``: Verilog paths relative to the script's folder, checked for script safety;
    ``defines``: Verilog macros for synth_design, e.g. SYNTHESIS for a lut6c core's sim models)."""
    for d in defines:
        check_identifier(d, "Verilog define")
    for f in files:
        _check_script_value(f, "Verilog file")
    check_identifier(top, "top module")
    if not _SAFE_TOKEN.match(part):
        raise LgnError(f"part {_shown(part)} cannot go into a Vivado script")
    xdc = "constraints.xdc"
    return {"build.tcl": render("vivado_build.tcl.j2", top=top, part=part, files=files, xdc=xdc, defines=defines),
            xdc: render("vivado_clock.xdc.j2", top=top, part=part, clock_mhz=f"{clock_mhz:g}",
                        period_ns=f"{1000.0 / clock_mhz:.3f}")}


def _write_vivado(design: Design, work: Path, dev: Device, clock_mhz: float) -> dict:
    files = [_rel(f, work) for f in design.files]
    out = {}
    for name, text in vivado_files(files, design.top, dev.part, clock_mhz, design.defines).items():
        ir.atomic_write(work / name, lambda tmp, text=text: Path(tmp).write_text(text))
        out["vivado_script" if name.endswith(".tcl") else "vivado_xdc"] = name
    return out


_UTIL_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def packed_utilization(log_text: str) -> dict:
    """nextpnr's "Device utilisation" lines (bel type -> used, available), as packed before placement."""
    return {m[1]: {"used": int(m[2]), "available": int(m[3])} for m in _UTIL_LINE.finditer(log_text)}


def _pack_args(fam, dev: Device, placed: str, out: str) -> list[str]:
    if fam.name == "gowin":
        return ["-d", dev.variant, "-o", out, placed]
    return [placed, out]


OOC_PORTS = ("clk", "rst", "sin", "vin", "sout")  # the out-of-context harness's ports, in Device.ooc_pins order


def ooc_constraints(dev: Device) -> str:
    """Gowin CST text pinning the out-of-context harness (nextpnr-himbaechel refuses unconstrained IO)."""
    lines = [f"// lgn2hw: out-of-context harness pins on {dev.part} (no board: any free IO will do)"]
    lines += [f'IO_LOC "{port}" {pin};' for port, pin in zip(OOC_PORTS, dev.ooc_pins)]
    return "\n".join(lines) + "\n"


# iCE40: above this share of its logic cells, as packed, nextpnr 0.4 rarely routes a design: a
# conv core packed into 5,110 of a UP5K's 5,280 cells (96.8 %) ran router1 and router2 for most of
# an hour without converging. Such a run is refused unless --tool-timeout bounds it.
ROUTABLE_SHARE = {"ice40": 0.95}


def _check_packing(args, work, config, dev, fam, tools, rep) -> None:
    """iCE40: pack only (a second or so) and refuse a design whose logic cells, as packed, exceed
    the device or ``ROUTABLE_SHARE`` of it (the latter unless a tool timeout is set); the packed
    figures go into the report either way."""
    share = ROUTABLE_SHARE.get(fam.name)
    if share is None:
        return
    log = work / "pack_check.log"
    # the same arguments without the outputs (a flag and its file): a pack-only run would write
    # an unplaced design
    out = ("--asc", "--report")
    pack = [a for i, a in enumerate(args) if a not in out and (i == 0 or args[i - 1] not in out)]
    _run(tools["nextpnr"], [*pack, "--pack-only"], log, work, config.timeout_s)
    used = packed_utilization(log.read_text(errors="replace")).get(fam.bels["logic"])
    if not used:
        return
    rep["packed"] = {fam.bels["logic"]: used}
    n, total = used["used"], used["available"]
    if n > total or (n > share * total and config.timeout_s is None):
        d = rep["resources"]["design"]
        why = "more than the device has" if n > total else \
            f"and above {share:.0%} of its cells nextpnr rarely routes (--tool-timeout S tries anyway)"
        raise DoesNotFit(f"design does not fit {dev.part}: nextpnr packs it into {n:,} of {total:,} logic cells "
                         f"({n / total:.1%}), {why}; {d['lut']:,} {fam.lut}, {d['ff']:,} FF, {d['carry']:,} "
                         f"carry; try a larger --device or a smaller model", d)


def _place_and_route(design, work, config, dev, fam, popts, tools, rep) -> None:
    placed = work / f"{design.name}{fam.placed_suffix}"
    if design.constraints is None and dev.ooc_pins:
        cst = work / "ooc.cst"
        ir.atomic_write(cst, lambda tmp: Path(tmp).write_text(ooc_constraints(dev)))
        design = dataclasses.replace(design, constraints=cst)
    pnr_report = work / "nextpnr_report.json"
    args = [a for a in render(fam.pnr_template, device=dev, opts=popts, json_in=rep["files"]["netlist_json"],
                              placed_out=placed.name, report_out=pnr_report.name,
                              clock_mhz=f"{config.clock_mhz:g}",
                              constraints=_rel(design.constraints, work) if design.constraints else "").splitlines()
            if a.strip()]
    _check_packing(args, work, config, dev, fam, tools, rep)
    log = work / "nextpnr.log"
    try:
        rep["times_s"]["nextpnr"] = _run(tools["nextpnr"], args, log, work, config.timeout_s)
    except ToolError:
        text = log.read_text(errors="replace") if log.exists() else ""
        if _NOT_FIT.search(text):
            d = rep["resources"]["design"]
            used = packed_utilization(text)
            if used:
                rep["packed"] = used  # what nextpnr had packed when placement failed
            shown = ", ".join(f"{k} {u['used']:,}/{u['available']:,}" for k, u in used.items()
                              if k in set(fam.bels.values()) and u["used"])
            raise DoesNotFit(f"design does not fit {dev.part} (nextpnr could not place it): {d['lut']:,} {fam.lut}, "
                             f"{d['ff']:,} FF, {d['carry']:,} carry on a device of {dev.logic:,} "
                             f"{_logic_unit(fam)}{f' and {dev.ff:,} FF' if dev.ff else ''}"
                             f"{f' (packed: {shown})' if shown else ''}; see {log}", d) from None
        raise
    rep["files"].update(pnr_log=log.name, pnr_report=pnr_report.name, placed=placed.name)
    rep["pnr"] = rpt.parse_nextpnr_report(pnr_report, fam, config.clock_mhz)
    if config.bitstream:
        bit = work / f"{design.name}{fam.bitstream_suffix}"
        def pack(tmp):
            rep["times_s"]["pack"] = _run(tools["pack"], _pack_args(fam, dev, placed.name, _rel(tmp, work)),
                                          work / "pack.log", work, config.timeout_s)
        ir.atomic_write(bit, pack)
        rep["bitstream"] = bit.name


def _write_report(work: Path, rep: dict) -> None:
    rep["times_s"] = {k: round(v, 3) for k, v in rep["times_s"].items()}
    text = json.dumps(rep, indent=2, sort_keys=False) + "\n"
    ir.atomic_write(work / "synth.json", lambda tmp: Path(tmp).write_text(text))


def load_report(path: str | Path) -> dict:
    """A synth.json (or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "synth.json"
    return load_json(path, "a synthesis report", "no such synthesis report")
