# SPDX-License-Identifier: MIT
"""The ``lut6c`` GroupSum for AMD LUT6 fabrics: LUT6_2 counters and carry-chain (7;3) counters,
instantiated as Xilinx primitives (``LUT6_2``, ``CARRY8`` on UltraScale(+), ``CARRY4`` on 7-series).

yosys 0.23 maps neither dual-output LUTs nor counters on the carry chain, so this style writes
the primitives itself; ``xilinx_prims_sim.v`` (rtl_templates, guarded by ``ifndef SYNTHESIS``)
gives Icarus and Verilator their behaviour. Three cells:

- ``Fa``: one LUT6_2 in dual-output mode (I5 = 1): O6 = the parity of up to three bits of one
  column, O5 = their majority (the carry). Its five inputs may be the *wires the bits are
  computed from* (the last gate stage's inputs): a bit that is a gate of two wires costs no
  LUT of its own, the counter reads its wires ("absorbed gates", the leaf round only).
- ``Chain``: (7;3) counters on a carry chain, two positions each. Counter at column k with bits
  x1..x5 (LUT inputs, a function of at most five wires W), x6 (a plain signal) and the carry in
  (the chain's CI for the first counter: one more bit of column k):
  position k:   S = parity(x1..x5) ^ x6 (a 6-input LUT), DI = x6;
  position k+1: S = [X in {2, 3}], DI = [X >= 4] (X = x1 + .. + x5; one LUT6_2, both outputs).
  The chain adds 2**k * (X + x6 + cin): 7 bits into 3 (O[k], O[k+1], CO[k+1]) with 2 LUTs,
  two bits removed per LUT, where a full adder of LUTs removes one per two. Counters at columns
  k, k+2, ... of one round share a chain (``_link``: up to four, one CARRY8).
- the final ternary adder: per column one LUT6_2, O6 = x ^ y ^ z ^ m onto S, O5 = the majority
  of x, y, z (m of the next column, which also takes it as DI); column 0's fourth bit is CI.

Rounds are Wallace-like: in every column, (7;3) counters on seven bits at a time, then, only as
far as the column must shrink to fit the final adder (three bits, column 0 four), a smaller
counter on five or six bits and full adders. Each round is one adder level (the final adder one
more) for ``--adder-stages``, as in ``gpc``.

Inputs are weighted as in ``carry`` and ``gpc`` (a bit read m times enters the columns where m
has a 1); constant ones ride as plain ``1'b1`` bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from .gpc import CounterTree, register_bits, weighted_columns
from .metadata import sum_width

ONE = -2          # value id of a constant-1 bit
ZERO = "1'b0"
DUAL_INPUTS = 5   # a LUT6_2 with both outputs used reads I0..I4 (I5 tied to 1)
CARRY_CELLS = {"CARRY8": 8, "CARRY4": 4}


@dataclass(frozen=True)
class Fa:
    """One dual-output LUT6_2 counting ``ins`` (2 or 3 value ids of column ``col``) into
    ``outs`` = (sum at col, carry at col + 1; -1 above the sum width). ``funcs``: read the
    bits' functions of their wires (leaf round) rather than the bits themselves."""

    ins: tuple
    col: int
    outs: tuple
    funcs: bool = False


@dataclass(frozen=True)
class Pair:
    """One (7;3) counter of a chain: ``xs`` (<= 5 ids, through a LUT), ``x6`` (id or -1)."""

    xs: tuple
    x6: int


@dataclass(frozen=True)
class Chain:
    """(7;3) counters on one carry chain, at columns col, col + 2, ...; ``cin``: id or -1;
    ``outs``: O of every position, then the final carry out (-1 above the sum width)."""

    pairs: tuple
    col: int
    cin: int
    outs: tuple
    funcs: bool = False


