# SPDX-License-Identifier: MIT
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

from lgn2hw import ops

# The sixteen ops written out independently of the table encoding.
REFERENCE = {
    0: lambda a, b: 0, 1: lambda a, b: a & b, 2: lambda a, b: a & (1 - b), 3: lambda a, b: a,
    4: lambda a, b: (1 - a) & b, 5: lambda a, b: b, 6: lambda a, b: a ^ b, 7: lambda a, b: a | b,
    8: lambda a, b: 1 - (a | b), 9: lambda a, b: 1 - (a ^ b), 10: lambda a, b: 1 - b,
    11: lambda a, b: a | (1 - b), 12: lambda a, b: 1 - a, 13: lambda a, b: (1 - a) | b,
    14: lambda a, b: 1 - (a & b), 15: lambda a, b: 1,
}


@pytest.mark.parametrize("op", range(16))
def test_all_16_ops_on_all_4_inputs(op):
    for a, b in itertools.product((0, 1), repeat=2):
        assert ops.evaluate([op], 2, [a, b])[0] == REFERENCE[op](a, b) == (op >> (3 - (2 * a + b))) & 1


def test_names_and_classification():
    assert ops.OP_NAMES[1] == "AND" and ops.OP_NAMES[6] == "XOR" and ops.OP_NAMES[14] == "NAND"
    kinds = ops.classify(np.arange(16), 2)
    assert [i for i in range(16) if kinds[i] == ops.CONSTANT] == [0, 15]
    assert [i for i in range(16) if kinds[i] == ops.WIRE] == [3, 5]
    assert [i for i in range(16) if kinds[i] == ops.INVERTER] == [10, 12]
    assert (kinds == ops.LOGIC).sum() == 10


def _truth(table, k):
    return [int(ops.evaluate([table], k, list(bits))[0]) for bits in itertools.product((0, 1), repeat=k)]


tables_k = st.integers(1, 6).flatmap(lambda k: st.tuples(st.just(k), st.integers(0, (1 << (1 << k)) - 1)))


@given(tables_k, st.data())
def test_transforms_match_their_definition(kt, data):
    k, t = kt
    i = data.draw(st.integers(0, k - 1))
    j = data.draw(st.integers(0, k - 1))
    for bits in itertools.product((0, 1), repeat=k):
        x = list(bits)
        f = int(ops.evaluate([t], k, x)[0])
        assert int(ops.evaluate(ops.negate_output([t], k), k, x)[0]) == 1 - f
        flipped = x.copy()
        flipped[i] ^= 1
        assert int(ops.evaluate(ops.negate_input([t], k, i), k, x)[0]) == int(ops.evaluate([t], k, flipped)[0])
        for v in (0, 1):
            fixed = x.copy()
            fixed[i] = v
            assert int(ops.evaluate(ops.cofactor([t], k, i, v), k, x)[0]) == int(ops.evaluate([t], k, fixed)[0])
        swapped = x.copy()
        swapped[i], swapped[j] = x[j], x[i]
        assert int(ops.evaluate(ops.swap_inputs([t], k, i, j), k, x)[0]) == int(ops.evaluate([t], k, swapped)[0])
    dep = bool(ops.depends_on([t], k, i)[0])
    assert dep == (ops.cofactor([t], k, i, 0)[0] != ops.cofactor([t], k, i, 1)[0])


@given(tables_k)
def test_widen_and_bits_roundtrip(kt):
    k, t = kt
    assert ops.bits_table(ops.table_bits([t], k), k)[0] == t
    if k < 6:
        w = ops.widen([t], k, 6)
        for bits in itertools.product((0, 1), repeat=6):
            assert ops.evaluate(w, 6, list(bits))[0] == ops.evaluate([t], k, list(bits[:k]))[0]


def test_var_tables_are_projections():
    assert ops.var_table(0, 2) == 3 and ops.var_table(1, 2) == 5  # difflogic's A and B
    for k in range(1, 7):
        for i in range(k):
            kind = ops.classify([ops.var_table(i, k)], k)[0]
            assert kind == ops.WIRE


def test_lsb_first_conversion():
    # torch_dwn addresses LUTs with input 0 as the least significant bit.
    rng = np.random.default_rng(0)
    k = 3
    entries = rng.integers(0, 2, 1 << k)
    table = ops.bits_table(entries[None, :], k)  # entries indexed by our MSB-first address
    conv = ops.from_lsb_first(table, k)
    for bits in itertools.product((0, 1), repeat=k):
        lsb_addr = sum(b << i for i, b in enumerate(bits))
        assert ops.evaluate(conv, k, list(bits))[0] == entries[lsb_addr]


def test_op_form_and_expr_are_the_truth_tables():
    """OP_FORM (what the simulator evaluates) and OP_EXPR (what Verilog and dumps print)
    compute every op's truth table."""
    for op, (combine, ia, ib, io) in enumerate(ops.OP_FORM):
        for a in (0, 1):
            for b in (0, 1):
                x, y = a ^ ia, b ^ ib
                v = {"0": 0, "a": a, "b": b, "and": x & y, "or": x | y, "xor": x ^ y}[combine] ^ io
                assert v == (op >> (3 - (2 * a + b))) & 1, (op, a, b)
                assert eval(ops.OP_EXPR[op], {"a": a, "b": b}) & 1 == v, (op, ops.OP_EXPR[op])
