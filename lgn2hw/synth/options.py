# SPDX-License-Identifier: MIT
"""CLI options of the synthesis stage (shared by ``lgn2hw compile`` and ``lgn2hw synth``).

Light to import: click only. The command receives them bundled as ``synth_opts`` (a dict).
"""
from __future__ import annotations

import functools

import click

_SYNTH_OPTIONS = [
    click.option("--device", default=None,
                 help="FPGA device: ice40 up5k (default), hx8k, hx4k, hx1k, lp8k, lp1k, u4k; ecp5 25k (default), "
                      "45k, 85k; gowin GW1NR-9 (default), GW2AR-18; xilinx xcvu9p (default), xcku5p, xc7a35t, "
                      "xc7a100t, xc7z020 (a yosys LUT6 estimate and a Vivado build.tcl, no place-and-route)."),
    click.option("--package", default=None, help="Device package (default: the device's usual one)."),
    click.option("--board", default=None,
                 help="Build for a board (name in boards/ or a .toml path): UART bridge + core -> bitstream."),
    click.option("--clock", "clock_mhz", type=click.FloatRange(min=0, min_open=True), default=None,
                 help="Requested clock in MHz for out-of-context builds (default: the device's, 48 MHz on iCE40 "
                      "UP5K/LP, 100 MHz on HX, ECP5, Gowin and AMD 7-series, 250 MHz on UltraScale+); Fmax is "
                      "reported against it (AMD: the Vivado XDC clock)."),
    click.option("--synth-opts", default=None,
                 help='Yosys flow options, e.g. "abc9=0,retime" (see rtl_templates/synth_<family>.ys.j2).'),
    click.option("--pnr-opts", default=None,
                 help='nextpnr options, e.g. "placer=sa,opt-timing" (see rtl_templates/nextpnr_<family>.args.j2).'),
    click.option("--seed", type=int, default=None, help="nextpnr placement seed (default 1)."),
    click.option("--pnr/--no-pnr", default=True, show_default=True,
                 help="Run place-and-route (--no-pnr: yosys figures only, much faster)."),
    click.option("--tool-timeout", type=click.FloatRange(min=1), default=None,
                 help="Seconds each synthesis tool may run."),
]


def synth_options(command):
    """Add the synthesis options; the command receives them as ``synth_opts``."""
    names = ("device", "package", "board", "clock_mhz", "synth_opts", "pnr_opts", "seed", "pnr", "tool_timeout")

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        opts = {k: kwargs.pop(k) for k in names}
        return command(*args, synth_opts=opts, **kwargs)
    for option in reversed(_SYNTH_OPTIONS):
        wrapper = option(wrapper)
    return wrapper
