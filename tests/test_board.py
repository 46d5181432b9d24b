# SPDX-License-Identifier: MIT
"""lgn2hw.board: board files, the byte protocol, the host client, input conversion, builds."""
from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from conftest import require_tool
from lgn2hw import ir, sim
from lgn2hw.board import FrameFormat, list_boards, load_board
from lgn2hw.board.bridge import BoardBridge, board_top_verilog, uart_divisor
from lgn2hw.board.host import BoardClient
from lgn2hw.board.inputs import reference, to_in_data
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.ir import Encoder
from lgn2hw.synth import get_device
from lgn2hw.synth.baseline import write_baseline_core


# ---------------------------------------------------------------- board files
def test_shipped_boards_load():
    assert {"icebreaker", "upduino_v3", "ulx3s"} <= set(list_boards())
    ice = load_board("icebreaker")
    assert (ice.target, ice.device, ice.package, ice.clock_mhz) == ("ice40", "up5k", "sg48", 12.0)
    assert load_board("ulx3s").target == "ecp5" and load_board("upduino_v3").hfosc_div == 2


@pytest.mark.parametrize("name", ["icebreaker", "ulx3s", "upduino_v3"])
def test_board_pins_match_amaranth_boards(name):
    board = load_board(name)
    module, cls = board.amaranth_platform.split(":")
    platform = getattr(importlib.import_module(module), cls)()
    assert get_device(board.target, board.device).part.lower() == platform.device.lower()
    assert board.package.upper().replace("CABGA", "BG") == platform.package.upper()  # nextpnr: CABGA381
    if board.clock_pin:
        clk = platform.lookup(platform.default_clk, 0)
        assert clk.ios[0].names == [board.clock_pin]
        assert clk.clock.frequency == board.clock_mhz * 1e6
    try:
        uart = platform.lookup("uart", 0)
    except Exception:
        assert name == "upduino_v3"  # amaranth-boards has no UART for it (see the board file)
        return
    pins = {sub.name: sub.ios[0].names for sub in uart.ios}
    assert pins["rx"] == [board.uart_rx] and pins["tx"] == [board.uart_tx]


def test_bad_board_files_name_file_and_key(tmp_path):
    with pytest.raises(LgnError, match="unknown board 'nope'; known: icebreaker"):
        load_board("nope")
    bad = tmp_path / "b.toml"
    bad.write_text('name = "b"\ntarget = "ice40"\ndevice = "up5k"\npackage = "sg48"\n[clock]\nmhz = 12\n'
                   '[uart]\nrx = "1"\ntx = "2"\nbaud = 115200\n')
    with pytest.raises(LgnError, match=r"b.toml: \[clock\] needs exactly one of pin"):
        load_board(bad)
    bad.write_text(bad.read_text().replace("mhz = 12", 'mhz = 12\npin = "3"').replace("baud = 115200", 'baud = "fast"'))
    with pytest.raises(LgnError, match=r"b.toml: key uart.baud = 'fast', expected a int"):
        load_board(bad)
    bad.write_text("name = [")
    with pytest.raises(LgnError, match="not a valid TOML"):
        load_board(bad)


def test_uart_divisor_rejects_bad_rates():
    assert uart_divisor(12e6, 115200) == 104
    with pytest.raises(LgnError, match="too fast"):
        uart_divisor(1e6, 921600)
    with pytest.raises(LgnError, match="% off"):
        uart_divisor(12e6, 2_600_000)  # 12 MHz / 5 = 2.4 Mbaud, 7.7% off


# ---------------------------------------------------------------- protocol
def test_frame_sizes_and_bit_order():
    f = FrameFormat(in_width=10, classes=3, class_width=2, sum_width=4)
    assert (f.in_bytes, f.response_bits, f.out_bytes) == (2, 14, 2)
    bits = np.zeros((1, 10), np.uint8)
    bits[0, [0, 3, 9]] = 1  # in_data bit i -> byte i // 8, bit i % 8
    assert f.encode_inputs(bits) == bytes([0b00001001, 0b00000010])
    # class 2, sums (5, 0, 15): bits 0-1 class, then 4-bit lanes
    word = 2 | 5 << 2 | 0 << 6 | 15 << 10
    classes, sums = f.decode_responses(word.to_bytes(2, "little") * 2)
    assert classes.tolist() == [2, 2] and sums.tolist() == [[5, 0, 15]] * 2


