# SPDX-License-Identifier: MIT
import numpy as np
import pytest

from lgn2hw.equiv import DIFFERENT, EQUAL, SatContext, check_equivalence, clause_template
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.sim import simulate_bits

from _netgen import AND, OR, XOR, all_inputs, make


@pytest.mark.parametrize("k", [1, 2, 3])
def test_clause_templates_define_the_table(k):
    # every assignment satisfies the clauses exactly when y equals the table's value
    from lgn2hw import ops
    for t in range(1 << (1 << k)):
        for bits in all_inputs(k):
            val = int(ops.evaluate(np.uint64(t), k, bits)[0])
            for y in (0, 1):
                sat = all(any((y if s < 0 else int(bits[s])) == p for s, p in cl) for cl in clause_template(t, k))
                assert sat == (y == val)


def test_equal_netlists_are_proved_equal():
    a = make(2, [(XOR, (2, 3))], [4])
    b = make(2, [(AND, (2, 3)), (OR, (2, 3)), (2, (5, 4))], [6])  # (a|b) & ~(a&b)
    assert check_equivalence(a, b).status == EQUAL


def test_different_netlists_give_a_reproducible_counterexample():
    a = random_layered(16, [60, 60, 20], 2, seed=1)
    t = a.tables.copy()
    t[-5] ^= np.uint64(1)
    b = a.replace(tables=t)
    res = check_equivalence(a, b)
    assert res.status == DIFFERENT and not res.equal
    ra = simulate_bits(a, res.counterexample[None]).output_bits[0]
    rb = simulate_bits(b, res.counterexample[None]).output_bits[0]
    assert list(np.flatnonzero(ra != rb)) == list(res.outputs)


def test_shape_mismatch_is_a_user_error():
    with pytest.raises(LgnError, match="input bits"):
        check_equivalence(random_layered(4, [4], 2), random_layered(5, [4], 2))
    with pytest.raises(LgnError, match="output bits"):
        check_equivalence(random_layered(4, [4], 2), random_layered(4, [6], 2))


def test_conflict_limit_gives_unknown_not_a_wrong_answer():
    ctx = SatContext(conflict_limit=1)
    # pigeonhole 5 -> 4 is UNSAT but needs many conflicts
    names = [f"p{i}_{j}" for i in range(5) for j in range(4)]
    asserts = "".join("(assert (or " + " ".join(f"p{i}_{j}" for j in range(4)) + "))" for i in range(5))
    asserts += "".join(f"(assert (or (not p{i}_{j}) (not p{m}_{j})))" for j in range(4) for i in range(5)
                       for m in range(i + 1, 5))
    ctx.add(asserts, names)
    assert ctx.any_differ([("v0", "v1", 0)]) == "unknown"
