# SPDX-License-Identifier: MIT
from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from .. import analysis
from ..frontends import load_model
from .options import FORMAT_CHOICE, import_options


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the input format (default: detect).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@import_options
def inspect(model, fmt, as_json, import_opts):
    """Show a model's inputs, layers, gate counts by kind, classes and source format.

    \b
    Example:
      lgn2hw inspect examples/digits.pt
      lgn2hw inspect dwn_state_dict.pt --classes 10 --tau 3.33
    """
    imp = load_model(model, fmt, **import_opts)
    nl = imp.netlist
    info = analysis.summary(nl)
    info["format"] = imp.format
    info["ops"] = analysis.op_histogram(nl)
    conv = getattr(imp, "conv", None)
    if conv is not None:
        info["conv"] = conv_stages(conv, nl)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    console = Console()
    console.print(f"[bold]{model}[/bold]  format: [cyan]{imp.format}[/cyan]")
    if conv is not None:
        print_conv_stages(console, info["conv"])
    enc = f", thermometer encoder {info['encoder'][0]} features x {info['encoder'][1]} thresholds" if info["encoder"] else ""
    console.print(f"inputs: {nl.num_inputs} bits{enc}")
    inverted = f"; {info['inverted_outputs']} output bits inverted (output polarity)" if info["inverted_outputs"] else ""
    console.print(f"classes: {nl.num_classes} (GroupSum of {nl.group_size} bits each, tau={nl.tau:g}); "
                  f"node arity: {nl.arity}{inverted}")
    table = Table(title="gates per level")
    for col in ("level", "gates", "logic", "wire", "inverter", "constant"):
        table.add_column(col, justify="right")
    kinds = nl.kinds()
    ptr = nl.level_ptr
    for lvl in range(1, nl.depth + 1):
        k = kinds[ptr[lvl - 1]:ptr[lvl]]
        table.add_row(str(lvl), str(k.size), *(str(int((k == i).sum())) for i in (3, 1, 2, 0)))
    table.add_row("total", str(info["gates"]), str(info["logic_gates"]), str(info["wires"]),
                  str(info["inverters"]), str(info["constants"]), style="bold")
    console.print(table)


def conv_stages(model, unrolled=None) -> dict:
    """A conv model's stages as plain data: geometry, shapes, gates per kernel, unrolled counts."""
    from ..ir import live_nodes

    shapes = model.shapes()
    counts = model.gate_counts()["stages"]
    rows = []
    for i, st in enumerate(model.stages):
        row = {"stage": i, "kind": st.kind, "in_shape": list(shapes[i]), "out_shape": list(shapes[i + 1]),
               "unrolled_gates": counts[i]["unrolled"]}
        if st.kind == "conv":
            kn = st.kernel
            per = [int(live_nodes(kn, outputs=kn.outputs[j:j + 1]).sum()) for j in range(kn.num_outputs)]
            row.update(kernels=st.num_kernels, depth=kn.depth, rf=st.rf, stride=st.stride, padding=st.padding,
                       in_channels=shapes[i][0], gates=kn.num_nodes, gates_per_kernel=[min(per), max(per)])
        else:
            row.update(kernel=st.kernel, stride=st.step, padding=st.padding)
        rows.append(row)
    head = model.head
    rows.append({"stage": len(model.stages), "kind": "dense", "in_shape": [head.num_inputs],
                 "out_shape": [head.num_outputs], "depth": head.depth, "gates": head.num_nodes,
                 "unrolled_gates": counts[-1]["unrolled"]})
    c, h, w = model.in_shape
    return {"in_shape": [c, h, w], "bits_per_channel": model.bits_per_channel, "stages": rows,
            "unrolled_gates": int(unrolled.num_nodes) if unrolled is not None else None}


def print_conv_stages(console, info: dict) -> None:
    """Render ``conv_stages``: one line per stage (fits a narrow terminal)."""
    def shape(s):
        return "x".join(str(v) for v in s)

    c, h, w = info["in_shape"]
    t = info["bits_per_channel"]
    console.print(f"conv model: image {c}x{h}x{w}, {t} threshold bit(s) per channel -> {c * t}x{h}x{w} input bits")
    for r in info["stages"]:
        io = f"{shape(r['in_shape'])} -> {shape(r['out_shape'])}"
        if r["kind"] == "conv":
            lo, hi = r["gates_per_kernel"]
            per = str(lo) if lo == hi else f"{lo}..{hi}"
            console.print(f"  stage {r['stage']} conv: {r['kernels']} kernels, depth {r['depth']}, rf {r['rf']}, "
                          f"stride {r['stride']}, padding {r['padding']}, {r['in_channels']} in-channels, {io}; "
                          f"{per} gates/kernel, {r['gates']} shared, {r['unrolled_gates']} unrolled")
        elif r["kind"] == "pool":
            console.print(f"  stage {r['stage']} or-pool: kernel {r['kernel']}, stride {r['stride']}, padding "
                          f"{r['padding']}, {io}; {r['unrolled_gates']} unrolled ORs")
        else:
            console.print(f"  stage {r['stage']} dense head: {io} bits, depth {r['depth']}, {r['gates']} gates")
    if info["unrolled_gates"] is not None:
        console.print(f"  unrolled netlist: {info['unrolled_gates']} gates")