@dataclass(frozen=True)
class Lut6cTree(CounterTree):
    """LUT6_2 cells per round (``Fa``, ``Chain``), the bits left per column for the final
    ternary adder (at most three; column 0 four); ``funcs[i]``: the (wires, truth table) of input
    bit i when the leaf may absorb it, else None."""

    funcs: tuple = ()

    def cell_inputs(self, cell) -> list:
        """The value ids an ``Fa`` or ``Chain`` reads (-1 included)."""
        return list(cell.ins) if isinstance(cell, Fa) else [cell.cin] + [x for p in cell.pairs for x in (*p.xs, p.x6)]

    @property
    def luts(self) -> int:
        """LUT6 sites: the counters and the final adder (one per column)."""
        n = self.sum_width
        for cells in self.rounds:
            for c in cells:
                n += 1 if isinstance(c, Fa) else 2 * len(c.pairs)
        return n

    @property
    def absorbed(self) -> int:
        """Input bits the leaf counters compute from their wires (gates that need no LUT)."""
        ids = set()
        for c in (self.rounds[0] if self.rounds else ()):
            if c.funcs:
                bits = c.ins if isinstance(c, Fa) else [x for p in c.pairs for x in p.xs]
                ids.update(i for i in bits if i >= 0 and self.funcs[i] is not None)
        return len(ids)

    @classmethod
    def of(cls, inputs, group_size: int | None = None, funcs: dict | None = None) -> "Lut6cTree":
        """The tree adding the bit names ``inputs`` (``1'b0``/``1'b1`` literals, repeats weighted).
        ``funcs``: bit name -> (wire names, truth table over them, bit k of the index = wire k)
        for bits the leaf counters may compute from their wires."""
        sw = sum_width(group_size if group_size is not None else len(inputs))
        cols, names = weighted_columns(inputs, sw)
        funcs = funcs or {}
        fn = [f if (f := funcs.get(x)) is not None and len(f[0]) <= DUAL_INPUTS else None for x in names]
        rounds, rows = _reduce(cols, len(names), sw, fn)
        return cls(tuple(names), rounds, rows, sw, tuple(fn))


def _support(ids, fn) -> set:
    out = set()
    for i in ids:
        if i >= 0 and fn[i] is not None:
            out.update(fn[i][0])
        elif i >= 0:
            out.add(("raw", i))
    return out


def _leaf_cells(col: list[int], fn) -> tuple[list[tuple], list[int]]:
    """Groups of 2-3 bits of one column whose wires fit one dual LUT (<= 5), each holding at
    least one gate bit (a gate of w wires read as w LUT inputs: its own LUT is saved); the
    bits left over (raw, or gates that fit nowhere) go on to the (7;3) counters as signals."""
    gates = sorted((i for i in col if i >= 0 and fn[i] is not None and len(fn[i][0]) > 1),
                   key=lambda i: (-len(fn[i][0]), i))
    raw = [i for i in col if not (i >= 0 and fn[i] is not None and len(fn[i][0]) > 1)]
    used: set = set()
    groups = []
    for g in gates:
        if g in used:
            continue
        group, wires = [g], set(fn[g][0])
        for h in gates:  # other gates that fit: most shared wires first
            if len(group) == 3:
                break
            if h in used or h == g or h in group:
                continue
            w = wires | set(fn[h][0])
            if len(w) <= DUAL_INPUTS:
                group.append(h)
                wires = w
        while len(group) < 3 and raw:
            pick = next((r for r in raw if len(wires | _support([r], fn)) <= DUAL_INPUTS), None)
            if pick is None:
                break
            raw.remove(pick)
            group.append(pick)
            wires |= _support([pick], fn)
        gates_in = sum(1 for i in group if i >= 0 and fn[i] is not None and len(fn[i][0]) > 1)
        # a half adder pays only when it absorbs two gates; a lone gate keeps its own LUT
        if len(group) == 3 or (len(group) == 2 and gates_in == 2):
            used.update(group)
            groups.append(tuple(group))
        else:
            raw.extend(i for i in group if i != g)
    leftover = raw + [g for g in gates if g not in used]
    return groups, leftover


def _limit(j: int) -> int:
    """Bits column j may keep for the final ternary adder: three rows, and column 0 its carry-in."""
    return 4 if j == 0 else 3


