# SPDX-License-Identifier: MIT
"""``sat-sweep``: SAT sweeping (functional reduction), after mockturtle's ``functional_reduction``.

1. Simulate the netlist bit-parallel on random patterns (pattern 0 is all zeros), in rounds
   of 2048 until a round splits no class (at most ``sim-words`` x 64 patterns), plus up to
   ``data-patterns`` dataset samples. A signal's signature is a hash of its values on every
   pattern, complemented when it is 1 on pattern 0, so a signal and its complement share a
   signature and the constant signals 0 and 1 have the all-zero one. Signals with equal
   signatures form candidate classes; the representative of a class is its lowest signal id
   (lowest level), so merging never deepens the netlist.
2. Level by level, each node whose class has an earlier member is a candidate pair
   (node, representative, phase). The cones of the candidates are encoded in an
   incremental z3 context with every fan-in replaced by its proven representative, so
   proven equivalences make later cones small; the context is replaced once it holds a few
   thousand variables, so a call never pays for the cones of old calls. A batch of pairs
   is one SAT call ("can any pair differ?"): UNSAT proves the whole batch; SAT gives a
   counterexample (read on the inputs of one pair that differs in it) that is simulated
   (with 63 neighbours) to refine every class, and the candidates are re-formed; UNKNOWN
   (conflict limit) splits the batch, and a single unknown pair never merges.
   Before SAT, on a level with at least ``exhaustive-min-pairs`` candidate pairs, pairs whose
   joint cone reads at most ``exhaustive-inputs`` primary inputs are decided by simulating
   all 2^n assignments of those inputs in the compiled simulator core: equal is a proof (the
   pair's functions depend on nothing else), and a differing assignment is a counterexample
   (up to 64 of them refine the classes in one simulated word). The wide, shallow nets LGNs
   are have small cones (a level-3 gate reads at most 8 inputs), so most pairs never reach
   SAT; the rest, and every pair when the core is not built, go to z3 as above. Small levels
   go straight to SAT (a call is cheap there, and small nets keep exercising the SAT path).
3. Proven pairs merge into the representative (complements through an inversion absorbed
   by consumers, or by the output's polarity flag when an output reads it: an output-only
   gate that is the complement of another gate becomes an inverted output of that gate;
   constants into signal 0/1), and the netlist is rebuilt once.

Simulation alone never merges anything.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import _simcore, sim
from ..equiv import DIFFERENT, EQUAL, SatContext, clause_template
from ..ir import Netlist
from . import Pass, PassData
from ._rewrite import Rules, rewrite, substitute

_MIX = np.uint64(0x9E3779B97F4A7C15)
_WEIGHTS = np.random.default_rng(0x5EED).integers(0, 1 << 62, size=64, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_ROUND_WORDS = 32        # random simulation goes on while a round of this many words splits a class
_SIM_BYTES = 64 << 20    # bound on the simulated values held at once
_SOLVER_VARS = 4096      # a solver holding more variables is replaced (see _Sweeper._new_solver)


@dataclass(frozen=True)
class SatSweep(Pass):
    """Options: ``conflict-limit`` (z3 conflicts per candidate pair; a batched call gets the
    sum), ``sim-words`` (at most this many x 64 random patterns), ``batch`` (pairs per SAT call),
    ``data-patterns`` (dataset samples added to the patterns), ``seed``, ``exhaustive-inputs``
    (decide pairs whose cone reads at most this many inputs (<= 20) by exhaustive simulation;
    0: off), ``exhaustive-min-pairs`` (only on levels with at least this many candidate pairs)."""

    name = "sat-sweep"
    ranges = {"conflict_limit": (1, float("inf"), False, True), "sim_words": (1, float("inf"), False, True),
              "batch": (1, float("inf"), False, True), "data_patterns": (0, float("inf"), False, True),
              "exhaustive_inputs": (0, 20, False, False), "exhaustive_min_pairs": (1, float("inf"), False, True)}
    conflict_limit: int = 2000
    sim_words: int = 1024
    batch: int = 256
    data_patterns: int = 4096
    seed: int = 0
    exhaustive_inputs: int = 16
    exhaustive_min_pairs: int = 64

    def apply(self, nl: Netlist, data: PassData | None = None):
        return _Sweeper(self, nl, data).run()


def _mix_words(h: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Fold packed words [S, W] into running 64-bit hashes [S]: the words weighted by odd
    constants and summed (one integer matmul, wrapping), then one mixing step. Signatures
    that differ collide only by chance: a false candidate that SAT refutes, never a merge."""
    h = (h ^ (words @ _WEIGHTS[: words.shape[1]])) * _MIX
    return h ^ (h >> np.uint64(32))


