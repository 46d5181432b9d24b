# SPDX-License-Identifier: MIT
"""Passes on a conv model, stage by stage, keeping the weight sharing.

Each kernel netlist and the dense head go through an exact pipeline of their own (a kernel
is optimized once and the saving repeats at every position). Stages are visited from the
head back to the first block, so a kernel whose output no later stage reads — no head gate
in the cone of the outputs reads any position of that channel, or no later kernel reads the
channel anywhere in its window — becomes the constant 0 and its gates disappear; the group
sums are unchanged (the unread channel never reaches them).

Data-driven passes (greedy-prune, similarity-merge) run on the dense head alone, fitted on
samples carried through the conv stages (``head_data``); they change the head's function as on
a dense model, and the kernels they leave unread are dropped as above.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conv import ConvBlock, ConvModel
from ..ir import Netlist, live_nodes, plain_outputs
from . import PassData, PipelineError, PassReport, parse_pipeline, run_pipeline


_HEAD_DATA_CHUNK = 1024  # samples per conv simulation in head_data


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


def head_data(model: ConvModel, data: PassData) -> PassData:
    """The samples as the dense head sees them: the last stage's map of each sample's input
    bits (flattened k*H*W + y*W + x, the head's input order), with the same labels."""
    from ..conv_sim import simulate_conv_bits
    n = data.bits.shape[0]
    out = np.empty((n, int(np.prod(model.shapes()[-1]))), np.uint8)
    for lo in range(0, n, _HEAD_DATA_CHUNK):  # every stage's maps are kept per chunk only
        fmap = simulate_conv_bits(model, data.bits[lo:lo + _HEAD_DATA_CHUNK], stages=True).stages[-1]
        out[lo:lo + fmap.shape[0]] = fmap.reshape(fmap.shape[0], -1)
    return PassData(out, data.y)


def optimize_conv(model: ConvModel, pipeline, verify: bool = False,
                  data: PassData | None = None) -> tuple[ConvModel, list[StageResult]]:
    """Run a pipeline on the head and its exact passes on every kernel netlist; returns the new
    model. Data-driven passes (which change the function) run on the dense head only, fitted on
    ``data`` (the model's input bits) carried through the conv stages; a kernel is shared by
    every position, so the exact passes alone touch it. Sat-sweep on the head takes the same
    samples as extra patterns."""
    passes = parse_pipeline(pipeline) if isinstance(pipeline, str) else list(pipeline)
    inexact = [p.name for p in passes if not p.exact]
    if inexact and (data is None or data.bits.shape[0] == 0):
        raise PipelineError(f"pass '{inexact[0]}' needs data: give --data samples.npz ('X' images or 'bits', and "
                            "'y'); on a conv model it runs on the dense head, fed by the conv stages")
    results: list[StageResult] = []
    hdata = head_data(model, data) if data is not None and data.bits.shape[0] else None
    head, reps = run_pipeline(model.head, passes, data=hdata, verify=verify)
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
        new, reps = run_pipeline(kern, [p for p in passes if p.exact], verify=verify)
        new = plain_outputs(new)  # the next stage reads a kernel's outputs by signal id
        results.append(StageResult(f"stage {i} (conv)", st.kernel, new, reps, dropped))
        stages[i] = ConvBlock(new, st.rf, st.stride, st.padding)
        cin = shapes[i][0]
        used = read_inputs(new)  # window index (dy*rf + dx)*cin + ch
        needed = used.reshape(-1, cin).any(axis=0)
    results.reverse()
    return model.replace(stages=tuple(stages), head=head), results
