# SPDX-License-Identifier: MIT
"""The compiled conv simulator (lgn_conv_simulate in _simcore.c) against the numpy conv path
and against simulating the unrolled netlist, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lgn2hw import conv_sim
from lgn2hw.conv import ConvBlock, ConvError
from lgn2hw.ir import Netlist
from lgn2hw.sim import simulate_bits

from _convgen import conv_models, random_model


def dag_kernel(rng, num_inputs: int, k: int) -> Netlist:
    """A random two-input kernel netlist that is no tree: gates read any earlier signal
    (constants, window inputs, other kernels' gates), constants, wires, inverters and repeated
    gates among them; outputs on constants, inputs, repeated and inner gates."""
    n = int(rng.integers(1, 30))
    tables, fanin = [], []
    for j in range(n):
        own = 2 + num_inputs + j
        style = rng.choice(["random", "random", "random", "const", "wire", "inv", "dup"])
        f = rng.integers(0, own, size=2)
        t = {"const": rng.choice([0, 15]), "wire": rng.choice([3, 5]), "inv": rng.choice([10, 12])}.get(
            style, rng.integers(0, 16))
        if style == "dup" and j:
            s = int(rng.integers(0, j))
            t, f = tables[s], fanin[s]
        tables.append(int(t))
        fanin.append(f)
    total = 2 + num_inputs + n
    outputs = [int(rng.integers(0, total)) if rng.integers(0, 4) == 0 else int(rng.integers(2 + num_inputs, total))
               for _ in range(k)]
    return Netlist.build(num_inputs, 2, np.array(tables, np.uint64), np.array(fanin, np.int64).reshape(n, 2),
                         outputs, 1)


def with_dag_kernels(model, seed: int):
    rng = np.random.default_rng(seed)
    stages = [ConvBlock(dag_kernel(rng, st.kernel.num_inputs, st.num_kernels), st.rf, st.stride, st.padding)
              if isinstance(st, ConvBlock) else st for st in model.stages]
    return model.replace(stages=tuple(stages))


def check(simcore, model, bits, block_words: int, tile_bytes: int):
    """Native (given block and tile sizes; folded and not) == numpy conv path == unrolled netlist."""
    ref = conv_sim.simulate_conv_bits(model, bits, return_output_bits=True, engine="numpy")
    flat = simulate_bits(model.unroll(), bits)
    assert np.array_equal(ref.group_sums, flat.group_sums)
    assert np.array_equal(ref.output_bits, flat.output_bits)
    for fold in (True, False):
        sums, out = conv_sim.NativeConv(model, block_words, tile_bytes, fold).simulate_bits(simcore, bits, True)
        assert np.array_equal(sums, ref.group_sums), (block_words, tile_bytes, fold)
        assert np.array_equal(out, ref.output_bits), (block_words, tile_bytes, fold)
    res = conv_sim.simulate_conv_bits(model, bits, return_output_bits=True, engine="native")
    assert np.array_equal(res.group_sums, ref.group_sums)
    assert np.array_equal(res.classes, ref.classes)
    assert np.array_equal(res.output_bits, ref.output_bits)


SIZES = st.sampled_from([(1, 1 << 10), (2, 256), (4, 24 << 10), (8, 1), (16, 24 << 10)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=conv_models(), n=st.sampled_from([1, 63, 64, 65, 200, 1100]), sizes=SIZES)
def test_native_equals_numpy_and_unrolled(simcore, model, n, sizes):
    """Random geometries (stride 1/2, padding 0/1, channel groups, overlapping and padded
    pooling), sample counts around word and block edges, several block and tile sizes
    (a tile of one position, tiles that split a row)."""
    bits = np.random.default_rng(n).integers(0, 2, size=(n, model.num_input_bits), dtype=np.uint8)
    check(simcore, model, bits, *sizes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=conv_models(), seed=st.integers(0, 2**31 - 1), sizes=SIZES)
def test_native_on_dag_kernels(simcore, model, seed, sizes):
    """Kernels that are no trees: constants, wires, inverters folded into their readers, outputs
    on constants, window inputs, repeated gates and gates that other gates read."""
    model = with_dag_kernels(model, seed)
    bits = np.random.default_rng(seed).integers(0, 2, size=(130, model.num_input_bits), dtype=np.uint8)
    check(simcore, model, bits, *sizes)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_models())
def test_native_on_optimized_models(simcore, model):
    from lgn2hw.passes.conv import optimize_conv
    opt, _ = optimize_conv(model, "const-fold,wire-collapse,strash,dce")
    bits = np.random.default_rng(3).integers(0, 2, size=(100, model.num_input_bits), dtype=np.uint8)
    check(simcore, opt, bits, 8, 24 << 10)


def test_mnist_shaped_model(simcore):
    """The bench's model (1x28x28, 2 thresholds, two conv blocks with padding, two pools)."""
    model = random_model(np.random.default_rng(0), (1, 28, 28), 2,
                         (("conv", 16, 3, 3, 1, 1, 1), ("pool", 2, 2, 0), ("conv", 32, 3, 3, 1, 1, 1), ("pool", 2, 2, 0)),
                         widths=(200, 100), classes=10)
    bits = np.random.default_rng(1).integers(0, 2, size=(600, model.num_input_bits), dtype=np.uint8)
    check(simcore, model, bits, 8, 24 << 10)


def test_folding_runs_fewer_gates(simcore):
    """Wires, inverters and constants do not run; every other gate of a tree does."""
    model = random_model(np.random.default_rng(0), (1, 8, 8), 2, (("conv", 8, 3, 3, 1, 1, 1),), (10,), 2)
    kern = model.stages[0].kernel
    cin = model.input_map_shape[0]
    ops_all, _, _ = conv_sim._kernel_program(model.stages[0], cin, 10, 10, fold=False)
    ops_fold, _, _ = conv_sim._kernel_program(model.stages[0], cin, 10, 10)
    assert len(ops_all) == kern.num_nodes
    single = np.isin(kern.tables, [0, 3, 5, 10, 12, 15]).sum()
    assert 0 < len(ops_fold) <= kern.num_nodes - single


def test_bad_bits_are_refused(simcore):
    model = random_model(np.random.default_rng(0))
    bits = np.zeros((70, model.num_input_bits), np.uint8)
    bits[69, 5] = 2
    with pytest.raises(ConvError, match="0 or 1"):
        conv_sim.simulate_conv_bits(model, bits, engine="native")
    with pytest.raises(ConvError, match="0 or 1"):
        conv_sim.simulate_conv_bits(model, bits.astype(np.int64) - 3, engine="native")
    ok = conv_sim.simulate_conv_bits(model, (bits > 0).astype(np.int32), engine="native")
    assert np.array_equal(ok.group_sums, conv_sim.simulate_conv_bits(model, bits > 0, engine="numpy").group_sums)


def test_lut_kernels_take_the_numpy_path(simcore, monkeypatch):
    """A kernel of 3-input LUTs is not run by the core: the numpy path gives the answer."""
    model = random_model(np.random.default_rng(0))
    st0 = model.stages[0]
    kern = Netlist.build(st0.kernel.num_inputs, 3, np.array([0x96, 0xE8, 0x1B, 0x60], np.uint64),
                         np.array([[2, 3, 4], [5, 9, 12], [20, 2, 7], [21, 22, 2]]), [20, 21, 22, 23], 1)
    model = model.replace(stages=(ConvBlock(kern, st0.rf, st0.stride, st0.padding),) + model.stages[1:])
    called = []
    monkeypatch.setattr(conv_sim, "NativeConv", lambda *a, **k: called.append(1))
    bits = np.random.default_rng(1).integers(0, 2, size=(90, model.num_input_bits), dtype=np.uint8)
    res = conv_sim.simulate_conv_bits(model, bits, engine="native")
    assert not called
    assert np.array_equal(res.group_sums, simulate_bits(model.unroll(), bits).group_sums)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=conv_models(), seed=st.integers(0, 2**31 - 1), dag=st.booleans(), fold=st.booleans())
