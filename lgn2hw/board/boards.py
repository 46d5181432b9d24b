# SPDX-License-Identifier: MIT
"""Boards as data: ``boards/<name>.toml`` (device, package, clock, UART pins, LED)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import LgnError
from ..resources import data_dir

BOARDS_DIR = data_dir("boards")


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    target: str
    device: str
    package: str
    clock_mhz: float
    clock_pin: str | None      # None: on-chip oscillator (iCE40 SB_HFOSC)
    hfosc_div: int | None
    uart_rx: str
    uart_tx: str
    baud: int
    led: str | None = None
    led_active_low: bool = False
    io_type: str | None = None          # ECP5 IO_TYPE for every pin
    program: str | None = None          # how to flash, "{bitstream}" is the file
    amaranth_platform: str | None = None  # "module:Class" in amaranth-boards it mirrors
    path: Path | None = None


def list_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def load_board(name_or_path: str | Path) -> Board:
    """A board by name (``boards/<name>.toml``) or by the path of a .toml file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = BOARDS_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise LgnError(f"unknown board {str(name_or_path)!r}; known: {', '.join(list_boards())} "
                           f"(or give the path of a board .toml)")
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise LgnError(f"{path}: no such board file") from None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LgnError(f"{path}: not a valid TOML board file ({e})") from None

    def get(table: dict, key: str, kind, where: str, required: bool = True):
        if key not in table:
            if required:
                raise LgnError(f"{path}: missing key {where}{key}")
            return None
        val = table[key]
        if kind is float and isinstance(val, int):
            val = float(val)
        if not isinstance(val, kind) or isinstance(val, bool) and kind is not bool:
            raise LgnError(f"{path}: key {where}{key} = {val!r}, expected a {kind.__name__}")
        return val

    def section(key: str, required: bool = True) -> dict:
        sec = data.get(key, None if required else {})
        if not isinstance(sec, dict):
            raise LgnError(f"{path}: missing table [{key}]")
        return sec

    clock, uart, leds = section("clock"), section("uart"), section("leds", required=False)
    pin, div = get(clock, "pin", str, "clock.", False), get(clock, "hfosc_div", int, "clock.", False)
    if (pin is None) == (div is None):
        raise LgnError(f"{path}: [clock] needs exactly one of pin (an oscillator pin) or hfosc_div (iCE40 SB_HFOSC)")
    target = get(data, "target", str, "")
    if div is not None and (target != "ice40" or not 0 <= div <= 3):
        raise LgnError(f"{path}: clock.hfosc_div = {div}: the SB_HFOSC divider is 0..3 and exists on iCE40 only")
    return Board(
        name=get(data, "name", str, ""), description=data.get("description", ""), target=target,
        device=get(data, "device", str, ""), package=get(data, "package", str, ""),
        clock_mhz=get(clock, "mhz", float, "clock."), clock_pin=pin, hfosc_div=div,
        uart_rx=get(uart, "rx", str, "uart."), uart_tx=get(uart, "tx", str, "uart."),
        baud=get(uart, "baud", int, "uart."), led=get(leds, "activity", str, "leds.", False),
        led_active_low=bool(leds.get("active_low", False)), io_type=data.get("io_type"),
        program=data.get("program"), amaranth_platform=data.get("amaranth_platform"), path=path)
