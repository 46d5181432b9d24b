# SPDX-License-Identifier: MIT
import numpy as np
import pytest

from lgn2hw.backend.schedule import schedule
from lgn2hw.generate import random_layered
from lgn2hw.ir import Netlist, NetlistError


@pytest.fixture(scope="module")
def skip_net():
    return random_layered(12, [20, 20, 20, 20, 12], 3, seed=3, skip_prob=0.4)


@pytest.mark.parametrize("every", [1, 2, 3, 0])
def test_every_read_is_available(skip_net, every):
    nl = skip_net
    sch = schedule(nl, every)
    assert sch.num_stages == (1 if every == 0 else -(-nl.depth // every))
    # a node reads a signal of its own stage (combinationally) or one held at time stage-1
    held = [set(v.tolist()) for v in sch.vectors]
    for node in range(nl.num_nodes):
        s = int(sch.node_stage[node])
        for f in nl.fanin[node].tolist():
            assert f < 2 or sch.sig_stage[f] == s or f in held[s - 1]
    # each stage's vector comes from the previous one or from its own nodes
    for t in range(1, sch.num_stages + 1):
        for sig in sch.vectors[t].tolist():
            assert sig < 2 or sch.sig_stage[sig] == t or sig in held[t - 1]
    assert np.array_equal(sch.vectors[-1], nl.outputs)


def test_delay_chains_are_shared(skip_net):
    """A signal is held once per time step however many later stages read it."""
    sch = schedule(skip_net, 1)
    for v in sch.vectors[1:-1]:
        assert np.unique(v).size == v.size
    # register count: every signal held from its production to its last use, once per step
    nl = skip_net
    last = np.full(nl.num_signals, -1)
    for node in range(nl.num_nodes):
        for f in nl.fanin[node].tolist():
            last[f] = max(last[f], sch.node_stage[node] - 1)
    last[nl.outputs] = np.maximum(last[nl.outputs], sch.num_stages - 1)
    last[:2] = -1
    first = np.maximum(sch.sig_stage, 1)  # held from its own stage's register (inputs: from time 1)
    expect = sum(int(last[s]) - int(first[s]) + 1 for s in range(nl.num_signals) if last[s] >= first[s])
    assert sum(v.size for v in sch.vectors[1:-1]) == expect


def test_constant_and_input_outputs():
    nl = Netlist.build(3, 2, [6], [[2, 3]], [0, 1, 5, 4], 2)
    sch = schedule(nl, 1)
    assert sch.num_stages == 1
    assert sch.vectors[-1].tolist() == [0, 1, 5, 4]


def test_negative_every_is_rejected(skip_net):
    with pytest.raises(NetlistError, match="pipeline-every"):
        schedule(skip_net, -1)
