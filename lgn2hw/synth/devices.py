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
    pnr_template: str | None   # None: no open place-and-route (AMD: a yosys estimate and a Vivado script)
    pnr_tool: str | None
    pack_tool: str | None
    default_device: str
    #: yosys cell type prefixes per resource kind (stat counts after synthesis)
    cells: dict[str, tuple[str, ...]]
    #: nextpnr utilization bel type per resource kind
    bels: dict[str, str]
    synth_opts: dict
    pnr_opts: dict
    lut: str = "LUT4"           # what a "lut" count is, for reports
    popcount: str = "carry"     # the GroupSum style --popcount auto picks for this family
    #: file suffixes of the placed design and the bitstream
    placed_suffix: str = ".asc"
    bitstream_suffix: str = ".bin"


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
    #: the family variant the tools take: yosys ``synth_xilinx -family`` (xc7, xcup), nextpnr
    #: himbaechel's ``family`` / gowin_pack's ``-d`` (GW1N-9C, GW2A-18C); None elsewhere
    variant: str | None = None
    ff: int | None = None      # flip-flops (reported against when known)
    #: pins for the out-of-context harness's ports (clk, rst, sin, vin, sout) where the placer
    #: refuses unconstrained IO (nextpnr-himbaechel gowin): the board's clock pin, then header pins
    ooc_pins: tuple = ()


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
               "dsp": ("MULT18X18D", "ALU54B"), "io": ("TRELLIS_IO",), "widemux": ("PFUMX", "L6MUX21"),
               "lutram": ("TRELLIS_DPR16X4",)},
        bels={"logic": "TRELLIS_COMB", "ff": "TRELLIS_FF", "bram": "DP16KD", "io": "TRELLIS_IO",
              "dsp": "MULT18X18D"},
        synth_opts={"abc9": True, "dff": True, "retime": False, "nowidelut": False, "dsp": False,
                    "keep-core": True, "extra": ""},
        pnr_opts={**_COMMON_PNR, "speed": 6},
        placed_suffix=".config", bitstream_suffix=".bit",
    ),
    # AMD/Xilinx: yosys synth_xilinx only (a LUT6 estimate; no open place-and-route for these
    # parts), plus a Vivado batch script (build.tcl + XDC) written next to it.
    "xilinx": Family(
        name="xilinx", synth_template="synth_xilinx.ys.j2", pnr_template=None, pnr_tool=None, pack_tool=None,
        default_device="xcvu9p",
        # INV cells are LUT1s that Vivado folds into their readers; counted as LUTs (an upper bound)
        cells={"lut": ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV"), "carry": ("CARRY4", "CARRY8"),
               "ff": ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"), "widemux": ("MUXF7", "MUXF8", "MUXF9"),
               "srl": ("SRL16", "SRLC16", "SRLC32"), "lutram": ("RAM16", "RAM32", "RAM64", "RAM128", "RAM256"),
               "bram": ("RAMB18", "RAMB36"), "uram": ("URAM288",), "dsp": ("DSP48",), "io": ("IBUF", "OBUF", "IOBUF")},
        bels={},
        synth_opts={"abc9": True, "flatten": True, "retime": False, "dsp": False, "keep-core": True, "extra": ""},
        pnr_opts={}, lut="LUT6", popcount="lut6c",
    ),
    # Gowin LittleBee / Arora: yosys synth_gowin -> nextpnr-himbaechel (gowin uarch) -> gowin_pack (apycula)
    "gowin": Family(
        name="gowin", synth_template="synth_gowin.ys.j2", pnr_template="nextpnr_gowin.args.j2",
        pnr_tool="nextpnr-himbaechel", pack_tool="gowin_pack", default_device="gw1nr-9",
        cells={"lut": ("LUT1", "LUT2", "LUT3", "LUT4"), "carry": ("ALU",), "ff": ("DFF",),
               "widemux": ("MUX2_LUT",), "lutram": ("RAM16",), "bram": ("SP", "SDP", "DP", "pROM"),
               "dsp": ("MULT", "PADD", "ALU54"), "io": ("IBUF", "OBUF", "TBUF", "IOBUF")},
        bels={"logic": "LUT4", "ff": "DFF", "carry": "ALU", "bram": "BSRAM", "io": "IOB"},
        synth_opts={"dff": True, "abc9": False, "retime": False, "keep-core": True, "extra": ""},
        pnr_opts={**_COMMON_PNR}, placed_suffix=".pnr.json", bitstream_suffix=".fs",
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
    # logic = LUT6 count, ff = flip-flops (AMD data sheets DS180, DS190, DS890, DS923); the part
    # strings are the usual speed grades the LUT-network papers use.
    "xilinx": {d.name: d for d in (
        Device("xilinx", "xc7a35t", "cpg236", 20800, "xc7a35tcpg236-1", 100.0, "xc7", 41600),
        Device("xilinx", "xc7a100t", "csg324", 63400, "xc7a100tcsg324-1", 100.0, "xc7", 126800),
        Device("xilinx", "xc7z020", "clg400", 53200, "xc7z020clg400-1", 100.0, "xc7", 106400),
        Device("xilinx", "xcku5p", "ffvb676", 216960, "xcku5p-ffvb676-2-e", 250.0, "xcup", 433920),
        Device("xilinx", "xcvu9p", "flga2104", 1182240, "xcvu9p-flga2104-2L-e", 250.0, "xcup", 2364480),
    )},
    # logic = LUT4, ff = flip-flops (Gowin DS117, DS226); name = nextpnr's --device part number
    "gowin": {d.name: d for d in (
        Device("gowin", "gw1nr-9", "QN88P", 8640, "GW1NR-LV9QN88PC6/I5", 100.0, "GW1N-9C", 6480,
               ("52", "25", "26", "27", "28")),
        Device("gowin", "gw2ar-18", "QN88", 20736, "GW2AR-LV18QN88C8/I7", 100.0, "GW2A-18C", 15552,
               ("4", "25", "26", "27", "28")),
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
    if target == "xilinx":  # accept a full part, "xc7a35tcpg236-1" -> "xc7a35t"
        name = next((d for d in DEVICES[target] if name.startswith(d) and (name == d or not name[len(d)].isdigit())),
                    name)
    if target == "gowin":  # "GW1NR-9", "GW1NR-LV9QN88PC6/I5", "gw1nr9" -> "gw1nr-9"
        name = next((d for d, dev in DEVICES[target].items() if name in (d, d.replace("-", ""), dev.part.lower())),
                    name)
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
