# SPDX-License-Identifier: MIT
"""FPGA families and devices as data, and the named, overridable flow options of each family."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import LgnError


@dataclass(frozen=True)
class Family:
    name: str
    synth_template: str
    pnr_template: str
    pnr_tool: str
    pack_tool: str
    default_device: str
    #: yosys cell type prefixes per resource kind (stat counts after synthesis)
    cells: dict[str, tuple[str, ...]]
    #: nextpnr utilization bel type per resource kind
    bels: dict[str, str]
    synth_opts: dict
    pnr_opts: dict


@dataclass(frozen=True)
class Device:
    family: str
    name: str          # nextpnr's device flag without dashes: up5k, hx8k, 85k ...
    package: str | None  # None: nextpnr's default package
    logic: int         # logic cells (iCE40 LCs) or LUT4 slots (ECP5), for the early fit check
    part: str
    #: requested clock when --clock is not given: one a typical pipelined core meets on this part
    #: (the shipped example reaches 67 MHz on the UP5K, 168 MHz on the HX8K), so the default
    #: run ends "met" unless something is wrong.
    default_clock_mhz: float = 100.0


_COMMON_PNR = {"seed": 1, "placer": "", "router": "", "timing-allow-fail": True, "tmg-ripup": False, "extra": ""}

FAMILIES: dict[str, Family] = {
    "ice40": Family(
        name="ice40", synth_template="synth_ice40.ys.j2", pnr_template="nextpnr_ice40.args.j2",
        pnr_tool="nextpnr-ice40", pack_tool="icepack", default_device="up5k",
        cells={"lut": ("SB_LUT4",), "carry": ("SB_CARRY",), "ff": ("SB_DFF",), "bram": ("SB_RAM40_4K",),
               "dsp": ("SB_MAC16",), "io": ("SB_IO",)},
        bels={"logic": "ICESTORM_LC", "bram": "ICESTORM_RAM", "io": "SB_IO", "dsp": "ICESTORM_DSP"},
        synth_opts={"abc9": True, "dff": True, "retime": False, "dsp": False, "noabc": False,
                    "keep-core": True, "extra": ""},
        pnr_opts={**_COMMON_PNR, "opt-timing": False},
    ),
    "ecp5": Family(
        name="ecp5", synth_template="synth_ecp5.ys.j2", pnr_template="nextpnr_ecp5.args.j2",
        pnr_tool="nextpnr-ecp5", pack_tool="ecppack", default_device="25k",
        cells={"lut": ("LUT4",), "carry": ("CCU2C",), "ff": ("TRELLIS_FF",), "bram": ("DP16KD", "PDPW16KD"),
               "dsp": ("MULT18X18D", "ALU54B"), "io": ("TRELLIS_IO",), "widemux": ("PFUMX", "L6MUX21")},
        bels={"logic": "TRELLIS_COMB", "ff": "TRELLIS_FF", "bram": "DP16KD", "io": "TRELLIS_IO",
              "dsp": "MULT18X18D"},
        synth_opts={"abc9": True, "dff": True, "retime": False, "nowidelut": False, "dsp": False,
                    "keep-core": True, "extra": ""},
        pnr_opts={**_COMMON_PNR, "speed": 6},
    ),
}

DEVICES: dict[str, dict[str, Device]] = {
    "ice40": {d.name: d for d in (
        Device("ice40", "up5k", "sg48", 5280, "iCE40UP5K", 48.0),   # its internal oscillator's 48 MHz
        Device("ice40", "u4k", "sg48", 3520, "iCE5LP4K", 48.0),
        Device("ice40", "hx8k", "ct256", 7680, "iCE40HX8K", 100.0),
        Device("ice40", "hx4k", "tq144", 3520, "iCE40HX4K", 100.0),
        Device("ice40", "hx1k", "tq144", 1280, "iCE40HX1K", 100.0),
        Device("ice40", "lp8k", "cm81", 7680, "iCE40LP8K", 48.0),
        Device("ice40", "lp1k", None, 1280, "iCE40LP1K", 48.0),
        Device("ice40", "lp384", None, 384, "iCE40LP384", 48.0),
    )},
    "ecp5": {d.name: d for d in (
        Device("ecp5", "25k", "CABGA381", 24288, "LFE5U-25F"),
        Device("ecp5", "45k", "CABGA381", 43848, "LFE5U-45F"),
        Device("ecp5", "85k", "CABGA381", 83640, "LFE5U-85F"),
    )},
}


def get_device(target: str, device: str | None = None, package: str | None = None) -> Device:
    """The device of ``target`` named ``device`` (family default when None), package overridable."""
    if target not in FAMILIES:
        raise LgnError(f"unknown target {target!r}; expected one of: {', '.join(FAMILIES)}")
    name = (device or FAMILIES[target].default_device).lower()
    for prefix in ("ice40", "lfe5u-", "ecp5-"):  # accept "iCE40UP5K", "LFE5U-85F"
        name = name.removeprefix(prefix)
    if target == "ecp5" and name[-1:] in ("f", "") or name.isdigit():
        name = name.removesuffix("f") + "k"  # "85f" / "85" -> "85k"
    if name not in DEVICES[target]:
        raise LgnError(f"unknown {target} device {device!r}; expected one of: {', '.join(DEVICES[target])}")
    dev = DEVICES[target][name]
    if package:  # nextpnr spells iCE40 packages in lower case, ECP5 ones in upper case
        package = package.lower() if target == "ice40" else package.upper()
    return dataclasses.replace(dev, package=package or dev.package)


def requested_clock(target: str, device: str | None = None, package: str | None = None,
                    clock_mhz: float | None = None) -> tuple[float, str]:
    """(requested MHz, where it came from): ``--clock``, else the device's default_clock_mhz."""
    if clock_mhz:
        return float(clock_mhz), "--clock"
    dev = get_device(target, device, package)
    return dev.default_clock_mhz, f"default for {dev.part}; --clock to change"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_options(text: str | dict | None, defaults: dict, what: str) -> dict:
    """Merge "key=value,key2=value2" (or a dict) over ``defaults``, typed like the defaults.

    A bare key means true (``retime``); ``no-<key>`` means false. Unknown keys and
    ill-typed values raise LgnError naming the option and the known ones.
    """
    out = dict(defaults)
    if not text:
        return out
    items = text.items() if isinstance(text, dict) else (
        (p.partition("=")[0].strip(), p.partition("=")[2].strip() if "=" in p else None)
        for p in text.split(",") if p.strip())
    for key, val in items:
        if val is None:
            key, val = (key[3:], "0") if key.startswith("no-") and key[3:] in defaults else (key, "1")
        if key not in defaults:
            raise LgnError(f"{what}: unknown option {key!r}; known: {', '.join(sorted(defaults))}")
        default = defaults[key]
        sval = str(val).strip().lower()
        try:
            if isinstance(default, bool):
                if sval not in _TRUE | _FALSE:
                    raise ValueError
                out[key] = sval in _TRUE
            elif isinstance(default, int):
                out[key] = int(val)
            else:
                out[key] = str(val)
        except ValueError:
            kind = "true/false" if isinstance(default, bool) else type(default).__name__
            raise LgnError(f"{what}: option {key}={val!r}, expected {kind}") from None
    return out