def test_protocol_errors():
    f = FrameFormat(8, 3, 2, 4)
    with pytest.raises(LgnError, match=r"expected bits \[N, 8\]"):
        f.encode_inputs(np.zeros((2, 7), np.uint8))
    with pytest.raises(LgnError, match="3 bytes is not a whole number of 2-byte responses"):
        f.decode_responses(b"\x00" * 3)
    with pytest.raises(LgnError, match="0 or 1"):
        f.encode_inputs(np.full((1, 8), 2))


# ---------------------------------------------------------------- host client against a fake board
class FakeBoardPort:
    """Behaves like the UART bridge: answers each complete frame, buffers fifo_depth answers and
    fails loudly when the host has more vectors in flight than that (the bridge would drop one)."""

    def __init__(self, nl, frame: FrameFormat, chunk: int = 3):
        self.nl, self.f, self.chunk = nl, frame, chunk
        self.inbuf, self.outbuf = bytearray(), bytearray()
        self.max_in_flight = 0

    def write(self, data):
        self.inbuf += data
        while len(self.inbuf) >= self.f.in_bytes:
            frame, self.inbuf = bytes(self.inbuf[:self.f.in_bytes]), self.inbuf[self.f.in_bytes:]
            bits = np.unpackbits(np.frombuffer(frame, np.uint8), bitorder="little")[:self.f.in_width][None]
            res = sim.simulate_bits(self.nl, bits)
            word = int(res.classes[0]) | sum(int(s) << (self.f.class_width + c * self.f.sum_width)
                                             for c, s in enumerate(res.group_sums[0]))
            self.outbuf += word.to_bytes(self.f.out_bytes, "little")
            pending = len(self.outbuf) // self.f.out_bytes
            self.max_in_flight = max(self.max_in_flight, pending)
            assert pending <= self.f.fifo_depth, "host overran the bridge's response FIFO"

    def read(self, n):
        k = min(n, self.chunk, len(self.outbuf))
        out, self.outbuf = bytes(self.outbuf[:k]), self.outbuf[k:]
        return out

    def close(self):
        pass


def test_host_client_streams_with_a_window(rng):
    nl = random_layered(20, [30, 30, 12], 4, seed=5)
    frame = FrameFormat(in_width=20, classes=4, class_width=2, sum_width=2, fifo_depth=3)
    port = FakeBoardPort(nl, frame)
    bits = rng.integers(0, 2, size=(50, 20), dtype=np.uint8)
    classes, sums = BoardClient(port, frame).run(bits)
    ref = sim.simulate_bits(nl, bits)
    np.testing.assert_array_equal(classes, ref.classes)
    np.testing.assert_array_equal(sums, ref.group_sums)
    assert port.max_in_flight == 3  # used the whole window, never more


def test_host_client_times_out_with_a_clear_message():
    class Silent:
        def write(self, data):
            pass

        def read(self, n):
            return b""
    frame = FrameFormat(8, 2, 1, 2)
    with pytest.raises(LgnError, match="board did not answer vector 0"):
        BoardClient(Silent(), frame, timeout_s=0.05).run(np.zeros((2, 8), np.uint8))


# ---------------------------------------------------------------- inputs
def test_inputs_bits_features_and_fixed_point(rng):
    thr = np.sort(rng.normal(size=(3, 4)), axis=1)
    nl = random_layered(12, [20, 6], 2, seed=1).replace(encoder=Encoder(thr))
    x = rng.normal(size=(9, 3))
    np.testing.assert_array_equal(to_in_data(x, {"kind": "bits"}, nl), nl.encoder.encode(x))
    bits = rng.integers(0, 2, size=(9, 12), dtype=np.uint8)
    np.testing.assert_array_equal(to_in_data(bits, {"kind": "bits"}, nl), bits)
    fmt = {"kind": "fixed", "features": 3, "width": 6, "frac_bits": 3, "signed": True}
    in_data = to_in_data(x, fmt, nl)
    assert in_data.shape == (9, 18)
    # feature 0 of vector 0 as a 6-bit two's complement number, rebuilt by hand
    code = int("".join(map(str, in_data[0, :6][::-1])), 2)
    code = code - 64 if code >= 32 else code
    assert code == int(np.clip(np.floor(x[0, 0] * 8 + 0.5), -32, 31))
    # the reference compares the code with the quantized thresholds (what the hardware does)
    from lgn2hw.quantize import FixedFormat
    ff = FixedFormat(6, 3, True)
    expect = sim.simulate_bits(nl, ff.encode(ff.quantize(x), nl.encoder))
    np.testing.assert_array_equal(reference(nl, fmt, in_data).group_sums, expect.group_sums)
    with pytest.raises(LgnError, match="expected 12 input bits per vector or 3 features"):
        to_in_data(np.zeros((2, 5)), {"kind": "bits"}, nl)


