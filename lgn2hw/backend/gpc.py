# SPDX-License-Identifier: MIT
"""The ``gpc`` GroupSum for LUT6 fabrics: generalized parallel counters into one carry-chain adder.

A parallel counter reads up to six bits of one column and writes their count as bits of
consecutive columns: (6):3 counts six bits, (5):3 and (4):3 fewer, (3):2 is a full adder. Each
output bit is a function of at most six inputs, so it is one LUT6 on AMD fabrics (the text
emitter writes it as a truth table indexed by the inputs, which yosys maps onto one LUT).
The first round uses full adders, whose LUTs keep room for the gate logic that drives them;
the next rounds (6):3 counters, until two rows are left; a final two-operand ``+`` (the carry
chain: CARRY4/CARRY8) adds them.

Inputs are weighted like the ``carry`` style's: a bit read m times enters the columns where m
has a 1, and constant ones are folded into the counters' truth tables (a counter's constant
input costs no LUT input), so the same rewritten groups feed both styles.

Pipelining is by round: a register after every ``every`` levels (each counter round is one
level, the final adder one more), as the compressor trees in ``popcount.py`` are.

Measured (yosys 0.23 ``synth_xilinx -family xcup``, the 2 x 2,000-gate MNIST model,
combinational): 3,197 LUT6 against 2,367 for ``carry``, whose leaf full adders absorb the gate
logic and whose adders remove about one bit per LUT too; so ``gpc`` is a choice (``--popcount
gpc``). The xilinx default (``devices.FAMILIES["xilinx"].popcount``) is ``lut6c`` (lut6c.py:
LUT6_2 and carry-chain (7;3) counter primitives, about two bits removed per LUT).
"""
from __future__ import annotations

from dataclasses import dataclass

from .metadata import sum_width


def register_bits(lines: list[str], names, ids, reg_prefix: str) -> None:
    """Register the bits ``ids`` of an adder tree on one clock edge: ``reg {reg_prefix}{id}``
    each, one always block, and ``names[id]`` then names the register (both GroupSum styles)."""
    stmts = []
    for b in ids:
        r = f"{reg_prefix}{b}"
        lines.append(f"reg {r};")
        stmts.append(f"    {r} <= {names[b]};")
        names[b] = r
    lines.append("always @(posedge clk) begin\n" + "\n".join(stmts) + "\nend")


LUT_INPUTS = 6
ONE = -2  # value id of a constant 1 (folded into a counter's table, or a literal in the final rows)


@dataclass(frozen=True)
class Counter:
    """One GPC: ``ins`` (value id, column offset from ``col``) -> ``outs`` at columns col, col+1, ...
    (-1: an output above the sum's width, always 0 and dropped)."""

    ins: tuple
    col: int
    outs: tuple

    def table(self, out_index: int) -> int:
        """Truth table of output ``out_index`` over the variable inputs (input k is index bit k)."""
        var = [off for v, off in self.ins if v != ONE]
        const = sum(1 << off for v, off in self.ins if v == ONE)
        tt = 0
        for idx in range(1 << len(var)):
            total = const + sum(1 << off for k, off in enumerate(var) if idx >> k & 1)
            tt |= (total >> out_index & 1) << idx
        return tt


@dataclass(frozen=True)
class CounterTree:
    """A compressor tree over value ids (0..n-1: the input bits in ``names``): its cells per
    round, the bits left per column for the final adder (``ONE`` for a constant one) and the sum
    width. The GPC and LUT6_2 trees differ in their cells and final adder."""

    names: tuple
    rounds: tuple
    rows: tuple
    sum_width: int

    @property
    def depth(self) -> int:
        """Adder levels: the counter rounds and the final adder."""
        return len(self.rounds) + 1

    def cell_inputs(self, cell) -> list:
        """The value ids a cell of ``rounds`` reads (``ONE`` and -1 included); per tree kind."""
        raise NotImplementedError

    def lifetimes(self, min_depth: int = 0) -> tuple[dict, dict, int]:
        """(made, last, final): the level each value id is made at (inputs 0), the last level
        that reads it, and the final adder's level (at least ``min_depth``: shallower trees wait
        in registers)."""
        made = {i: 0 for i in range(len(self.names))}
        last: dict[int, int] = {}
        for lv, cells in enumerate(self.rounds, 1):
            for c in cells:
                for v in self.cell_inputs(c):
                    if v >= 0:
                        last[v] = max(last.get(v, 0), lv)
                for o in c.outs:
                    if o >= 0:
                        made[o] = lv
        final = max(len(self.rounds), min_depth - 1) + 1
        for col in self.rows:
            for v in col:
                if v >= 0:
                    last[v] = final
        return made, last, final


