# SPDX-License-Identifier: MIT
"""The ``lgn2hw`` command line. Commands live in their own modules and load lazily."""
from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
import warnings

import click

from . import __version__
from .errors import LgnError, LgnWarning
from .subproc import Terminated

# command name -> "module:function"; imported only when the command runs (torch, z3, amaranth are slow).
COMMANDS: dict[str, str] = {
    "inspect": "lgn2hw.commands.inspect:inspect",
    "predict": "lgn2hw.commands.predict:predict",
    "compile": "lgn2hw.commands.compile:compile_cmd",
    "opt": "lgn2hw.commands.opt:opt",
    "equiv": "lgn2hw.commands.equiv:equiv",
    "report": "lgn2hw.commands.report:report",
    "sweep-prune": "lgn2hw.commands.sweep_prune:sweep_prune",
    "verify": "lgn2hw.commands.verify:verify_cmd",
    "train": "lgn2hw.commands.train:train",
    "synth": "lgn2hw.commands.synth:synth",
    "run-board": "lgn2hw.commands.run_board:run_board",
    "export": "lgn2hw.commands.export:export",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lgn2hw")
def cli():
    """Compile trained Logic Gate Networks into verified FPGA designs.

    \b
    Example:
      lgn2hw inspect examples/digits.pt
      lgn2hw compile examples/digits.pt --target ice40
    """


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, LgnWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv=None) -> int:
    """Entry point: user errors become one line on stderr and exit code 1; warnings one line each.
    SIGTERM, like Ctrl-C, unwinds (child tools stopped, partial output folders removed): exit 143."""
    with warnings.catch_warnings(), _sigterm_unwinds():  # restores the filters and showwarning on return
        warnings.simplefilter("always", LgnWarning)
        warnings.showwarning = _show_warning
        try:
            return _main(argv)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            return 130
        except Terminated:
            click.echo("terminated", err=True)
            return 143


@contextlib.contextmanager
def _sigterm_unwinds():
    """SIGTERM raises ``subproc.Terminated`` while a command runs (the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated()
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv) -> int:
    try:
        cli.main(args=argv, prog_name="lgn2hw", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as e:  # one line, with the same "error:" prefix as every other error
        hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
        click.echo(f"error: {e.format_message()}{hint}", err=True)
        return e.exit_code
    except click.ClickException as e:
        click.echo(f"error: {e.format_message()}", err=True)
        return e.exit_code
    except (LgnError, ValueError, OSError) as e:  # NetlistError is a ValueError
        click.echo(f"error: {_one_line(str(e))}", err=True)
        return 1
    return 0


def _one_line(message: str) -> str:
    """Errors are one line whatever the text they quote (a repr of an array spans several)."""
    return " ".join(message.split()) if len(message.splitlines()) > 1 else message


if __name__ == "__main__":
    sys.exit(main())
