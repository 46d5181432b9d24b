# SPDX-License-Identifier: MIT
"""`lgn2hw equiv`: prove two netlists equal with a z3 miter, or print a distinguishing input."""
from __future__ import annotations

import click

from ..frontends import load_model


@click.command()
@click.argument("first", type=click.Path(dir_okay=False))
@click.argument("second", type=click.Path(dir_okay=False))
@click.option("--conflict-limit", type=int, default=None, help="Give up (answer unknown) after this many conflicts.")
def equiv(first, second, conflict_limit):
    """Prove two models/netlists compute the same output bits (exit 0), or show an input where
    they differ (exit 2); exit 3 when the solver gives up.

    \b
    Example:
      lgn2hw equiv original.npz optimized.npz
    """
    from ..equiv import check_equivalence

    a = load_model(first).netlist
    b = load_model(second).netlist
    res = check_equivalence(a, b, conflict_limit)
    if res.equal:
        click.echo(f"equivalent: {first} and {second} compute the same {a.num_outputs} output bits")
        return
    if res.status == "unknown":
        click.echo("unknown: the solver hit the conflict limit")
        raise SystemExit(3)
    bits = "".join(str(int(v)) for v in res.counterexample)
    click.echo(f"different: output bits {list(res.outputs)[:16]} differ on input bits (input 0 first):\n{bits}")
    raise SystemExit(2)
