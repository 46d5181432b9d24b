# SPDX-License-Identifier: MIT
"""Synthesis: Yosys -> nextpnr -> bitstream for iCE40 and ECP5, with parsed reports.

    from lgn2hw.synth import SynthConfig, ooc_design, synthesize
    rep = synthesize(ooc_design("build/digits/rtl", "build/digits/synth"), "build/digits/synth",
                     SynthConfig(target="ice40", device="hx8k", clock_mhz=100))

``tools`` finds the binaries, ``devices`` holds families/devices/options as data, ``flow``
runs the tools (templates in ``rtl_templates/``), ``report`` parses the figures,
``baseline`` writes a naive behavioural core (the comparison point of bench/bench_synth.py).
"""
from .devices import DEVICES, FAMILIES, get_device, parse_options
from .flow import Design, DoesNotFit, SynthConfig, load_report, ooc_design, synthesize
from .report import summary_line
from .tools import Tool, find_tool, have_tool

__all__ = ["DEVICES", "FAMILIES", "Design", "DoesNotFit", "SynthConfig", "Tool", "find_tool", "get_device",
           "have_tool", "load_report", "ooc_design", "parse_options", "summary_line", "synthesize"]
