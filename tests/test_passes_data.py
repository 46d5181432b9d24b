# SPDX-License-Identifier: MIT
"""Data-driven passes: the reported held-out accuracy is the reference simulator's."""
import numpy as np
import pytest

from lgn2hw.generate import random_layered
from lgn2hw.passes import PassData, run_pipeline
from lgn2hw.sim import simulate_bits


@pytest.fixture
def model_and_data():
    nl = random_layered(32, [300, 300, 100], 10, seed=3)
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (1000, 32), dtype=np.uint8)
    bits[:, :8] = 0  # some gates become nearly constant on this data
    y = simulate_bits(nl, bits).classes
    y[::7] = (y[::7] + 1) % 10  # labels that are not the model's own output
    return nl, PassData(bits, y)


@pytest.mark.parametrize("pipeline", ["greedy-prune{threshold=0.9}", "similarity-merge{rho=0.9}"])
def test_reported_accuracy_equals_the_simulator(model_and_data, pipeline):
    nl, data = model_and_data
    out, reps = run_pipeline(nl, pipeline, data=data)
    c = reps[0].counters
    _, held = data.split(0.2, 0)
    before = simulate_bits(nl, held.bits).classes
    after = simulate_bits(out, held.bits).classes
    assert c["samples"] == held.bits.shape[0]
    assert c["accuracy"] == pytest.approx(np.mean(after == held.y))
    assert c["accuracy_before"] == pytest.approx(np.mean(before == held.y))
    assert c["agreement"] == pytest.approx(np.mean(after == before))
    assert out.num_nodes < nl.num_nodes
    assert not reps[0].exact


def test_greedy_prune_makes_constant_gates_constant(model_and_data):
    nl, data = model_and_data
    fit, _ = data.split(0.2, 0)
    out, reps = run_pipeline(nl, "greedy-prune{threshold=1.0}", data=data)
    # threshold 1: only gates constant on every fit sample go, so the fit outputs are unchanged
    assert np.array_equal(simulate_bits(out, fit.bits).output_bits, simulate_bits(nl, fit.bits).output_bits)
    assert reps[0].counters["pruned"] > 0


def test_similarity_merge_rho_one_merges_only_identical_activations(model_and_data):
    nl, data = model_and_data
    fit, _ = data.split(0.2, 0)
    out, reps = run_pipeline(nl, "similarity-merge{rho=1.0}", data=data)
    assert np.array_equal(simulate_bits(out, fit.bits).output_bits, simulate_bits(nl, fit.bits).output_bits)
    assert reps[0].counters["merged"] > 0


def test_similarity_merge_blocks_match_one_block(model_and_data):
    nl, data = model_and_data
    a, _ = run_pipeline(nl, "similarity-merge{rho=0.95,block=37}", data=data)
    b, _ = run_pipeline(nl, "similarity-merge{rho=0.95,block=4096}", data=data)
    assert a.fingerprint() == b.fingerprint()
