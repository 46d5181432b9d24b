# SPDX-License-Identifier: MIT
"""SAT-based equivalence: CNF encoding of truth-table nodes, an incremental z3 context, the miter.

``check_equivalence(a, b)`` proves two netlists compute the same output bits, or returns a
distinguishing input vector (checked against the reference simulator). ``SatContext`` is the
solver wrapper ``sat-sweep`` also uses: variables are named Booleans, clauses go in as
SMT-LIB text in bulk (one parser call instead of one Python API call per literal), and every
check runs under a conflict limit with a three-way answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import ops
from .errors import LgnError
from .ir import Netlist, live_nodes

EQUAL, DIFFERENT, UNKNOWN = "equal", "different", "unknown"


@lru_cache(maxsize=None)
def clause_template(table: int, k: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Clauses defining ``y = f(x_0..x_k-1)``: each clause is ((slot, polarity), ...), slot -1 is y.

    One clause per address of the inputs the table depends on: "inputs differ from this
    address, or y takes the table's value there".
    """
    sup = [i for i in range(k) if ops.depends_on(np.uint64(table), k, i)]
    clauses = set()
    for addr in range(1 << k):
        bits = [(addr >> (k - 1 - i)) & 1 for i in range(k)]
        val = int(ops.evaluate(np.uint64(table), k, bits)[0])
        clauses.add(tuple((i, 1 - bits[i]) for i in sup) + ((-1, val),))
    return tuple(sorted(clauses))


def _lit(name: str, pol: int) -> str:
    return name if pol else f"(not {name})"


class SatContext:
    """An incremental z3 solver over named Boolean variables."""

    def __init__(self, conflict_limit: int | None = None):
        import z3

        self.z3 = z3
        self.solver = z3.SolverFor("QF_FD")
        if conflict_limit:
            self.solver.set("max_conflicts", int(conflict_limit))
        self.declared: set[str] = set()
        self.calls = 0
        self._fresh = 0
        self._model = None
        self.add("(declare-const v0 Bool)(declare-const v1 Bool)(assert (not v0))(assert v1)",
                 ())
        self.declared.update(("v0", "v1"))

    def set_conflict_limit(self, limit: int | None) -> None:
        self.solver.set("max_conflicts", int(limit) if limit else 4294967295)

    def add(self, asserts: str, names) -> None:
        """Declare the new ones among ``names`` and add SMT-LIB ``asserts``."""
        new = [n for n in dict.fromkeys(names) if n not in self.declared]
        self.declared.update(new)
        text = "".join(f"(declare-const {n} Bool)" for n in new) + asserts
        if text:
            self.solver.from_string(text)

    def encode(self, out_names, fanin_names, tables, k: int) -> None:
        """Add the defining clauses of nodes ``out = table(fanins)`` (names per node)."""
        parts = []
        used = list(out_names)
        for y, fis, t in zip(out_names, fanin_names, tables):
            used.extend(fis)
            for clause in clause_template(int(t), k):
                lits = " ".join(_lit(y if s < 0 else fis[s], p) for s, p in clause)
                parts.append(f"(assert (or {lits}))")
        self.add("".join(parts), used)

    def any_differ(self, pairs) -> str:
        """Can any pair (a, b, phase) have ``a != b XOR phase``? EQUAL (none can), DIFFERENT
        (the model is kept for ``values``) or UNKNOWN (conflict limit)."""
        z3 = self.z3
        self._fresh += 1
        act = f"act!{self._fresh}"
        parts, ds = [], []
        for j, (a, b, phase) in enumerate(pairs):
            d = f"d!{self._fresh}!{j}"
            ds.append(d)
            # d -> (a != b XOR phase)
            parts.append(f"(assert (or (not {d}) {a} {_lit(b, 1 - phase)}))"
                         f"(assert (or (not {d}) (not {a}) {_lit(b, phase)}))")
        parts.append(f"(assert (or (not {act}) {' '.join(ds)}))")
        self.add("".join(parts), [act, *ds, *(p[0] for p in pairs), *(p[1] for p in pairs)])
        self.calls += 1
        res = self.solver.check(z3.Bool(act))
        self._model = self.solver.model() if res == z3.sat else None
        self.solver.from_string(f"(assert (not {act}))")  # retire this miter
        return EQUAL if res == z3.unsat else DIFFERENT if res == z3.sat else UNKNOWN

    def values(self, names) -> np.ndarray:
        """uint8 values of the named variables in the last DIFFERENT model (0 when unconstrained)."""
        z3 = self.z3
        m = self._model
        return np.array([1 if z3.is_true(m.eval(z3.Bool(n), model_completion=True)) else 0 for n in names],
                        dtype=np.uint8)


@dataclass(frozen=True)
class EquivResult:
    status: str                           # "equal" | "different" | "unknown"
    counterexample: np.ndarray | None = None  # uint8 [I] input bits where they differ
    outputs: tuple[int, ...] = ()         # output bits that differ on it

    @property
    def equal(self) -> bool:
        return self.status == EQUAL


def _encode_netlist(ctx: SatContext, nl: Netlist, prefix: str) -> list[str]:
    """Encode the live nodes of ``nl``; inputs are shared names ``v<i>``; returns the names of
    the outputs' signals (``nl.output_inv`` says which outputs are their complement)."""
    base = nl.base

    def name(s):
        return f"v{s}" if s < base else f"{prefix}{s}"

    live = np.flatnonzero(live_nodes(nl))
    ctx.encode([name(base + i) for i in live], [[name(int(f)) for f in nl.fanin[i]] for i in live],
               nl.tables[live], nl.arity)
    return [name(int(o)) for o in nl.outputs]


def check_equivalence(a: Netlist, b: Netlist, conflict_limit: int | None = None) -> EquivResult:
    """Prove ``a`` and ``b`` compute the same output bits (z3 miter) or find an input where not."""
    from .sim import simulate_bits

    if a.num_inputs != b.num_inputs:
        raise LgnError(f"cannot compare: {a.num_inputs} vs {b.num_inputs} input bits")
    if a.num_outputs != b.num_outputs:
        raise LgnError(f"cannot compare: {a.num_outputs} vs {b.num_outputs} output bits")
    ctx = SatContext(conflict_limit)
    oa = _encode_netlist(ctx, a, "a")
    ob = _encode_netlist(ctx, b, "b")
    # output polarity: an inverted output is its signal's complement (the miter's pair phase)
    phase = (a.output_inv ^ b.output_inv).astype(int).tolist()
    status = ctx.any_differ([(x, y, p) for x, y, p in zip(oa, ob, phase)])
    if status != DIFFERENT:
        return EquivResult(status)
    cex = ctx.values([f"v{2 + i}" for i in range(a.num_inputs)])
    ra = simulate_bits(a, cex[None, :]).output_bits[0]
    rb = simulate_bits(b, cex[None, :]).output_bits[0]
    diff = tuple(int(i) for i in np.flatnonzero(ra != rb))
    if not diff:  # the encoding and the simulator disagree: a bug, never a silent answer
        raise AssertionError("equivalence counterexample does not reproduce in the reference simulator")
    return EquivResult(DIFFERENT, cex, diff)