@lru_cache(maxsize=None)
def _node_format(table: int, k: int) -> str:
    """SMT-LIB clauses of ``y = table(x_0..x_k-1)`` (``equiv.clause_template``) as a
    ``str.format`` template over signal ids: fields 0..k-1 the fan-ins, field k the node."""
    def lit(slot: int, pol: int) -> str:
        v = "v{%d}" % (k if slot < 0 else slot)
        return v if pol else f"(not {v})"
    return "".join(f"(assert (or {' '.join(lit(s, p) for s, p in c)}))" for c in clause_template(table, k))


def _class_min(h: np.ndarray) -> np.ndarray:
    """For each signal, the lowest signal id with the same hash."""
    order = np.argsort(h, kind="stable")
    hs = h[order]
    start = np.concatenate([[True], hs[1:] != hs[:-1]])
    first = order[np.flatnonzero(start)]
    out = np.empty_like(order)
    out[order] = np.repeat(first, np.diff(np.append(np.flatnonzero(start), h.size)))
    return out


class _Sweeper:
    def __init__(self, opts: SatSweep, nl: Netlist, data: PassData | None):
        self.o, self.nl, self.data = opts, nl, data
        self.base, self.k = nl.base, nl.arity
        self.rng = np.random.default_rng(opts.seed)
        s = nl.num_signals
        self.rep = np.arange(s, dtype=np.int64)
        self.inv = np.zeros(s, bool)
        self.sub_t = nl.tables.copy()                 # tables/fan-ins through proven merges
        self.sub_f = nl.fanin.astype(np.int64)
        self.encoded = np.zeros(s, bool)
        self.encoded[:2] = True
        self.settled = np.zeros(s, bool)  # excluded from candidates (unknown)
        self.stats = dict(candidates=0, sat_calls=0, counterexamples=0, merges=0, constants=0,
                          unknowns=0, patterns=0, exhaustive=0, sim_seconds=0.0, sat_seconds=0.0,
                          exhaustive_seconds=0.0)
        self.core = sim.native_core() if opts.exhaustive_inputs > 0 else None
        self.too_big = np.zeros(s, bool)  # cone too wide for exhaustive simulation
        self.plan = sim.SimPlan(nl)
        self._new_solver()

    def _new_solver(self) -> None:
        """A fresh solver: CDCL decides every variable its solver holds, so the cones of earlier
        calls would slow every later one (most of the time on big nets). A call replaces it
        when it holds more than ``_SOLVER_VARS`` variables and more than twice the call's cone
        (a cone as big as the solver is cheaper to keep than to encode again)."""
        self.ctx = SatContext(self.o.conflict_limit)
        self.encoded[:] = False
        self.encoded[:2] = True

    # ------------------------------------------------------------------ simulation
    def _simulate(self, packed: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        vals = sim.simulate_packed(self.nl, packed, self.plan)
        self.stats["sim_seconds"] += time.perf_counter() - t0
        self.stats["patterns"] += 64 * packed.shape[1]
        return vals

    def _random_words(self, words: int) -> np.ndarray:
        n = self.nl.num_inputs * words
        return np.frombuffer(self.rng.bytes(8 * n), np.uint64).reshape(self.nl.num_inputs, words).copy()

    def _fold(self, vals: np.ndarray) -> None:
        """Fold simulated values [S, W] into the signatures (phase-normalized) and re-class."""
        t0 = time.perf_counter()
        self.h = _mix_words(self.h, vals ^ self.flip[:, None])
        self.cmin = _class_min(self.h)
        self.stats["sim_seconds"] += time.perf_counter() - t0

    def _candidates(self) -> int:
        return int((self.cmin[self.base:] < np.arange(self.base, self.nl.num_signals)).sum())

    def _initial_signatures(self) -> None:
        """Random rounds until one splits no class (at most ``sim-words`` words), plus data.

        Most false candidates differ on a small fraction of inputs; each that survives costs a
        SAT call whose counterexample splits one or two pairs, so simulating until the classes
        stop splitting is far cheaper. Rounds are simulated in chunks that bound the memory
        (values of every signal, [S, W])."""
        nl = self.nl
        chunk = int(np.clip(_SIM_BYTES // (8 * nl.num_signals), 1, _ROUND_WORDS))
        total = max(1, self.o.sim_words)
        packed = self._random_words(min(chunk, total))
        packed[:, 0] &= ~np.uint64(1)  # pattern 0: all inputs zero -> defines each signal's phase
        vals = self._simulate(packed)
        self.phase = (vals[:, 0] & np.uint64(1)).astype(bool)
        self.flip = np.where(self.phase, ~np.uint64(0), np.uint64(0))
        self.h = np.zeros(nl.num_signals, np.uint64)
        self._fold(vals)
        done = packed.shape[1]
        if self.data is not None and self.o.data_patterns > 0 and self.data.bits.shape[0]:
            data = sim.pack_bits(self.data.bits[: self.o.data_patterns])
            for lo in range(0, data.shape[1], chunk):
                self._fold(self._simulate(data[:, lo:lo + chunk]))
        left = self._candidates()
        while done < total and left:
            before, end = left, min(total, done + _ROUND_WORDS)
            while done < end:
                w = min(chunk, end - done)
                self._fold(self._simulate(self._random_words(w)))
                done += w
            left = self._candidates()
            if left == before:
                break

    def _refine(self, cex: np.ndarray, support: np.ndarray) -> None:
        """Simulate the counterexample and 63 neighbours (one or two support bits flipped)."""
        lanes = np.repeat(cex[None, :], 64, axis=0)
        if support.size:
            for _ in range(2):
                flip = self.rng.choice(support, size=63)
                lanes[np.arange(1, 64), flip] ^= 1
        self._fold(self._simulate(sim.pack_bits(lanes)))
        self.stats["counterexamples"] += 1

    # ------------------------------------------------------------------ SAT
    def _name(self, s: int) -> str:
        return f"v{s}"

    def _cone(self, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nodes, primary inputs) of the transitive fan-in of ``roots`` (through merges)."""
        base = self.base
        seen = np.zeros(self.nl.num_signals, bool)
        inputs = np.zeros(self.nl.num_signals, bool)
        frontier = np.unique(roots)
        while frontier.size:
            inputs[frontier[(frontier >= 2) & (frontier < base)]] = True
            nodes = frontier[(frontier >= base) & ~seen[frontier]]
            seen[nodes] = True
            nxt = self.sub_f[nodes - base].reshape(-1)
            frontier = np.unique(nxt[~seen[nxt]])
        return np.flatnonzero(seen), np.flatnonzero(inputs)

    def _encode(self, nodes: np.ndarray) -> None:
        if nodes.size == 0:
            return
        b, k = self.base, self.k
        fanin = self.sub_f[nodes - b]
        # one str.format per node (SatContext.encode builds every literal in Python)
        text = "".join(_node_format(t, k).format(*f, y)
                       for t, f, y in zip(self.sub_t[nodes - b].tolist(), fanin.tolist(), nodes.tolist()))
        used = np.unique(np.concatenate([nodes, fanin.reshape(-1)]))
        self.ctx.add(text, [self._name(s) for s in used.tolist()])
        self.encoded[nodes] = True

    def _prove(self, pairs: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
        """One SAT call on pairs [P, 3] (node, rep, phase); on DIFFERENT also (cex, support)."""
        t0 = time.perf_counter()
        cone, support = self._cone(pairs[:, :2].reshape(-1))
        if len(self.ctx.declared) > max(_SOLVER_VARS, 2 * cone.size):
            self._new_solver()
        self._encode(cone[~self.encoded[cone]])
        self.ctx.set_conflict_limit(self.o.conflict_limit * len(pairs))
        status = self.ctx.any_differ([(self._name(int(s)), self._name(int(r)), int(p)) for s, r, p in pairs])
        self.stats["sat_calls"] += 1
        cex = None
        if status == DIFFERENT:
            # reading the model is one z3 call per variable: read only the inputs of one pair
            # that differs in it (the rest stay random; they cannot undo that pair's difference)
            v = self.ctx.values([self._name(int(s)) for s in pairs[:, :2].reshape(-1)]).reshape(-1, 2)
            hit = np.flatnonzero((v[:, 0] ^ v[:, 1]) != pairs[:, 2])
            if hit.size:
                support = self._cone(pairs[hit[0], :2])[1]
            cex = self.rng.integers(0, 2, size=self.nl.num_inputs, dtype=np.uint8)
            cex[support - 2] = self.ctx.values([self._name(int(s)) for s in support])
        self.stats["sat_seconds"] += time.perf_counter() - t0
        return status, cex, support - 2

    # ------------------------------------------------------------------ main loop
    def run(self) -> tuple[Netlist, dict]:
        nl, base = self.nl, self.base
        self._initial_signatures()
        ptr = nl.level_ptr
        for lvl in range(1, nl.depth + 1):
            lo, hi = int(ptr[lvl - 1]), int(ptr[lvl])
            # this level's fan-ins through the merges proven so far (all on lower levels)
            self.sub_t[lo:hi], self.sub_f[lo:hi] = substitute(nl.tables[lo:hi], nl.fanin[lo:hi].astype(np.int64),
                                                              self.rep, self.inv, self.k)
            sig = base + np.arange(lo, hi, dtype=np.int64)
            self._sweep_level(sig)
        merged = self.rep != np.arange(nl.num_signals)
        self.stats["merges"] = int(merged[base:].sum())
        self.stats["constants"] = int((merged[base:] & (self.rep[base:] <= 1)).sum())
        out, _ = rewrite(nl, Rules(fold=True), self.rep, self.inv)
        self.stats["removed"] = nl.num_nodes - out.num_nodes
        for key in ("sim_seconds", "sat_seconds", "exhaustive_seconds"):
            self.stats[key] = round(self.stats[key], 4)
        return out, self.stats

    def _exhaustive(self, pairs: np.ndarray) -> tuple[np.ndarray, bool]:
        """Decide the pairs with small cones by exhaustive simulation (see the module doc).
        Returns (pairs left for SAT, whether counterexamples refined the classes)."""
        t0 = time.perf_counter()
        try_ = ~self.too_big[pairs[:, 0]]
        todo = pairs[try_]
        status, support, assign = _simcore.cone_check(self.core, self.nl.num_inputs, self.sub_t, self.sub_f, todo,
                                                      self.o.exhaustive_inputs)
        eq = todo[status == 0]
        self.rep[eq[:, 0]] = eq[:, 1]
        self.inv[eq[:, 0]] = eq[:, 2].astype(bool)
        big = todo[status == 2]
        self.too_big[big[:, 0]] = True
        self.stats["exhaustive"] += int((status != 2).sum())
        diff = np.flatnonzero(status == 1)[:64]
        self.stats["exhaustive_seconds"] += time.perf_counter() - t0
        if diff.size:
            d = todo[diff]
            sup = support[diff]
            lanes = self.rng.integers(0, 2, size=(64, self.nl.num_inputs), dtype=np.uint8)
            bit = ((assign[diff, None] >> np.arange(sup.shape[1])) & 1).astype(np.uint8)
            held = sup >= 2
            rows = np.broadcast_to(np.arange(diff.size)[:, None], sup.shape)
            lanes[rows[held], sup[held] - 2] = bit[held]
            before = self.h[d[:, 0]] == self.h[d[:, 1]]
            self._fold(self._simulate(sim.pack_bits(lanes)))
            after = self.h[d[:, 0]] == self.h[d[:, 1]]
            if not (before & ~after).any():
                raise AssertionError("sat-sweep: an exhaustive-simulation counterexample split no candidate pair")
            self.stats["counterexamples"] += int(diff.size)
            return pairs[~try_], True
        return np.concatenate([pairs[~try_], big]), False

    def _sweep_level(self, sig: np.ndarray) -> None:
        seen_pairs = set()
        while True:
            open_ = sig[(self.rep[sig] == sig) & ~self.settled[sig]]
            cm = self.cmin[open_]
            cand = open_[cm < open_]
            if cand.size == 0:
                self.stats["candidates"] += len(seen_pairs)
                return
            reps = self.cmin[cand]
            phase = self.phase[cand] ^ self.phase[reps]
            pairs = np.stack([cand, reps, phase.astype(np.int64)], axis=1)
            for s, r in pairs[:, :2]:
                seen_pairs.add((int(s), int(r)))
            if self.core is not None and len(pairs) >= self.o.exhaustive_min_pairs:
                pairs, refined = self._exhaustive(pairs)
                if refined or len(pairs) == 0:
                    continue
            queue = [pairs[i:i + self.o.batch] for i in range(0, len(pairs), self.o.batch)]
            refined = False
            while queue and not refined:
                chunk = queue.pop(0)
                status, cex, support = self._prove(chunk)
                if status == EQUAL:
                    self.rep[chunk[:, 0]] = chunk[:, 1]
                    self.inv[chunk[:, 0]] = chunk[:, 2].astype(bool)
                elif status == DIFFERENT:
                    before = self.h[chunk[:, 0]] == self.h[chunk[:, 1]]
                    self._refine(cex, support)
                    after = self.h[chunk[:, 0]] == self.h[chunk[:, 1]]
                    if not (before & ~after).any():
                        raise AssertionError("sat-sweep: a SAT counterexample split no candidate pair")
                    refined = True
                elif len(chunk) > 1:
                    half = len(chunk) // 2
                    queue[:0] = [chunk[:half], chunk[half:]]
                else:
                    self.settled[chunk[0, 0]] = True
                    self.stats["unknowns"] += 1
