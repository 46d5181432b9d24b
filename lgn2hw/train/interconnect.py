# SPDX-License-Identifier: MIT
"""Wiring between layers: fixed random, learnable with C candidates per input slot (gate
sampling), or a connection softmax over N_c fixed candidates with a temperature.

Learnable wiring keeps, per gate g and slot j, C candidate input indices and C weights
([G, k, C] each), so parameter memory is O(G k C) and independent of the input count I. The
forward pass reads the argmax candidate (the wire the hardware gets); the backward pass is
that of the softmax mix of all C candidates (straight-through estimator). Gate sampling
periodically replaces the R weakest candidates of every slot by newcomers drawn uniformly or
guided by the surrogate gradient Σ_b (2x_{b,i} - 1) dy_{b,g,j} of every input i, found with a
running top-R over chunks of inputs so memory does not grow with I either.
"""
from __future__ import annotations

import torch
from torch import nn

KINDS = ("fixed", "learnable", "softmax")
SAMPLING = ("none", "uniform", "gradient")


def spread_indices(in_dim: int, out_dim: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """int64 [out_dim, k] random wiring that uses every input about equally often (difflogic's scheme)."""
    c = torch.randperm(k * out_dim, generator=generator) % in_dim
    c = torch.randperm(in_dim, generator=generator)[c]
    return c.reshape(k, out_dim).T.contiguous()


class FixedInterconnect(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator, k: int = 2):
        super().__init__()
        self.in_dim, self.out_dim, self.k = int(in_dim), int(out_dim), int(k)
        self.register_buffer("indices", spread_indices(in_dim, out_dim, k, generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.indices]  # [B, G, k]

    def hard_indices(self) -> torch.Tensor:
        return self.indices


class _Candidates(nn.Module):
    """What the learnable and the softmax interconnect share: a buffer ``candidates`` [G, k, C] of
    input indices and a parameter ``weights`` [G, k, C] whose argmax picks each slot's wire."""

    @property
    def num_candidates(self) -> int:
        return self.candidates.shape[2]

    def hard_indices(self) -> torch.Tensor:
        """int64 [G, k]: the argmax candidate of every slot."""
        best = self.weights.detach().argmax(dim=2, keepdim=True)
        return self.candidates.gather(2, best)[:, :, 0]

    def parameter_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.candidates, self.weights))


class LearnableInterconnect(_Candidates):
    """Candidates [G, k, C] (a buffer) with weights [G, k, C] (a parameter); see the module doc."""

    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator, k: int = 2, candidates: int = 8):
        super().__init__()
        self.in_dim, self.out_dim, self.k = int(in_dim), int(out_dim), int(k)
        # candidate 0 follows the even spread, so the initial argmax wiring is a fixed random net
        first = spread_indices(in_dim, out_dim, k, generator)[:, :, None]
        rest = torch.randint(0, in_dim, (out_dim, k, candidates - 1), generator=generator)
        self.register_buffer("candidates", torch.cat([first, rest], dim=2))
        w = torch.zeros(out_dim, k, candidates)
        w[:, :, 0] = 1e-3  # a strict argmax at the start, independent of tie rules
        self.weights = nn.Parameter(w)
        self.probe = False  # keep dy of the selected inputs for gradient-guided sampling
        self.last_input: torch.Tensor | None = None
        self.last_output: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hard = x[:, self.hard_indices()]  # [B, G, k]
        if self.training and self.weights.requires_grad:
            p = torch.softmax(self.weights, dim=2)
            soft = (x[:, self.candidates] * p).sum(dim=3)
            out = soft + (hard - soft).detach()  # value of hard, gradient of soft
        else:
            out = hard
        if self.probe:
            out.retain_grad()
            self.last_input, self.last_output = x.detach(), out
        return out

    @torch.no_grad()
    def resample(self, newcomers: torch.Tensor) -> torch.Tensor:
        """Replace the R weakest candidates of every slot by ``newcomers`` [G, k, R].

        The newcomers get the smallest weight among the candidates kept, so they start level
        with the weakest survivor instead of winning or being ignored outright. Returns the
        replaced positions [G, k, R] (the trainer resets their optimizer state).
        """
        r = newcomers.shape[2]
        order = self.weights.argsort(dim=2)
        weak, kept = order[:, :, :r], order[:, :, r:]
        floor = self.weights.gather(2, kept).min(dim=2, keepdim=True).values
        self.candidates.scatter_(2, weak, newcomers.to(self.candidates.dtype))
        self.weights.scatter_(2, weak, floor.expand(-1, -1, r).contiguous())
        return weak

    def kept_candidates(self, r: int) -> torch.Tensor:
        """[G, k, C-R]: the candidates that survive a resample of R."""
        order = self.weights.detach().argsort(dim=2)
        return self.candidates.gather(2, order[:, :, r:])


