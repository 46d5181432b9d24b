# SPDX-License-Identifier: MIT
"""Pipeline schedule of the gate fabric: which stage computes each node, which signals each
stage register holds, and the latency of the whole core.

Times: the input register holds the primary input bits at time 0; fabric stage s computes
its nodes from the vector held at time s-1 and (when registered) holds its result vector at
time s. A signal produced at time p and read at time t > p rides through the registers of
times p+1..t: one register per signal per time step, so a delay chain is shared by every
consumer that needs the same signal later (a consumer taps the chain at its own time).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Netlist, NetlistError


@dataclass(frozen=True)
class Schedule:
    every: int                # logic levels per stage (0: one combinational stage)
    num_stages: int           # fabric stages S >= 1
    node_stage: np.ndarray    # int32 [N]: stage 1..S of each node
    sig_stage: np.ndarray     # int32 [num_signals]: production time (0 for constants and inputs)
    vectors: list             # vectors[t]: int64 signal ids held at time t (t = 0..S)

    @property
    def registered(self) -> bool:
        return self.every > 0

    @property
    def fabric_latency(self) -> int:
        """Registers the fabric adds after the input register."""
        return self.num_stages if self.registered else 0

    def register_bits(self) -> int:
        """Flip-flops of the fabric stages (input register excluded)."""
        return sum(v.size for v in self.vectors[1:]) if self.registered else 0


def schedule(nl: Netlist, every: int) -> Schedule:
    """Assign nodes to stages of ``every`` levels and compute the register vectors.

    ``vectors[0]`` is every primary input; ``vectors[t]`` (0 < t < S) the non-constant
    signals produced by time t and still read after it, by increasing id; ``vectors[S]``
    is the output bits in output order (constants and duplicates included), so the last
    stage's result is exactly the GroupSum input.
    """
    if every < 0:
        raise NetlistError(f"pipeline-every must be >= 0, got {every}")
    depth = nl.depth
    if every == 0:
        stages = 1
        node_stage = np.ones(nl.num_nodes, dtype=np.int32)
    else:
        stages = max(1, -(-depth // every))
        node_stage = ((nl.level + every - 1) // every).astype(np.int32)
    sig_stage = np.zeros(nl.num_signals, dtype=np.int32)
    sig_stage[nl.base:] = node_stage
    # last time each signal must be held in a register (-1: never)
    need = np.full(nl.num_signals, -1, dtype=np.int32)
    src = nl.fanin.reshape(-1)
    cons = np.repeat(node_stage, nl.arity)
    cross = sig_stage[src] < cons
    np.maximum.at(need, src[cross], cons[cross] - 1)
    out = nl.outputs[sig_stage[nl.outputs] < stages]
    need[out] = np.maximum(need[out], stages - 1)  # the last stage routes them into output order
    need[:2] = -1
    vectors = [np.arange(2, nl.base, dtype=np.int64)]
    for t in range(1, stages):
        vectors.append(np.flatnonzero((sig_stage <= t) & (need >= t)).astype(np.int64))
    vectors.append(nl.outputs.astype(np.int64))
    return Schedule(every=every, num_stages=stages, node_stage=node_stage, sig_stage=sig_stage, vectors=vectors)
