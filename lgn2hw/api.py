# SPDX-License-Identifier: MIT
"""The Python API under the CLI: ``load``, ``optimize``, ``simulate``, ``export_c``, ``compile``, ``synthesize``.

    import lgn2hw
    result = lgn2hw.compile("examples/digits.pt", out="build/digits", rtl={"pipeline_every": 2})
    result.plan.latency        # cycles, as in build/digits/metadata.json
    result.report["final"]     # gate counts after the passes

Every ``lgn2hw`` command is a thin wrapper over these functions: it parses options, calls one
of them and prints what it returns (``on_step`` lets it print as each step finishes). Nothing
here prints. Heavy dependencies (torch, z3, Amaranth, cocotb) load only in the step that
needs them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import LgnError
from .ir import Netlist

if TYPE_CHECKING:
    from .backend import CorePlan, EmitOptions, EmitResult
    from .frontends import Imported
    from .passes import PassData
    from .sim import SimResult
    from .verify import VerifyResult

Progress = Callable[[str], None]
OnStep = Callable[[str, Any], None]

TARGETS = ("ice40", "ecp5", "gowin", "xilinx")
SYNTH_KEYS = ("device", "package", "board", "clock_mhz", "synth_opts", "pnr_opts", "seed", "pnr", "tool_timeout")


@dataclass(frozen=True)
class OptimizeResult:
    netlist: Netlist                 # after the passes
    reports: list                    # one passes.PassReport per pass execution
    report: dict                     # the pass report document (docs/report-schema.md)


@dataclass(frozen=True)
class CompileResult:
    out_dir: Path
    model: "Imported"                # the loaded model (its netlist before the passes)
    netlist: Netlist                 # the netlist the core computes (after the passes)
    report: dict                     # the pass report document, also in report_path
    report_path: Path | None
    rtl: "EmitResult"                # files, seconds, metadata
    verify: "VerifyResult | None" = None
    synth: dict | None = None        # the synthesis report (synth.json), when a target or board was given

    @property
    def plan(self) -> "CorePlan":
        """The core plan; ``plan.latency`` etc. are what metadata.json records."""
        return self.rtl.plan

    @property
    def files(self) -> list[str]:
        return self.rtl.files


# ---------------------------------------------------------------------- steps
def load(model, format: str | None = None, **options) -> "Imported":
    """A checkpoint (native, difflogic, torchlogix, torch_dwn) or a saved netlist (.npz), as
    ``frontends.Imported`` (``.netlist``, ``.format``, ``.data`` samples, ``.config``).
    ``options``: ``classes``, ``tau``, ``parametrization`` for checkpoints that lack them."""
    from .frontends import Imported, load_model
    if isinstance(model, Imported):
        return model
    if isinstance(model, Netlist):
        return Imported(model, "netlist")
    return load_model(model, format, **options)


def pass_data(model: "Imported", data=None) -> "PassData | None":
    """Samples for data-driven passes: ``data`` (an .npz path, a dict with 'bits' or 'X' and
    optional 'y', or a PassData), else the samples the checkpoint carries, else None."""
    from .inputs import input_bits, labels, read_inputs, sample_bits
    from .passes import PassData
    nl = model.netlist
    if isinstance(data, PassData):
        return data
    if isinstance(data, dict):
        bits = input_bits(nl, data, "data")
        return PassData(bits, labels(data, bits.shape[0], "data"))
    if data is not None:
        return PassData(*read_inputs(data, nl))
    got = sample_bits(nl, model.data)
    return None if got is None else PassData(*got)


def optimize(model, passes: str | None = None, data=None, verify: bool = False,
             on_pass: Callable | None = None) -> OptimizeResult:
    """Run a pass pipeline (default: the exact pipeline; "none": no pass) on a model, a
    netlist or a path. ``data``: see ``pass_data``. ``verify``: re-simulate after every exact
    pass and name the first that changed the function."""
    from .passes import DEFAULT_PIPELINE, run_pipeline
    from .report import make_report
    imp = load(model)
    pipeline = passes or DEFAULT_PIPELINE
    nl0 = imp.netlist
    nl, reports = run_pipeline(nl0, pipeline, data=pass_data(imp, data), verify=verify, on_pass=on_pass)
    name = str(model) if isinstance(model, (str, Path)) else nl0.provenance.get("file", "")
    return OptimizeResult(nl, reports, make_report(nl0, nl, reports, pipeline, name))


def optimize_conv(model, passes: str | None = None, verify: bool = False, data=None) -> tuple:
    """A pipeline on a conv model's stages (passes.conv.optimize_conv): returns the optimized
    ``ConvModel`` and an ``OptimizeResult`` whose netlist is its unroll() and whose report has
    one row per pass and stage (``stage`` names it) and a ``stages`` list (gates per stage
    before and after, kernels made constant). Data-driven passes run on the dense head, on
    ``data`` (see ``pass_data``; read only when the pipeline has such a pass)."""
    from . import analysis
    from .passes import DEFAULT_PIPELINE, parse_pipeline
    from .passes.conv import optimize_conv as run
    from .report import make_report
    imp = load(model)
    if imp.conv is None:
        raise LgnError("optimize_conv: not a conv model")
    pipeline = passes or DEFAULT_PIPELINE
    steps = parse_pipeline(pipeline) if isinstance(pipeline, str) else list(pipeline)
    samples = pass_data(imp, data) if any(not p.exact for p in steps) else None
    new, results = run(imp.conv, steps, verify=verify, data=samples)
    flat = new.unroll()
    reports = [r for res in results for r in res.reports]
    name = str(model) if isinstance(model, (str, Path)) else imp.netlist.provenance.get("file", "")
    doc = make_report(imp.netlist, flat, reports, pipeline, name)
    rows = iter(doc["passes"])
    for res in results:
        for _ in res.reports:
            row = next(rows)
            row["stage"] = res.stage
    doc["stages"] = [{"stage": r.stage, "initial": analysis.gate_counts(r.before), "final": analysis.gate_counts(r.after),
                      "dropped_kernels": r.dropped_kernels} for r in results]
    doc["conv"] = {"shared_gates": new.gate_counts()["shared"], "unrolled_gates": flat.num_nodes}
    return new, OptimizeResult(flat, reports, doc)


def simulate(model, inputs) -> "SimResult":
    """The reference simulator on ``inputs``: an .npz path ('bits' or 'X'), a dict of those
    arrays, or one array (0/1 input bits, or real features through the model's encoder).
    Returns ``sim.SimResult`` (``output_bits``, ``group_sums``, ``classes``); a conv model runs
    on the conv simulator (the same results as its unrolled netlist, much faster)."""
    import numpy as np

    from .inputs import array_bits, input_bits, read_inputs
    from .sim import simulate_bits
    imp = load(model)
    nl = imp.netlist
    if isinstance(inputs, (str, Path)):
        bits, _ = read_inputs(inputs, nl)
    elif isinstance(inputs, dict):
        bits = input_bits(nl, inputs)
    else:
        bits = array_bits(nl, np.asarray(inputs))
    if getattr(imp, "conv", None) is not None:
        from .conv_sim import simulate_conv_bits
        return simulate_conv_bits(imp.conv, bits, return_output_bits=True)
    return simulate_bits(nl, bits)


def export_c(model, out, format: str | None = None, samples_per_word: int = 64, **options) -> Netlist:
    """Write the model as straight-line C to ``out`` (``export_c.to_c``: 64 or 256 samples per
    word, bit-sliced GroupSum, argmax, a driver); a conv model through its unrolled netlist.
    Returns the netlist written."""
    from .export_c import write_c
    nl = load(model, format, **options).netlist  # a conv model's netlist is its exact unroll()
    write_c(nl, out, samples_per_word=samples_per_word)
    return nl


def checkpoint_vectors(model: "Imported") -> dict | None:
    """The samples a checkpoint carries ('X', 'bits'), as verification vectors; None if none."""
    data = model.data or {}
    got = {k: v for k, v in data.items() if k in ("X", "bits")}
    return got or None


def rtl_options(rtl) -> "EmitOptions":
    from .backend import EmitOptions
    if rtl is None:
        return EmitOptions()
    if isinstance(rtl, EmitOptions):
        return rtl
    if isinstance(rtl, dict):
        try:
            return EmitOptions(**rtl)
        except TypeError as e:
            raise LgnError(f"rtl options: {e}") from None
    raise LgnError(f"rtl: expected EmitOptions or a dict of its fields, got {type(rtl).__name__}")


def lut6c_carry_cell(target: str | None, synth: dict | None = None) -> str:
    """The carry primitive a ``lut6c`` GroupSum instantiates for ``target``/``--device``: CARRY4 on
    7-series (yosys ``-family xc7``), else CARRY8; LgnError for a non-AMD target or board (the
    style instantiates LUT6_2 and CARRY cells that only AMD parts have)."""
    synth = synth or {}
    family = None if target in (None, "none") else target
    if synth.get("board"):
        from .board.boards import load_board
        family = load_board(synth["board"]).target
    if family is None:
        return "CARRY8"
    if family != "xilinx":
        raise LgnError(f"--popcount lut6c instantiates AMD primitives (LUT6_2, CARRY8/CARRY4): "
                       f"--target xilinx only, not {family}")
    from .synth.devices import get_device
    return "CARRY4" if get_device("xilinx", synth.get("device")).variant == "xc7" else "CARRY8"


def check_synthesis(target: str | None = "ice40", **options):
    """Validate the synthesis options (see ``synthesize``) without running anything: the target,
    device, package, clock, ``--synth-opts``/``--pnr-opts`` text, the board file and how they
    combine. Returns (the board or None, the ``SynthConfig`` to run or None when there is
    nothing to synthesize, where the requested clock came from); LgnError naming the option
    otherwise. ``compile`` calls it before its first step, so a bad option is reported before
    minutes of import, passes and RTL, not after."""
    from .synth.devices import requested_clock
    from .synth.flow import SynthConfig
    unknown = set(options) - set(SYNTH_KEYS)
    if unknown:
        raise LgnError(f"unknown synthesis option(s): {', '.join(sorted(unknown))}")
    target = None if target == "none" else target
    board = options.get("board")
    if target is None and not board:
        for flag, key in (("--device", "device"), ("--package", "package"), ("--clock", "clock_mhz"),
                          ("--synth-opts", "synth_opts"), ("--pnr-opts", "pnr_opts"), ("--seed", "seed")):
            if options.get(key) is not None and options.get(key) != "":
                raise LgnError(f"{flag} needs --target {'|'.join(TARGETS)} or --board")
        return None, None, None
    if target is not None and target not in TARGETS:
        raise LgnError(f"target {target!r}: expected one of {', '.join(TARGETS)}")
    common = dict(device=options.get("device"), package=options.get("package"), seed=options.get("seed"),
                  synth_opts=options.get("synth_opts"), pnr_opts=options.get("pnr_opts"),
                  timeout_s=options.get("tool_timeout"))
    if board:
        from .board.boards import load_board
        b = load_board(board)
        if target not in (None, b.target):
            raise LgnError(f"--board {b.name} is an {b.target} board; got --target {target}")
        if options.get("clock_mhz") and options["clock_mhz"] != b.clock_mhz:
            raise LgnError(f"--board {b.name} runs at its {b.clock_mhz:g} MHz clock; --clock applies to "
                           f"out-of-context builds only")
        if options.get("device") and options["device"] != b.device:
            raise LgnError(f"--board {b.name} has a {b.device} device; got --device {options['device']}")
        cfg = SynthConfig(target=b.target, **common)
        replace(cfg, device=b.device, package=b.package, clock_mhz=b.clock_mhz).resolve()  # as build_board runs it
        return b, cfg, f"the {b.name} board clock"
    clock, source = requested_clock(target, options.get("device"), options.get("package"), options.get("clock_mhz"))
    cfg = SynthConfig(target=target, clock_mhz=clock, pnr=options.get("pnr", True) is not False, **common)
    cfg.resolve()
    return None, cfg, source


def synthesize(core_dir, target: str | None = "ice40", progress: Progress | None = None, **options) -> dict | None:
    """Synthesize the core in ``core_dir`` out of context (``core_dir/synth``) or, with
    ``board=``, for a board (``core_dir/board``: UART bridge, bitstream). Options: ``device``,
    ``package``, ``board``, ``clock_mhz``, ``synth_opts``, ``pnr_opts``, ``seed``, ``pnr``,
    ``tool_timeout``. Returns the synthesis report (synth.json), or None when neither a
    target nor a board is given. The work folder is lgn2hw's alone: a run starts it afresh and
    an interrupt (Ctrl-C, SIGTERM) removes it, so it never holds half a build."""
    from .outputs import fresh_folder
    from .synth.flow import ooc_design, synthesize as run_flow
    from .backend.metadata import load_metadata
    say = progress or (lambda msg: None)
    board, cfg, source = check_synthesis(target, **options)
    if cfg is None:
        return None
    core_dir = Path(core_dir)
    meta = load_metadata(core_dir)  # a folder that is no core is refused before its synth/ or board/ is touched
    if meta.pipeline.get("popcount") == "lut6c" and cfg.target != "xilinx":
        raise LgnError(f"{core_dir}: its GroupSum (lut6c) instantiates AMD primitives; synthesize it with "
                       f"--target xilinx, or compile again with another --popcount for {cfg.target}")
    if board is not None:
        from .board.build import build_board
        say(f"building for {board.description}: yosys, nextpnr, bitstream")
        with fresh_folder(core_dir / "board"):
            return build_board(core_dir, core_dir / "board", board, cfg)
    work = core_dir / "synth"
    from .synth.devices import FAMILIES
    pnr = cfg.pnr and FAMILIES[cfg.target].pnr_tool is not None
    say(f"synthesizing for {cfg.target} ({'yosys + nextpnr' if pnr else 'yosys'})")
    with fresh_folder(work):
        design = ooc_design(core_dir, work, cfg.target)
        return run_flow(replace(design, extra={**design.extra, "clock_source": source}), work, cfg)


def compile(model, out=None, *, format: str | None = None, import_options: dict | None = None,
            passes: str | None = None, rtl=None, target: str | None = None,
            verify: str | None = None, synth: dict | None = None, data=None, report=None,
            verify_passes: bool = False, vectors: int = 1000, progress: Progress | None = None,
            on_step: OnStep | None = None, conv: str | None = None) -> CompileResult:
    """Import -> passes -> RTL -> (verify) -> (synthesis), into ``out`` (default
    ``build/<model name>``).

    ``model``: a checkpoint or netlist path (``format``, ``import_options`` as for ``load``),
    an ``Imported`` or a ``Netlist``.
    ``passes``: pipeline text (default: the exact pipeline; "none": no pass). ``rtl``:
    ``EmitOptions`` or a dict of its fields (pipeline_every, adder_stages, popcount, fabric,
    fuse_popcount, input_width, frac_bits, signed, top; ``popcount="auto"`` takes the target
    family's GroupSum style). ``target``: "ice40", "ecp5", "gowin", "xilinx" or None;
    ``synth``: synthesis options (see ``synthesize``; ``board`` builds a bitstream).
    ``verify``: "icarus" or "verilator" checks the core bit-exactly against the reference
    simulator (``verify.VerificationFailed`` on a mismatch). ``data``: samples for
    data-driven passes (see ``pass_data``). ``report``: the pass report path (default
    ``<out>/report.json``; False: none). ``on_step(name, value)`` is called after each step:
    "imported" (Imported), "optimized" (OptimizeResult), "rtl" (EmitResult), "verified"
    (VerifyResult), "synthesized" (report dict).
    ``conv``: for a conv model, "streaming" (the default: the streaming conv core, one instance
    of each kernel; exact passes per kernel and on the head) or "unrolled" (the unrolled netlist
    through the dense core); not allowed for dense models.
    """
    from .backend.emit import emit
    from .outputs import build_folder
    say = progress or (lambda msg: None)
    step = on_step or (lambda name, value: None)
    opts = rtl_options(rtl)
    if opts.popcount == "auto":  # the GroupSum style of the target family (or the board's)
        from .synth.devices import FAMILIES
        family = None if target in (None, "none") else target
        if (synth or {}).get("board"):
            from .board.boards import load_board
            family = load_board(synth["board"]).target
        opts = replace(opts, popcount=FAMILIES[family].popcount if family in FAMILIES else "carry")
    opts.check()
    synth = dict(synth or {})
    check_synthesis(target, **synth)  # every option is checked before the first expensive step
    if opts.popcount == "lut6c":  # AMD primitives: the carry cell of the device's family
        opts = replace(opts, carry_cell=lut6c_carry_cell(target, synth))
    if verify is not None:
        from .verify import SIMULATORS, tool_env
        if verify not in SIMULATORS:
            raise LgnError(f"verify: unknown simulator {verify!r}; expected one of {', '.join(SIMULATORS)}")
        tool_env(verify)  # the simulator is there (else the install hint), before minutes of work
    out_dir = Path(out) if out is not None else Path("build") / Path(str(model)).stem
    if conv not in (None, "streaming", "unrolled"):
        raise LgnError(f"conv: {conv!r}, expected 'streaming' or 'unrolled'")
    say(f"importing {model}")
    imp = load(model, format, **(import_options or {}))
    if conv is not None and imp.conv is None:
        raise LgnError(f"--conv {conv}: {model} is not a conv model")
    streaming = imp.conv is not None and conv != "unrolled"
    if opts.head is None and not streaming and (imp.config or {}).get("task") == "regression":
        opts = replace(opts, head="sums")  # a regression model's result is its sums: no argmax
    if not streaming and opts.head_pipeline_every is not None:
        raise LgnError("--head-pipeline-every: only the streaming conv core has a separate dense head; "
                       "use --pipeline-every")
    if streaming and opts.sums_only:
        raise LgnError("head 'sums': the streaming conv core has an argmax head; use --conv unrolled")
    if streaming:
        from .backend.stream import check_streamable
        check_streamable(imp.conv, opts)  # before any expensive step
    step("imported", imp)
    say("optimizing")
    if streaming:
        model_opt, opt = optimize_conv(imp, passes, verify_passes, data)
    else:
        opt = optimize(imp, passes, data, verify_passes)
    opt = replace(opt, report={**opt.report, "model": str(model)})
    with build_folder(out_dir):  # an interrupt leaves no half-written folder, an earlier build no stale figures
        report_path = None
        if report is not False:
            from .report import write_report
            report_path = Path(report) if report else out_dir / "report.json"
            write_report(opt.report, report_path)
        step("optimized", opt)
        say("emitting RTL")
        if streaming:
            from .backend.stream import emit_stream
            res = emit_stream(model_opt, out_dir, opts, progress=lambda msg: say(f"RTL: {msg}"))
        else:
            res = emit(opt.netlist, out_dir, opts, progress=lambda msg: say(f"RTL: {msg}"))
        step("rtl", res)
        result = CompileResult(out_dir, imp, opt.netlist, opt.report, report_path, res)
        if verify:
            from .verify import VerificationFailed, verify as run_verify
            vdata = checkpoint_vectors(imp)
            say(f"verifying {out_dir} on {verify} (build + run)")
            vres = run_verify(out_dir, verify, vectors=vectors, data=vdata)
            result = replace(result, verify=vres)
            step("verified", vres)
            if not vres.ok:
                raise VerificationFailed(vres)
        rep = synthesize(out_dir, target, progress=say, **synth)
    if rep is not None:
        result = replace(result, synth=rep)
        step("synthesized", rep)
    return result
