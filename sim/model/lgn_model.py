# SPDX-License-Identifier: MIT
"""Reference model of an emitted lgn2hw core (pure Python, no cocotb).

It answers what the core must output for each ``in_data`` word: the group sums and the class,
computed by lgn2hw's reference simulator on the netlist the core was built from
(``netlist.npz`` next to ``metadata.json``), after decoding the port format.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lgn2hw.sim import simulate_bits
from lgn2hw.verify import Core, pack_rows


@dataclass(frozen=True)
class Expected:
    sums: np.ndarray     # int32 [N, C]
    classes: np.ndarray  # int64 [N]


class LgnModel:
    def __init__(self, core_dir):
        self.core = Core.load(core_dir)
        meta = self.core.meta  # lgn2hw.backend.metadata.CoreMetadata: checked types and ranges
        self.latency = meta.latency
        self.classes = meta.classes
        self.sum_width = meta.sum_width
        self.class_width = meta.class_width
        self.in_width = self.core.fmt.in_width

    def predict(self, port_bits: np.ndarray) -> Expected:
        """Expected outputs for port vectors uint8 [N, in_width] (bit i = in_data[i])."""
        nl = self.core.netlist
        res = simulate_bits(nl, self.core.fmt.input_bits(port_bits, nl), return_output_bits=False)
        # a sums-only (regression) core has no argmax: its out_class is tied to 0
        classes = np.zeros_like(res.classes) if self.core.meta.head == "sums" else res.classes
        return Expected(res.group_sums, classes)

    @staticmethod
    def words(port_bits: np.ndarray) -> list[int]:
        """Port vectors as the integers to drive on ``in_data``."""
        return [int.from_bytes(row.tobytes(), "little") for row in pack_rows(port_bits)]

    def split_sums(self, value: int) -> list[int]:
        """``out_sums`` integer -> one sum per class (class c at [c*sum_width +: sum_width])."""
        mask = (1 << self.sum_width) - 1
        return [(value >> (c * self.sum_width)) & mask for c in range(self.classes)]
