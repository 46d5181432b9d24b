# SPDX-License-Identifier: MIT
"""Board builds: a UART bridge around the core, boards as data, and a host API.

``boards`` loads ``boards/<name>.toml``; ``bridge``/``uart`` are the Amaranth board top;
``protocol`` is the byte format both sides share; ``build`` makes a bitstream; ``host``
streams vectors over a serial port (pyserial).
"""
from .boards import Board, list_boards, load_board
from .protocol import FrameFormat

__all__ = ["Board", "FrameFormat", "list_boards", "load_board"]
