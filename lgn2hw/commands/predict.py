# SPDX-License-Identifier: MIT
from __future__ import annotations

import click
import numpy as np

from ..inputs import read_inputs
from ..ir import atomic_write
from .options import FORMAT_CHOICE, import_options


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--inputs", "inputs_path", required=True, type=click.Path(dir_okay=False),
              help="npz with 'bits' uint8 [N, input_bits] or 'X' float [N, features]; optional 'y' labels.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="npz to write: group_sums [N, classes], classes [N], output_bits [N, outputs].")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="Force the model format.")
@import_options
def predict(model, inputs_path, out_path, fmt, import_opts):
    """Run the reference simulator on a checkpoint or a saved netlist.

    \b
    Example:
      lgn2hw predict examples/digits.pt --inputs x.npz --out y.npz
    """
    from .. import api
    from ..outputs import check_outputs

    check_outputs({"--out": out_path}, inputs=[model, inputs_path])
    imp = api.load(model, fmt, **import_opts)
    bits, y = read_inputs(inputs_path, imp.netlist)
    res = api.simulate(imp, bits)

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, group_sums=res.group_sums, classes=res.classes, output_bits=res.output_bits)
    atomic_write(out_path, write)
    msg = f"{bits.shape[0]} samples -> {out_path}"
    if y is not None:
        msg += f"; accuracy {np.mean(res.classes == y) * 100:.2f}%"
    click.echo(msg)