@dataclass(frozen=True)
class GpcTree(CounterTree):
    """Counters per round; two rows left (per column up to two value ids)."""

    def cell_inputs(self, cell) -> list:
        """The value ids a ``Counter`` reads."""
        return [v for v, _ in cell.ins]

    @property
    def luts(self) -> int:
        """Counter output bits (one LUT each); the final adder takes about one per column more."""
        return sum(sum(o >= 0 for o in c.outs) for r in self.rounds for c in r)

    @classmethod
    def of(cls, inputs, group_size: int | None = None, leaf: int = 3) -> "GpcTree":
        """The tree adding the bit names ``inputs`` (``1'b0``/``1'b1`` literals, repeats weighted).
        ``leaf``: bits per counter in the first round (3: full adders, whose LUTs have room for
        the gate logic that drives them; 6: (6):3 counters throughout)."""
        sw = sum_width(group_size if group_size is not None else len(inputs))
        cols, names = weighted_columns(inputs, sw)
        return cls(tuple(names), *_reduce(cols, len(names), sw, leaf), sw)


def weighted_columns(inputs, sw: int) -> tuple[list[list[int]], list[str]]:
    """Per column j < ``sw``, the value ids of the bits of weight 2^j (``ONE`` for a constant one)
    for the bit names ``inputs`` (``1'b0``/``1'b1`` literals; a name repeated k times enters the
    columns of k's binary digits), and the name of every id."""
    weight: dict[str, int] = {}
    for x in inputs:
        if x not in ("1'b0", "1'b1"):
            weight[x] = weight.get(x, 0) + 1
    ones = list(inputs).count("1'b1")
    cols: list[list[int]] = [[] for _ in range(sw)]
    names: list[str] = []
    for j in range(sw):
        for x, w in weight.items():
            if w >> j & 1:
                cols[j].append(len(names))
                names.append(x)
        cols[j] += [ONE] * (ones >> j & 1)
    return cols, names

def _outputs(maxval: int) -> int:
    return max(1, maxval.bit_length())


def _reduce(cols: list[list[int]], next_id: int, sw: int, leaf: int = LUT_INPUTS) -> tuple[tuple, tuple]:
    """Wallace-style rounds: in every column, counters on six bits at a time, and one on the
    remaining three to five; two or fewer pass to the next round. Until two rows are left."""
    rounds = []
    while max(len(c) for c in cols) > 2:
        new: list[list[int]] = [[] for _ in range(sw)]
        cells = []
        for j in range(sw):
            # constants ride inside a counter (free: not a LUT input), so they go first
            col = sorted(cols[j], key=lambda v: v != ONE)
            size = leaf if not rounds else LUT_INPUTS
            groups = [col[i:i + size] for i in range(0, len(col), size)]
            if groups and len(groups[-1]) < 3:
                new[j].extend(groups.pop())
            for group in groups:
                outs = []
                for t in range(_outputs(len(group))):
                    if j + t < sw:  # a bit above the sum's width is always 0: dropped
                        new[j + t].append(next_id)
                        outs.append(next_id)
                        next_id += 1
                    else:
                        outs.append(-1)
                cells.append(Counter(tuple((v, 0) for v in group), j, tuple(outs)))
        cols = new
        rounds.append(tuple(cells))
        if len(rounds) > 64:
            raise AssertionError("GPC reduction does not converge")
    return tuple(rounds), tuple(tuple(c) for c in cols)


def gpc_lines(tree: GpcTree, prefix: str, out: str, every: int = 0, shift: int = 0,
              min_depth: int = 0) -> tuple[list[str], int]:
    """Verilog lines of ``tree`` summing into ``out`` (``sum_width`` bits), registered after
    every ``every`` levels (``shift``: the first register ``shift`` levels early); a tree of
    fewer levels than ``min_depth`` waits in registers so every class has one latency."""
    names = {ONE: "1'b1", **{i: n for i, n in enumerate(tree.names)}}
    made, last, final = tree.lifetimes(min_depth)
    lines: list[str] = []
    regs = 0
    for lv in range(1, final):
        if lv <= len(tree.rounds):
            for c in tree.rounds[lv - 1]:
                var = [names[v] for v, _ in c.ins if v != ONE]
                index = "{" + ", ".join(reversed(var)) + "}" if len(var) > 1 else var[0]
                for t, o in enumerate(c.outs):
                    if o < 0:
                        continue
                    name, size = f"{prefix}g{o}", 1 << len(var)
                    lines.append(f"localparam [{size - 1}:0] {name}_t = {size}'h{c.table(t):0{max(1, size // 4)}x};")
                    lines.append(f"wire {name} = {name}_t[{index}];")
                    names[o] = name
        if every and (lv + shift) % every == 0:
            alive = sorted(v for v in names if v >= 0 and made[v] <= lv and last.get(v, 0) > lv)
            if alive:
                register_bits(lines, names, alive, f"{prefix}r{regs}_")
            else:  # nothing variable is left (an all-constant group): the registers are empty
                lines.append(f"// {prefix}: no variable bit to register at level {lv}")
            regs += 1
    sw = tree.sum_width
    rows = [[names[col[r]] if r < len(col) else "1'b0" for col in tree.rows] for r in (0, 1)]
    a, b = ("{" + ", ".join(reversed(row)) + "}" for row in rows)
    if every and (final + shift) % every == 0:
        lines += [f"reg [{sw - 1}:0] {out};", f"always @(posedge clk) {out} <= {a} + {b};"]
        regs += 1
    else:
        lines.append(f"wire [{sw - 1}:0] {out} = {a} + {b};")
    return lines, regs