def _reduce(cols: list[list[int]], next_id: int, sw: int, fn) -> tuple[tuple, tuple]:
    """Rounds of counters until every column fits the final ternary adder (``_limit``)."""
    rounds = []
    leaf = True
    while any(len(c) > _limit(j) for j, c in enumerate(cols)):
        new: list[list[int]] = [[] for _ in range(sw)]
        cells = []

        def outs(col: int, n: int) -> tuple:
            nonlocal next_id
            ids = []
            for t in range(n):
                if col + t < sw:
                    new[col + t].append(next_id)
                    ids.append(next_id)
                    next_id += 1
                else:
                    ids.append(-1)
            return tuple(ids)

        def pair(j: int, take: list[int]) -> None:
            # x6 and cin must be plain signals (DI, CI); constants come first (free there)
            cin, x6, xs = take[0], (take[1] if len(take) >= 6 else -1), take[2:] if len(take) >= 6 else take[1:]
            cells.append(Chain((Pair(tuple(xs), x6),), j, cin, outs(j, 3)))

        for j in range(sw):
            col = list(cols[j])
            if leaf:
                groups, col = _leaf_cells(col, fn)
                for g in groups:
                    cells.append(Fa(g, j, outs(j, 2), funcs=True))
            col.sort(key=lambda v: v != ONE)
            while len(col) >= 7:  # (7;3) counters: two bits removed per LUT
                pair(j, col[:7])
                col = col[7:]
            # the rest only as far as the column must shrink (the bits already placed in it this
            # round count: carries from the columns below, this column's counter outputs)
            if len(new[j]) + len(col) > _limit(j) and len(col) >= 5:
                pair(j, col)
                col = []
            while len(new[j]) + len(col) > _limit(j) and len(col) >= 2:
                take, col = col[:3], col[3:]
                cells.append(Fa(tuple(take), j, outs(j, 2)))
            new[j].extend(col)
        cells = _link(cells, new)
        cols = new
        rounds.append(tuple(cells))
        leaf = False
        if len(rounds) > 64:
            raise AssertionError("lut6c reduction does not converge")
    return tuple(rounds), tuple(tuple(c) for c in cols)


MAX_PAIRS = 4  # (7;3) counters per chain: one CARRY8 (two cascaded CARRY4s)


def _link(cells: list, new: list[list[int]]) -> list:
    """Join single-counter chains at columns j, j+2, ... into one carry chain (fewer carry cells,
    the same LUTs): the later counter takes the earlier one's carry out instead of its own carry
    in, whose bit passes on to the next round in place of that carry out (the bit count is kept)."""
    chains = [c for c in cells if isinstance(c, Chain)]
    rest = [c for c in cells if not isinstance(c, Chain)]
    by_col: dict[int, list] = {}
    for c in chains:
        by_col.setdefault(c.col, []).append(c)
    out = []
    for col in sorted(by_col):
        while by_col[col]:
            head = by_col[col].pop(0)
            pairs, outs, cin = list(head.pairs), list(head.outs), head.cin
            top = col + 2 * len(pairs)
            while len(pairs) < MAX_PAIRS and by_col.get(top):
                nxt = by_col[top].pop(0)
                carry = outs.pop()          # the joined chain's carry out stays inside
                if carry >= 0:
                    new[top].remove(carry)
                if nxt.cin != -1:           # the later counter's own carry-in bit passes on
                    new[top].append(nxt.cin)
                pairs += nxt.pairs
                outs += nxt.outs
                top += 2 * len(nxt.pairs)
            out.append(Chain(tuple(pairs), col, cin, tuple(outs), head.funcs))
    return rest + out


# ------------------------------------------------------------------ truth tables

def _tables(bits, fn, names, wires: list[str]) -> list[np.ndarray]:
    """Per bit: its value (uint8) at every index over ``wires`` (bit k of the index = wire k)."""
    idx = np.arange(1 << len(wires))
    pos = {w: k for k, w in enumerate(wires)}
    out = []
    for b in bits:
        if b == ONE:
            out.append(np.ones(idx.size, np.uint8))
            continue
        if fn is not None and fn[b] is not None:
            sup, table = fn[b]
        else:
            sup, table = (names[b],), 0b10
        sub = np.zeros(idx.size, np.int64)
        for k, w in enumerate(sup):
            sub |= ((idx >> pos[w]) & 1) << k
        out.append(((table >> sub) & 1).astype(np.uint8))
    return out