def test_compiled_planner_equals_python_planner(simcore, model, seed, dag, fold):
    """lgn_conv_plan makes the very program conv_sim._kernel_program makes (ops, operand and
    destination codes, slot count), on trees and on DAG kernels, folded and not."""
    if dag:
        model = with_dag_kernels(model, seed)
    shapes = model.shapes()
    for i, stage in enumerate(model.stages):
        if not isinstance(stage, ConvBlock):
            continue
        ch, h, w = shapes[i]
        hp, wp = h + 2 * stage.padding, w + 2 * stage.padding
        ref = conv_sim._kernel_program(stage, ch, hp, wp, fold)
        got = conv_sim._kernel_program_native(simcore, stage, ch, hp, wp, fold)
        assert np.array_equal(got[0], ref[0]) and got[0].dtype == ref[0].dtype
        assert np.array_equal(got[1], ref[1]) and got[1].shape == ref[1].shape
        assert got[2] == ref[2]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=conv_models(), n=st.sampled_from([1, 64, 130, 600]), sizes=SIZES, fuse=st.booleans())
def test_fused_pools_equal_unfused(simcore, model, n, sizes, fuse):
    """Conv blocks fused with the OR pool after them (a ring of pool-kernel rows) and not
    fused: the numpy conv path's bits, on random geometries (stride 2, padded and overlapping
    pools, channel groups) and block sizes 1-16."""
    bits = np.random.default_rng(n).integers(0, 2, size=(n, model.num_input_bits), dtype=np.uint8)
    ref = conv_sim.simulate_conv_bits(model, bits, return_output_bits=True, engine="numpy")
    sums, out = conv_sim.NativeConv(model, *sizes, fuse=fuse).simulate_bits(simcore, bits, True)
    assert np.array_equal(sums, ref.group_sums)
    assert np.array_equal(out, ref.output_bits)
