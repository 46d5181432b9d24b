# SPDX-License-Identifier: MIT
from __future__ import annotations

import click
import numpy as np

from ..datafile import load_arrays
from ..errors import LgnError
from ..frontends import load_model
from ..ir import atomic_write
from ..sim import simulate_bits
from .inspect import FORMAT_CHOICE, import_options


def read_inputs(path, nl) -> tuple[np.ndarray, np.ndarray | None]:
    """Input bits (through the encoder for 'X') and optional labels from an .npz file."""
    arrays = load_arrays(path)
    y = arrays.get("y")
    if "bits" in arrays:
        bits = arrays["bits"]
        if bits.ndim != 2 or bits.shape[1] != nl.num_inputs:
            raise LgnError(f"{path}: 'bits' has shape {list(bits.shape)}, expected [N, {nl.num_inputs}]")
        if bits.size and not np.isin(bits, (0, 1)).all():
            raise LgnError(f"{path}: 'bits' must hold only 0 and 1")
        bits = bits.astype(np.uint8)
    elif "X" in arrays:
        x = arrays["X"]
        if nl.encoder is None:
            raise LgnError(f"{path}: has features 'X' but the model has no input encoder; give 'bits'")
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == nl.encoder.num_features:
            x = x.reshape(x.shape[0], -1)  # images [N, C, H, W] (conv models): (c, h, w) order
        if x.ndim != 2 or x.shape[1] != nl.encoder.num_features:
            raise LgnError(f"{path}: 'X' has shape {list(x.shape)}, expected [N, {nl.encoder.num_features}]")
        if not np.all(np.isfinite(x)):
            raise LgnError(f"{path}: 'X' contains NaN or infinity")
        bits = nl.encoder.encode(x)
    else:
        raise LgnError(f"{path}: expected an array 'bits' (uint8 [N, {nl.num_inputs}]) or 'X' (float features)")
    if y is not None and y.shape != (bits.shape[0],):
        raise LgnError(f"{path}: 'y' has shape {list(y.shape)}, expected [{bits.shape[0]}]")
    return bits, y


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
    imp = load_model(model, fmt, **import_opts)
    bits, y = read_inputs(inputs_path, imp.netlist)
    if imp.conv is not None:  # the conv simulator: same results as the unrolled netlist, much faster
        from ..conv_sim import simulate_conv_bits
        res = simulate_conv_bits(imp.conv, bits, return_output_bits=True)
    else:
        res = simulate_bits(imp.netlist, bits)

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, group_sums=res.group_sums, classes=res.classes, output_bits=res.output_bits)
    atomic_write(out_path, write)
    msg = f"{bits.shape[0]} samples -> {out_path}"
    if y is not None:
        msg += f"; accuracy {np.mean(res.classes == y) * 100:.2f}%"
    click.echo(msg)
