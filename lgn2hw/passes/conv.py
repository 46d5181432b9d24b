# SPDX-License-Identifier: MIT
"""Exact passes on a conv model, stage by stage, keeping the weight sharing.

Each kernel netlist and the dense head go through an exact pipeline of their own (a kernel
is optimized once and the saving repeats at every position). Stages are visited from the
head back to the first block, so a kernel whose output no later stage reads — no head gate
in the cone of the outputs reads any position of that channel, or no later kernel reads the
channel anywhere in its window — becomes the constant 0 and its gates disappear; the group
sums are unchanged (the unread channel never reaches them).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conv import ConvBlock, ConvModel
from ..ir import Netlist, live_nodes, plain_outputs
from . import PipelineError, PassReport, parse_pipeline, run_pipeline


@dataclass
class StageResult:
    stage: str                 # "stage 0 (conv)" or "head"
    before: Netlist
    after: Netlist
    reports: list[PassReport]
    dropped_kernels: int = 0   # kernel outputs no later stage reads, made constant


def read_inputs(nl: Netlist) -> np.ndarray:
    """bool [I]: inputs that a node in the cone of the outputs, or an output itself, reads."""
    live = live_nodes(nl)
    ids = np.concatenate([nl.fanin[live].reshape(-1), nl.outputs.astype(np.int64)])
    ids = ids[(ids >= 2) & (ids < nl.base)] - 2
    used = np.zeros(nl.num_inputs, bool)
    used[ids] = True
    return used


def optimize_conv(model: ConvModel, pipeline, verify: bool = False) -> tuple[ConvModel, list[StageResult]]:
    """Run an exact pipeline on the head and on every kernel netlist; returns the new model."""
    passes = parse_pipeline(pipeline) if isinstance(pipeline, str) else list(pipeline)
    inexact = [p.name for p in passes if not p.exact]
    if inexact:
        raise PipelineError(f"pass '{inexact[0]}' is data-driven: on a conv model it runs on the unrolled "
                            "netlist (compile --conv unrolled), not per kernel")
    results: list[StageResult] = []
    head, reps = run_pipeline(model.head, passes, verify=verify)
    results.append(StageResult("head", model.head, head, reps))
    shapes = model.shapes()
    c, h, w = shapes[-1]
    needed = read_inputs(head).reshape(c, h * w).any(axis=1)  # channels of the last map that are read
    stages = list(model.stages)
    for i in range(len(stages) - 1, -1, -1):
        st = stages[i]
        if not isinstance(st, ConvBlock):
            continue  # OR pooling keeps channels: a channel is read after it iff before it
        kern = st.kernel
        dropped = int((~needed).sum())
        if dropped:
            outs = np.where(needed, kern.outputs, 0)
            kern = kern.replace(outputs=outs.astype(np.int32))
        new, reps = run_pipeline(kern, passes, verify=verify)
        new = plain_outputs(new)  # the next stage reads a kernel's outputs by signal id
        results.append(StageResult(f"stage {i} (conv)", st.kernel, new, reps, dropped))
        stages[i] = ConvBlock(new, st.rf, st.stride, st.padding)
        cin = shapes[i][0]
        used = read_inputs(new)  # window index (dy*rf + dx)*cin + ch
        needed = used.reshape(-1, cin).any(axis=0)
    results.reverse()
    return model.replace(stages=tuple(stages), head=head), results
