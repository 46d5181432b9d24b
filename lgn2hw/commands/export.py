# SPDX-License-Identifier: MIT
"""``lgn2hw export``: the netlist in other tools' forms (a thin shell over lgn2hw.export_c)."""
from __future__ import annotations

import click

from .options import FORMAT_CHOICE, import_options


@click.group()
def export():
    """Export a model for other tools.

    \b
    Example:
      lgn2hw export c examples/digits.pt -o digits.c
    """


@export.command("c")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="C file to write (straight-line C with a driver).")
@click.option("--samples-per-word", type=click.Choice(["64", "256"]), default="64", show_default=True,
              help="64: uint64_t words (difflogic's and torchlogix's layout); 256: four lanes in a GCC/Clang "
                   "vector type (one vector operation per gate).")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the model format.")
@import_options
def export_c_cmd(model, out_path, samples_per_word, fmt, import_opts):
    """Straight-line C of a checkpoint or a saved netlist (conv models through their unrolled
    netlist): lgn_predict() for group sums and classes, lgn_eval64() for output words, and a
    driver main() that reads 0/1 bytes (or packed rows with -p) and prints
    "class sum_0 ... sum_{C-1}" per sample.

    \b
    Example:
      lgn2hw export c examples/digits.pt -o digits.c
      cc -O2 -o digits digits.c && ./digits inputs.bin
    """
    from .. import api

    nl = api.export_c(model, out_path, fmt, samples_per_word=int(samples_per_word), **import_opts)
    click.echo(f"{out_path}: {nl.num_nodes} nodes (arity {nl.arity}), {nl.num_inputs} input bits, "
               f"{nl.num_classes} classes; build: cc -O2 -o model {out_path}")
