# SPDX-License-Identifier: MIT
"""Running a tool (yosys, nextpnr, the cocotb bench) so that an interrupt leaves no process behind.

The child runs in its own process group. On a timeout, Ctrl-C or SIGTERM (which ``cli.main``
turns into ``Terminated``) the whole group gets SIGINT first, so a child that runs children of
its own (the bench runs ``vvp`` or a Verilator model) stops them and reaps them; whatever is
still alive after a grace period gets SIGKILL. ``subprocess.run`` kills only the direct child,
at once: its own children were left running, or as a defunct ``vvp`` once their parent died.

Imports nothing from lgn2hw.
"""
from __future__ import annotations

import os
import signal
import subprocess

GRACE_S = 5.0


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that cleanup code runs (``cli.main``)."""


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(proc: subprocess.Popen, grace: float = GRACE_S) -> None:
    """Stop ``proc`` and its process group: SIGINT, then SIGKILL after ``grace`` seconds; reaped."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc.pid, signal.SIGKILL)  # the group outlives its leader: stop the rest too
    proc.wait()


def run(argv, *, cwd=None, env=None, stdout=None, stderr=None, timeout: float | None = None,
        grace: float = GRACE_S) -> int:
    """Run ``argv`` in its own process group; its exit code. ``subprocess.TimeoutExpired`` past
    ``timeout`` (the group stopped first); any exception while waiting stops the group too."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        return proc.wait(timeout)
    except BaseException:
        stop(proc, grace)
        raise