def _init(values: np.ndarray) -> int:
    return int(sum(int(v) << k for k, v in enumerate(values.tolist())))


def _wires(bits, fn, names) -> list[str]:
    """The LUT inputs reading ``bits``: their wires (functions) or themselves, in first-use order."""
    out: list[str] = []
    for b in bits:
        if b == ONE:
            continue
        sup = fn[b][0] if fn is not None and fn[b] is not None else (names[b],)
        for w in sup:
            if w not in out:
                out.append(w)
    return out


def fa_inits(cell: Fa, fn, names) -> tuple[list[str], int]:
    """(I0..I4 wire names, INIT) of a full-adder LUT6_2: INIT[63:32] sum, INIT[31:0] carry."""
    wires = _wires(cell.ins, fn, names)
    assert len(wires) <= DUAL_INPUTS, wires
    total = sum(t.astype(np.int64) for t in _tables(cell.ins, fn, names, wires))
    lo = np.zeros(32, np.uint8)
    hi = np.zeros(32, np.uint8)
    lo[:total.size] = total >> 1 & 1  # only the first 2**len(wires) entries are reachable
    hi[:total.size] = total & 1
    lo, hi = _fill(lo, len(wires)), _fill(hi, len(wires))
    return wires, _init(lo) | _init(hi) << 32


def _fill(t: np.ndarray, n: int) -> np.ndarray:
    """Repeat the reachable 2**n entries over all 32 (unused inputs are tied to 0: any value works)."""
    return np.resize(t[:1 << n], 32) if n < 5 else t


def pair_inits(pair: Pair, fn, names) -> tuple[list[str], int, list[str], int]:
    """(inputs, INIT) of the pair's two LUTs: position k (6 inputs: the xs' wires and x6;
    O6 = S) and position k+1 (dual: O6 = S, O5 = DI)."""
    wires = _wires(pair.xs, fn, names)
    assert len(wires) <= DUAL_INPUTS, wires
    x = sum(t.astype(np.int64) for t in _tables(pair.xs, fn, names, wires))  # X at each index over wires
    n = len(wires)
    par = (x & 1).astype(np.uint8)
    if pair.x6 >= 0 and pair.x6 != ONE:
        a_in = wires + [names[pair.x6]]
        a = np.concatenate([par, par ^ 1])  # x6 is input n: the upper half flips the parity
    else:
        a_in, a = list(wires), par ^ (1 if pair.x6 == ONE else 0)
    a_init = _init(np.resize(a, 64))
    s1 = ((x >= 2) & (x <= 3)).astype(np.uint8)
    d1 = (x >= 4).astype(np.uint8)
    b = np.zeros(64, np.uint8)
    b[:32] = _fill(np.resize(d1, 32) if n < 5 else d1, n)
    b[32:] = _fill(np.resize(s1, 32) if n < 5 else s1, n)
    return a_in, a_init, wires, _init(b)