# ---------------------------------------------------------------- board top and builds
def test_board_top_verilog_ports():
    def top_ports(v):
        header = v[v.index("module lgn_board("):]
        return set(header[header.index("(") + 1:header.index(")")].replace(" ", "").split(","))
    v = board_top_verilog(BoardBridge("my_core", FrameFormat(32, 4, 2, 4), 4, 100))
    assert "my_core" in v
    # exactly these pins: the bridge makes its own reset, so no rst port may float on a board
    assert top_ports(v) == {"clk", "uart_rx", "uart_tx", "led"}
    v = board_top_verilog(BoardBridge("my_core", FrameFormat(32, 4, 2, 4), 4, 100, hfosc_div=2))
    assert "SB_HFOSC" in v and top_ports(v) == {"uart_rx", "uart_tx", "led"}


@pytest.mark.synth
@pytest.mark.parametrize("name", ["icebreaker", "ulx3s"])
def test_cli_board_build_makes_a_bitstream(tmp_path, name):
    require_tool("yosys")
    write_baseline_core(random_layered(16, [24, 24, 12], 3, seed=1), tmp_path)
    assert main(["synth", str(tmp_path), "--board", name]) == 0
    rep = json.loads((tmp_path / "board" / "synth.json").read_text())
    info = json.loads((tmp_path / "board" / "board.json").read_text())
    board = load_board(name)
    assert rep["board"] == name and rep["fits"] and rep["clock_mhz"] == board.clock_mhz
    bit = tmp_path / "board" / rep["bitstream"]
    assert bit.stat().st_size > 10_000
    assert info["clocks_per_bit"] == uart_divisor(board.clock_mhz * 1e6, board.baud)
    constraints = (tmp_path / "board" / info["constraints"]).read_text()
    assert board.uart_rx in constraints and board.uart_tx in constraints
    # IO: clk, uart_rx, uart_tx, led placed on pins
    assert rep["pnr"]["utilization"]["io"]["used"] == 4


def test_board_conflicting_options(tmp_path, capsys):
    write_baseline_core(random_layered(8, [8, 4], 2, seed=1), tmp_path)
    assert main(["synth", str(tmp_path), "--board", "icebreaker", "--target", "ecp5"]) == 1
    assert "error: --board icebreaker is an ice40 board; got --target ecp5" in capsys.readouterr().err
    assert main(["synth", str(tmp_path), "--board", "icebreaker", "--clock", "50"]) == 1
    assert "runs at its 12 MHz clock" in capsys.readouterr().err


def test_run_board_without_a_build_is_one_line(tmp_path, capsys):
    assert main(["run-board", str(tmp_path), "--port", "/dev/null"]) == 1
    err = capsys.readouterr().err
    assert "board.json: no such file" in err and err.count("\n") == 1


def test_metadata_roundtrip_of_frame(tmp_path):
    from lgn2hw.backend.metadata import load_metadata
    write_baseline_core(random_layered(8, [8, 6], 3, seed=1), tmp_path)
    meta = load_metadata(tmp_path)
    f = FrameFormat.from_metadata(meta)
    assert f.in_width == 8 and f.classes == 3 and f.sum_width == 2 and f.class_width == 2
    assert ir.load(tmp_path / "netlist.npz").fingerprint() == meta.netlist_sha256


def test_run_board_with_a_missing_port_is_one_line(tmp_path, capsys):
    from lgn2hw.board.build import write_board_top
    write_baseline_core(random_layered(8, [8, 4], 2, seed=1), tmp_path / "rtl")
    info = write_board_top(tmp_path / "rtl", tmp_path / "rtl" / "board", load_board("icebreaker"))
    assert info["core_dir"] == ".."  # relative: the build folder can move
    assert main(["run-board", str(tmp_path / "rtl"), "--port", str(tmp_path / "no-such-tty")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot open the serial port" in err and err.count("\n") == 1


def test_stream_frames_are_pixels():
    """A streaming core's vector is an image: pixels * in_bytes bytes, pixel p's bits together."""
    f = FrameFormat(in_width=3, classes=2, class_width=1, sum_width=3, pixels=4)
    assert f.vector_bytes == 4 and f.vector_bits == 12
    data = f.encode_inputs(np.array([[1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]], np.uint8))
    assert data == bytes([0b001, 0b010, 0b100, 0b111])
    assert FrameFormat.from_dict(f.as_dict()) == f
    with pytest.raises(LgnError, match=r"expected bits \[N, 12\]"):
        f.encode_inputs(np.zeros((1, 3), np.uint8))