class SoftmaxInterconnect(_Candidates):
    """Connection softmax (Mommen et al. 2025): per gate input slot a softmax at temperature
    ``temperature`` (T_c) over N_c fixed candidate inputs, weights [G, k, N_c].

    Candidate 0 of every slot follows the even spread (the initial argmax is a fixed random
    net); the others are distinct random inputs. With N_c >= the input count every slot sees
    every input (the candidates are all of them, in order), so memory is O(G k min(N_c, I)).
    The training forward is the softmax mix of the candidates; with ``ste`` it is the argmax
    candidate (hard) with the softmax's gradient, and ``gumbel`` > 0 adds Gumbel noise to the
    choice (hard forward of argmax(w/T_c + g), soft backward of softmax((w/T_c + g)/gumbel)).
    Eval reads the argmax candidate, the wire the hardware gets.
    """

    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator, k: int = 2, candidates: int = 16):
        super().__init__()
        self.in_dim, self.out_dim, self.k = int(in_dim), int(out_dim), int(k)
        c = min(int(candidates), self.in_dim)
        first = spread_indices(in_dim, out_dim, k, generator)  # [G, k]
        if c == self.in_dim:  # every input is a candidate: put the spread one first
            order = torch.arange(self.in_dim).expand(out_dim, k, -1)
            cand = torch.where(order == first[:, :, None], 0, order + 1)  # spread input -> slot 0
            cand = cand.argsort(dim=2)
        else:  # c distinct inputs per slot, the spread one first
            keys = torch.rand(out_dim, k, self.in_dim, generator=generator)
            keys.scatter_(2, first[:, :, None], -1.0)
            cand = keys.topk(c, dim=2, largest=False).indices  # sorted: the spread input first
        self.register_buffer("candidates", cand.contiguous())
        w = torch.zeros(out_dim, k, c)
        w[:, :, 0] = 1e-3  # a strict argmax at the start: the spread wiring
        self.weights = nn.Parameter(w)
        self.temperature = 1.0
        self.ste = False
        self.gumbel = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x[:, self.hard_indices()]
        z = self.weights / self.temperature
        if self.gumbel > 0:
            u = torch.rand_like(z).clamp_(1e-10, 1.0)
            z = z - torch.log(-torch.log(u))
            p = torch.softmax(z / self.gumbel, dim=2)
        else:
            p = torch.softmax(z, dim=2)
        soft = torch.einsum("bgkc,gkc->bgk", x[:, self.candidates], p)
        if not self.ste:
            return soft
        hard_idx = self.candidates.gather(2, z.detach().argmax(dim=2, keepdim=True))[:, :, 0]
        return soft + (x[:, hard_idx] - soft).detach()  # value of the argmax wire, gradient of the mix


def uniform_newcomers(layer: LearnableInterconnect, r: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(0, layer.in_dim, (layer.out_dim, layer.k, r), generator=generator).to(layer.candidates.device)


@torch.no_grad()
def gradient_newcomers(x: torch.Tensor, dy: torch.Tensor, r: int, exclude: torch.Tensor | None = None,
                       chunk_elems: int = 1 << 22) -> torch.Tensor:
    """The R inputs with the most negative surrogate gradient for every slot.

    x [B, I] the layer input over one mini-batch, dy [B, G, k] the loss gradient w.r.t. the
    selected inputs, exclude [G, k, E] inputs not to propose (the surviving candidates).
    The score of input i for slot (g, j) is Σ_b (2x_{b,i} - 1) dy_{b,g,j}; the [I, G k]
    score matrix is never built: inputs are scored a chunk at a time into a running top-R,
    so memory is O((chunk + R) G k). Returns int64 [G, k, R].
    """
    b, i_dim = x.shape
    g, k = dy.shape[1], dy.shape[2]
    slots = g * k
    d = dy.reshape(b, slots)
    xs = 2 * x - 1
    r = min(r, i_dim)
    step = max(1, chunk_elems // max(1, slots))
    best_val = torch.full((0, slots), float("inf"), device=x.device, dtype=d.dtype)
    best_idx = torch.empty((0, slots), device=x.device, dtype=torch.long)
    cols = torch.arange(slots, device=x.device)
    ex = exclude.reshape(slots, -1) if exclude is not None else None
    for lo in range(0, i_dim, step):
        hi = min(i_dim, lo + step)
        score = xs[:, lo:hi].T @ d  # [chunk, slots]
        if ex is not None:
            inside = (ex >= lo) & (ex < hi)
            rows = (ex - lo)[inside]
            score[rows, cols[:, None].expand_as(ex)[inside]] = float("inf")
        nb = best_val.shape[0]
        vals = torch.cat([best_val, score])
        top = vals.topk(min(r, vals.shape[0]), dim=0, largest=False)
        # rows < nb are the running best, the others input lo + row - nb (no id matrix is built)
        ti = top.indices
        idx = ti - nb + lo
        if nb:
            idx = torch.where(ti < nb, best_idx.gather(0, ti.clamp(max=nb - 1)), idx)
        best_val, best_idx = top.values, idx
    return best_idx.T.reshape(g, k, -1)


def make(kind: str, in_dim: int, out_dim: int, generator: torch.Generator, candidates: int = 8) -> nn.Module:
    if kind == "softmax":
        return SoftmaxInterconnect(in_dim, out_dim, generator, candidates=candidates)
    if kind == "fixed":
        return FixedInterconnect(in_dim, out_dim, generator)
    if kind == "learnable":
        return LearnableInterconnect(in_dim, out_dim, generator, candidates=candidates)
    raise ValueError(f"unknown interconnect {kind!r}; expected one of {', '.join(KINDS)}")