def lut6c_lines(tree: Lut6cTree, prefix: str, out: str, every: int = 0, shift: int = 0,
                min_depth: int = 0, carry: str = "CARRY8") -> tuple[list[str], int]:
    """Verilog lines of ``tree`` summing into ``out`` (``sum_width`` bits), registered after
    every ``every`` levels (``shift``: the first register ``shift`` levels early); a tree of fewer
    levels than ``min_depth`` waits in registers so every class has one latency."""
    if carry not in CARRY_CELLS:
        raise ValueError(f"carry cell {carry!r}: expected one of {', '.join(CARRY_CELLS)}")
    width = CARRY_CELLS[carry]
    names = {ONE: "1'b1", **{i: n for i, n in enumerate(tree.names)}}
    made, last, final = tree.lifetimes(min_depth)
    lines: list[str] = []
    regs = 0
    count = 0

    def pins(ws: list[str], n: int = 6, i5: str | None = None) -> str:
        ws = list(ws) + ["1'b0"] * (n - len(ws))
        if i5 is not None:
            ws[5] = i5
        return ", ".join(f".I{k}({w})" for k, w in enumerate(ws))

    def lut(init: int, ws: list[str], o6: str | None, o5: str | None = None, i5: str | None = None) -> None:
        nonlocal count
        outs = ", ".join(p for p in (f".O6({o6})" if o6 else "", f".O5({o5})" if o5 else "") if p)
        lines.append(f"LUT6_2 #(.INIT(64'h{init:016x})) {prefix}l{count} ({outs}, {pins(ws, i5=i5)});")
        count += 1

    for lv in range(1, final):
        if lv <= len(tree.rounds):
            for c in tree.rounds[lv - 1]:
                fn = tree.funcs if c.funcs else None
                if isinstance(c, Fa):
                    wires, init = fa_inits(c, fn, names)
                    s, cy = (f"{prefix}v{o}" if o >= 0 else None for o in c.outs)
                    for o, w in zip(c.outs, (s, cy)):
                        if o >= 0:
                            lines.append(f"wire {w};")
                            names[o] = w
                    lut(init, wires, s, cy, i5="1'b1")
                    continue
                npos = 2 * len(c.pairs)
                cells = -(-npos // width)
                base = f"{prefix}c{count}"
                lines.append(f"wire [{cells * width - 1}:0] {base}_s, {base}_di, {base}_o, {base}_co;")
                for t, p in enumerate(c.pairs):
                    a_in, a_init, b_in, b_init = pair_inits(p, fn, names)
                    lut(a_init, a_in, f"{base}_s[{2 * t}]")
                    lines.append(f"assign {base}_di[{2 * t}] = {names[p.x6] if p.x6 != -1 else ZERO};")
                    lut(b_init, b_in, f"{base}_s[{2 * t + 1}]", f"{base}_di[{2 * t + 1}]", i5="1'b1")
                if cells * width > npos:
                    lines.append(f"assign {base}_s[{cells * width - 1}:{npos}] = 0;")
                    lines.append(f"assign {base}_di[{cells * width - 1}:{npos}] = 0;")
                cin = names[c.cin] if c.cin != -1 else ZERO
                for k in range(cells):
                    lines.append(_carry_cell(carry, width, f"{base}_{k}", base, k,
                                             cin if k == 0 else f"{base}_co[{k * width - 1}]"))
                srcs = [f"{base}_o[{q}]" for q in range(npos)] + [f"{base}_co[{npos - 1}]"]
                for o, src in zip(c.outs, srcs):
                    if o >= 0:
                        names[o] = f"{prefix}v{o}"
                        lines.append(f"wire {prefix}v{o} = {src};")
        if every and (lv + shift) % every == 0:
            alive = sorted(v for v in names if v >= 0 and made.get(v, 0) <= lv and last.get(v, 0) > lv)
            if alive:
                register_bits(lines, names, alive, f"{prefix}r{regs}_")
            else:
                lines.append(f"// {prefix}: no variable bit to register at level {lv}")
            regs += 1
    sw = tree.sum_width
    # the final ternary adder: per column one LUT6_2, O6 = x ^ y ^ z ^ m (m: the previous column's
    # majority, its O5) onto S, m onto DI; column 0's fourth bit is the chain's carry-in
    base = f"{prefix}f"
    cells = -(-sw // width)
    lines.append(f"wire [{cells * width - 1}:0] {base}_s, {base}_di, {base}_o, {base}_co;")
    lines.append(f"wire [{sw - 1}:0] {base}_m;")
    for j, col in enumerate(tree.rows):
        xyz = [names[v] for v in col[:3]] + [ZERO] * (3 - len(col[:3]))
        m = f"{base}_m[{j - 1}]" if j else ZERO
        lut(FINAL_INIT, [*xyz, m], f"{base}_s[{j}]", f"{base}_m[{j}]", i5="1'b1")
        lines.append(f"assign {base}_di[{j}] = {m};")
    if cells * width > sw:
        lines.append(f"assign {base}_s[{cells * width - 1}:{sw}] = 0;")
        lines.append(f"assign {base}_di[{cells * width - 1}:{sw}] = 0;")
    cin = names[tree.rows[0][3]] if tree.rows and len(tree.rows[0]) > 3 else ZERO
    for k in range(cells):
        lines.append(_carry_cell(carry, width, f"{base}_{k}", base, k, cin if k == 0 else f"{base}_co[{k * width - 1}]"))
    total = f"{base}_o[{sw - 1}:0]"
    if every and (final + shift) % every == 0:
        lines += [f"reg [{sw - 1}:0] {out};", f"always @(posedge clk) {out} <= {total};"]
        regs += 1
    else:
        lines.append(f"wire [{sw - 1}:0] {out} = {total};")
    return lines, regs


def _final_init() -> int:
    init = 0
    for idx in range(32):  # I0..I3 = x, y, z, m; I4 tied to 0; I5 = 1
        x, y, z, m = (idx >> k & 1 for k in range(4))
        init |= (x + y + z >= 2) << idx | (x ^ y ^ z ^ m) << (32 + idx)
    return init


FINAL_INIT = _final_init()


def _carry_cell(carry: str, width: int, inst: str, base: str, k: int, ci: str) -> str:
    """Carry cell k of the chain whose S/DI/O/CO vectors are ``{base}_s`` ...; ``ci``: its carry in."""
    r = f"[{(k + 1) * width - 1}:{k * width}]"
    if carry == "CARRY8":
        return (f"CARRY8 {inst} (.CI({ci}), .CI_TOP(1'b0), .DI({base}_di{r}), .S({base}_s{r}), "
                f".O({base}_o{r}), .CO({base}_co{r}));")
    # the first CARRY4 of a chain takes a fabric bit on CYINIT, the next ones the carry on CI
    ci, cyinit = ("1'b0", ci) if k == 0 else (ci, "1'b0")
    return (f"CARRY4 {inst} (.CI({ci}), .CYINIT({cyinit}), .DI({base}_di{r}), .S({base}_s{r}), "
            f".O({base}_o{r}), .CO({base}_co{r}));")


def evaluate(tree: Lut6cTree, env: dict) -> np.ndarray:
    """The tree's sum, computed the way the primitives compute it (LUT6_2 INIT lookups, the carry
    chain's XOR and MUX), for tests: ``env`` maps every name the tree reads (input bits, and the
    wires of absorbed bits) to a 0/1 array over samples."""
    names: dict = {ONE: "1'b1", **{i: n for i, n in enumerate(tree.names)}}
    env = dict(env)
    some = next(iter(env.values())) if env else np.zeros(1, np.uint8)
    env["1'b1"] = np.ones_like(some, dtype=np.int64)
    env[ZERO] = np.zeros_like(some, dtype=np.int64)

    def lut(init: int, ws: list[str], i5: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        ws = list(ws) + [ZERO] * (6 - len(ws))
        if i5 is not None:
            ws[5] = i5
        idx = sum(np.asarray(env[w], np.int64) << k for k, w in enumerate(ws))
        table = np.array([init >> k & 1 for k in range(64)], np.int64)
        return table[idx], table[idx & 31]

    for cells in tree.rounds:
        for c in cells:
            fn = tree.funcs if c.funcs else None
            if isinstance(c, Fa):
                wires, init = fa_inits(c, fn, names)
                o6, o5 = lut(init, wires, "1'b1")
                for o, v in zip(c.outs, (o6, o5)):
                    if o >= 0:
                        names[o] = f"v{o}"
                        env[f"v{o}"] = v
                continue
            carry = np.asarray(env[names[c.cin]] if c.cin != -1 else env[ZERO], np.int64)
            outs = []
            for p in c.pairs:
                a_in, a_init, b_in, b_init = pair_inits(p, fn, names)
                s0, _ = lut(a_init, a_in)
                d0 = np.asarray(env[names[p.x6]] if p.x6 != -1 else env[ZERO], np.int64)
                s1, d1 = lut(b_init, b_in, "1'b1")
                for s, d in ((s0, d0), (s1, d1)):
                    outs.append(s ^ carry)
                    carry = np.where(s == 1, carry, d)
            outs.append(carry)
            for o, v in zip(c.outs, outs):
                if o >= 0:
                    names[o] = f"v{o}"
                    env[f"v{o}"] = v
    zero = np.zeros_like(np.asarray(some, np.int64))
    carry = np.asarray(env[names[tree.rows[0][3]]], np.int64) if tree.rows and len(tree.rows[0]) > 3 else zero
    m, total = zero, zero
    for j, col in enumerate(tree.rows):
        xyz = [names[v] for v in col[:3]] + [ZERO] * (3 - len(col[:3]))
        env["_m"] = m
        s, m_next = lut(FINAL_INIT, [*xyz, "_m"], "1'b1")
        total = total + ((s ^ carry) << j)
        carry = np.where(s == 1, carry, m)
        m = m_next
    return total % (1 << tree.sum_width)


def leaf_functions(nl, sched, max_wires: int = DUAL_INPUTS, max_levels: int = 3) -> dict:
    """``o<j>`` -> (wire names, truth table) of every output bit the last fabric stage computes
    from at most ``max_wires`` of its input names (``r<t>_<id>``, as the fabric writes them),
    looking through at most ``max_levels`` gate levels: what the leaf counters may read instead
    of the bit (the last stage must not be registered). Work per output bit, not per gate."""
    last = sched.num_stages
    base = nl.base
    held = f"r{last - 1}_"
    rom = {}
    memo: dict[int, tuple | None] = {}

    def table_of(node: int) -> list[int]:
        if node not in rom:
            bits = int(nl.tables[node])
            k = nl.arity
            # ops.table_bits order: address addr (input 0 = MSB) holds bit (2**k - 1 - addr)
            rom[node] = [(bits >> ((1 << k) - 1 - a)) & 1 for a in range(1 << k)]
        return rom[node]

    def expand(sig: int, depth: int):
        if sig < 2:
            return ((), sig)
        if sig < base or int(sched.sig_stage[sig]) != last or sig - base >= nl.num_nodes:
            return ((f"{held}{sig}",), 0b10)
        if depth == 0:
            return None
        key = sig
        if key in memo:
            return memo[key]
        node = sig - base
        used = int(ops.support_mask(nl.tables[node:node + 1], nl.arity)[0])
        kids = [expand(int(f), depth - 1) if used >> i & 1 else ((), 0)
                for i, f in enumerate(nl.fanin[node].tolist())]
        if any(k is None for k in kids):
            memo[key] = None
            return None
        wires: list[str] = []
        for sup, _ in kids:
            for w in sup:
                if w not in wires:
                    wires.append(w)
        if len(wires) > max_wires:
            memo[key] = None
            return None
        rows = table_of(node)
        table = 0
        for idx in range(1 << len(wires)):
            addr = 0
            for sup, t in kids:
                sub = sum(((idx >> wires.index(w)) & 1) << k for k, w in enumerate(sup))
                addr = addr << 1 | ((t >> sub) & 1)
            table |= rows[addr] << idx
        memo[key] = (tuple(wires), table)
        return memo[key]

    out = {}
    inv = nl.output_inv
    for j, sig in enumerate(nl.outputs.tolist()):
        f = expand(int(sig), max_levels)
        if f is None or not f[0]:
            continue
        sup, table = f
        if inv[j]:
            table ^= (1 << (1 << len(sup))) - 1
        out[f"o{j}"] = (sup, table)
    return out


def sim_models() -> str:
    """Verilog models of LUT6_2, CARRY8 and CARRY4 for simulators, inside ``ifndef SYNTHESIS``
    (yosys and Vivado define SYNTHESIS and map the instances onto their own cells)."""
    from ..resources import data_dir
    return (data_dir("rtl_templates") / "xilinx_prims_sim.v").read_text()
