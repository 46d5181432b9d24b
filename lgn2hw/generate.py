# SPDX-License-Identifier: MIT
"""Random layered netlists for tests and benchmarks (numpy only, seeded)."""
from __future__ import annotations

import numpy as np

from .ir import Netlist

#: Probability of each 2-input op in trained LGNs (roughly: many pass-throughs, few constants).
REALISTIC_OP_MIX = np.array([
    0.01,  # FALSE
    0.06,  # AND
    0.04,  # A_AND_NOT_B
    0.30,  # A
    0.04,  # NOT_A_AND_B
    0.10,  # B
    0.05,  # XOR
    0.06,  # OR
    0.04,  # NOR
    0.05,  # XNOR
    0.02,  # NOT_B
    0.05,  # A_OR_NOT_B
    0.02,  # NOT_A
    0.05,  # NOT_A_OR_B
    0.10,  # NAND
    0.01,  # TRUE
])
REALISTIC_OP_MIX = REALISTIC_OP_MIX / REALISTIC_OP_MIX.sum()


def random_layered(num_inputs: int, widths: list[int], num_classes: int, arity: int = 2,
                   seed: int = 0, op_mix: str = "realistic", skip_prob: float = 0.0) -> Netlist:
    """A layered LGN: layer l reads layer l-1 (or, with ``skip_prob``, any earlier signal).

    ``op_mix``: "realistic" (REALISTIC_OP_MIX, arity 2 only) or "uniform" over all tables.
    The last width must be divisible by ``num_classes``.
    """
    rng = np.random.default_rng(seed)
    base = 2 + num_inputs
    prev = np.arange(2, base, dtype=np.int64)
    tables, fanin = [], []
    next_id = base
    for w in widths:
        if arity == 2 and op_mix == "realistic":
            t = rng.choice(16, size=w, p=REALISTIC_OP_MIX).astype(np.uint64)
        else:
            bits = rng.integers(0, 2, size=(w, 1 << arity), dtype=np.uint64)
            t = np.bitwise_or.reduce(bits << np.arange(1 << arity, dtype=np.uint64), axis=1)
        f = prev[rng.integers(0, prev.size, size=(w, arity))]
        if skip_prob > 0:
            skip = rng.random((w, arity)) < skip_prob
            f[skip] = rng.integers(0, next_id, size=int(skip.sum()))
        tables.append(t)
        fanin.append(f)
        prev = np.arange(next_id, next_id + w, dtype=np.int64)
        next_id += w
    return Netlist.build(num_inputs, arity, np.concatenate(tables), np.concatenate(fanin), prev, num_classes,
                         provenance={"format": "random", "seed": seed})


PLANT_KINDS = ("commuted", "demorgan", "restructured")


