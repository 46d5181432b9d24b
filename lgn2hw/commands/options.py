# SPDX-License-Identifier: MIT
"""Click options shared by several commands (not a command module)."""
from __future__ import annotations

import functools

import click

from ..frontends import FRONTENDS

FORMAT_CHOICE = click.Choice(["netlist", *FRONTENDS])

# Settings some checkpoints do not carry (a state_dict has no GroupSum k or tau, nor which LUT
# parametrization made its weights); the importers take them as load_model options.
_IMPORT_OPTIONS = (
    click.option("--classes", type=click.IntRange(min=1), default=None,
                 help="GroupSum k (number of classes) when the checkpoint does not store it."),
    click.option("--tau", type=float, default=None, help="GroupSum temperature when the checkpoint does not store it."),
    click.option("--parametrization", type=click.Choice(["raw", "walsh", "warp", "light"]), default=None,
                 help="torchlogix LUT parametrization of a state_dict whose weight shape is ambiguous."),
    click.option("--config", "model_config", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="torchlogix constructor config (JSON: every layer's class and kwargs) for a state_dict."),
)


def import_options(command):
    """Add --classes/--tau/--parametrization/--config; the command receives them as ``import_opts``."""
    @functools.wraps(command)
    def wrapper(*args, classes=None, tau=None, parametrization=None, model_config=None, **kwargs):
        opts = {k: v for k, v in (("classes", classes), ("tau", tau), ("parametrization", parametrization),
                                  ("config", model_config)) if v is not None}
        return command(*args, import_opts=opts, **kwargs)
    for option in reversed(_IMPORT_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


PASSES_HELP = ("Pass pipeline, e.g. 'const-fold,strash,sat-sweep{conflict-limit=2000},dce' "
               "('none' to skip; default: the exact pipeline).")