def plant_redundancy(nl: Netlist, fraction: float = 0.1, seed: int = 0,
                     kinds: tuple[str, ...] = PLANT_KINDS) -> Netlist:
    """Add a redundant twin for ``fraction * num_nodes`` logic gates; the function is unchanged.

    Twins (2-input nets only), each equal to its gate or to its complement:
      * ``commuted``: the same op with its inputs swapped (strash finds these);
      * ``demorgan``: the dual op on explicit inverters, ``AND(a,b) = NOR(~a,~b)`` (found after
        wire-collapse absorbs the inverters);
      * ``restructured``: a Shannon expansion through the gate's first fan-in,
        ``f(op(x,y), b) = x ? f(op(1,y), b) : f(op(0,y), b)`` built from five new gates, which
        only SAT sweeping can prove equal.
    Planted gates have at least two readers; each reads the twin instead with probability 1/2
    (absorbing the twin's inversion into its table), but one always keeps the gate and one
    takes the twin, so both stay live.
    """
    from . import ops

    if nl.arity != 2:
        raise ValueError("plant_redundancy supports 2-input netlists")
    rng = np.random.default_rng(seed)
    base, n = nl.base, nl.num_nodes
    # live gates read at least twice (by live nodes or outputs), so the gate and its twin both stay live
    from .ir import live_nodes
    live = live_nodes(nl)
    # a slot counts as a reader only when the table depends on it
    dep = np.stack([ops.depends_on(nl.tables, 2, i) for i in range(2)], axis=1) & live[:, None]
    readers = np.bincount(nl.fanin[dep], minlength=nl.num_signals)
    readers += np.bincount(nl.outputs, minlength=nl.num_signals)
    logic = np.flatnonzero((nl.kinds() == ops.LOGIC) & (readers[base:] >= 2) & live)
    count = min(logic.size, int(round(fraction * n)))
    chosen = np.sort(rng.choice(logic, size=count, replace=False))
    kind = rng.integers(0, len(kinds), size=count)
    compl = rng.integers(0, 2, size=count).astype(bool)
    new_t, new_f, anchor = [], [], []   # new nodes; fan-ins < 0 mean "new node -1-j"
    twin = np.zeros(count, np.int64)    # index into the new-node list of each twin
    full = ops.full_mask(2)
    for g_i, g in enumerate(chosen):
        f = int(nl.tables[g])
        a, b = (int(v) for v in nl.fanin[g])
        out_t = lambda t: _scalar(ops.negate_output(t, 2) if compl[g_i] else t)  # noqa: E731
        start = len(new_t)

        def add(table, fa, fb):
            new_t.append(_scalar(table))
            new_f.append((fa, fb))
            anchor.append(g)
            return -1 - (len(new_t) - 1)
        name = kinds[kind[g_i]]
        if name == "restructured" and a >= base and nl.arity == 2:
            fa_t = int(nl.tables[a - base])
            x, y = (int(v) for v in nl.fanin[a - base])
            # u(y, b) = f(op_a(1, y), b), w(y, b) = f(op_a(0, y), b) as 2-input tables over (y, b)
            addr = np.arange(4)
            yv, bv = addr >> 1, addr & 1
            u = [int(ops.evaluate(np.uint64(f), 2, [int(ops.evaluate(np.uint64(fa_t), 2, [1, yy])[0]), bb])[0])
                 for yy, bb in zip(yv, bv)]
            w = [int(ops.evaluate(np.uint64(f), 2, [int(ops.evaluate(np.uint64(fa_t), 2, [0, yy])[0]), bb])[0])
                 for yy, bb in zip(yv, bv)]
            nu = add(ops.bits_table(np.array(u), 2)[0], y, b)
            nw = add(ops.bits_table(np.array(w), 2)[0], y, b)
            p = add(1, x, nu)            # x & u
            q = add(4, x, nw)            # ~x & w
            add(out_t(np.uint64(7)), p, q)  # p | q (or NOR for the complement twin)
        elif name in ("demorgan", "restructured"):
            if name == "demorgan":
                na = add(12, a, 0)
                nb = add(12, b, 0)
                h = ops.negate_input(ops.negate_input(np.uint64(f), 2, 0), 2, 1)
                add(out_t(h), na, nb)
            else:  # the gate's fan-in is not a node: Shannon expansion on a itself
                c1 = ops.cofactor(np.uint64(f), 2, 0, 1) & ops.var_table(0, 2)
                c0 = ops.cofactor(np.uint64(f), 2, 0, 0) & ~ops.var_table(0, 2) & full
                p = add(c1, a, b)
                q = add(c0, a, b)
                add(out_t(np.uint64(7)), p, q)
        else:
            add(out_t(ops.swap_inputs(np.uint64(f))), b, a)
        twin[g_i] = len(new_t) - 1
        assert len(new_t) > start
    m = len(new_t)
    # order: each new node right after its anchor gate
    pos = np.concatenate([2 * np.arange(n), 2 * np.asarray(anchor, np.int64) + 1])
    order = np.argsort(pos, kind="stable")
    remap = np.empty(base + n + m, np.int64)
    remap[:base] = np.arange(base)
    remap[base + order] = base + np.arange(n + m)
    nf = np.asarray(new_f, np.int64).reshape(m, 2)
    nf = np.where(nf < 0, base + n + (-1 - nf), nf)   # new-node references -> provisional ids
    tables = np.concatenate([nl.tables, np.asarray(new_t, np.uint64)])
    fanin = np.concatenate([nl.fanin.astype(np.int64), nf])
    outputs = nl.outputs.astype(np.int64).copy()
    # rewire about half of each planted gate's readers to its twin
    twin_sig = base + n + twin
    is_planted = np.zeros(base + n + m, bool)
    is_planted[base + chosen] = True
    twin_of = np.full(base + n + m, -1, np.int64)
    twin_of[base + chosen] = twin_sig
    compl_of = np.zeros(base + n + m, bool)
    compl_of[base + chosen] = compl
    # every reader of a planted gate is an occurrence: (node, slot) or an output
    src = np.concatenate([fanin[:n].reshape(-1), outputs])
    is_out = np.arange(src.size) >= 2 * n
    live_reader = np.concatenate([dep.reshape(-1), np.ones(outputs.size, bool)])
    occ = np.flatnonzero(is_planted[src] & live_reader[: src.size])
    u = rng.random(occ.size)
    move = u < 0.5
    movable = ~(is_out[occ] & compl_of[src[occ]])  # outputs keep the plain gate (the planted nets stay as benched)
    by_gate = np.lexsort((u, src[occ]))
    s_sorted = src[occ][by_gate]
    first = np.concatenate([[True], s_sorted[1:] != s_sorted[:-1]])
    last = np.concatenate([s_sorted[1:] != s_sorted[:-1], [True]])
    move[by_gate[first]] = False                             # one reader keeps the gate
    move[by_gate[last & ~first & movable[by_gate]]] = True   # one reader takes the twin
    move &= movable
    sel = occ[move]
    for_nodes = sel[sel < 2 * n]
    node, slot = for_nodes // 2, for_nodes % 2
    neg = compl_of[fanin[node, slot]]
    for sl in range(2):
        m = neg & (slot == sl)
        tables[node[m]] = ops.negate_input(tables[node[m]], 2, sl)
    fanin[node, slot] = twin_of[fanin[node, slot]]
    outs = sel[sel >= 2 * n] - 2 * n
    outputs[outs] = twin_of[outputs[outs]]
    prov = dict(nl.provenance, planted=count, plant_fraction=fraction)
    return Netlist.build(nl.num_inputs, 2, tables[order], remap[fanin[order]], remap[outputs], nl.num_classes,
                         encoder=nl.encoder, tau=nl.tau, provenance=prov, output_inv=nl.output_inv)


def _scalar(t) -> int:
    return int(np.asarray(t).reshape(-1)[0])
