# SPDX-License-Identifier: MIT
"""Relaxed logic layer (16 two-input ops) and GroupSum.

Every two-input Boolean function is multilinear in its inputs: f(a, b) = c0 + c1 a + c2 b + c3 ab
with the coefficients read off its truth table (AND = ab, OR = a + b - ab, XOR = a + b - 2ab, ...).
A gate's relaxed output is the softmax-weighted mix of the 16 ops, i.e. one [G,16] x [16,4]
product and four multiply-adds, instead of evaluating 16 ops. With one-hot weights and 0/1
inputs it is exactly the Boolean gate, which the eval (hard) forward relies on.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import ops

PASS_A = 3  # op id of the wire "A": the residual initialization favours it


def op_coefficients() -> torch.Tensor:
    """float32 [16, 4]: (c0, c1, c2, c3) of each op id, from the truth tables in ops.py."""
    f = ops.table_bits(np.arange(16, dtype=np.uint64), 2).astype(np.float64)  # columns: f00 f01 f10 f11
    f00, f01, f10, f11 = f.T
    return torch.tensor(np.stack([f00, f10 - f00, f01 - f00, f11 - f10 - f01 + f00], axis=1),
                        dtype=torch.float32)


class Gates(nn.Module):
    """G relaxed two-input gates: a softmax over the 16 ops per gate, no wiring of their own.

    ``residual`` is the initial probability mass of the pass-through op A (None: random
    N(0,1) logits as in difflogic). ``gumbel`` > 0 samples the op distribution with
    Gumbel-softmax at that temperature during training. The trainer sets ``temperature``
    (T_g, the logits are divided by it) and ``ste`` (hard forward: the argmax op, or the
    argmax of the Gumbel-perturbed logits; soft backward). ``mix(a, b)`` takes the gates'
    inputs with the gate axis at dim 1 and any trailing axes (positions of a conv kernel).
    """

    def __init__(self, num_gates: int, residual: float | None = 0.9, gumbel: float = 0.0):
        super().__init__()
        g = int(num_gates)
        if residual is None:
            logits = torch.randn(g, 16)
        else:
            if not 1 / 16 <= residual < 1:
                raise ValueError(f"residual mass must be in [1/16, 1), got {residual}")
            logits = torch.zeros(g, 16)
            logits[:, PASS_A] = math.log(residual * 15 / (1 - residual))
        self.logits = nn.Parameter(logits)
        self.gumbel = float(gumbel)
        self.temperature = 1.0  # T_g: the op softmax reads logits / T_g (the trainer anneals it)
        self.ste = False        # hard forward (argmax op), soft backward (straight-through)
        self.register_buffer("coeffs", op_coefficients(), persistent=False)

    @property
    def out_dim(self) -> int:
        return self.logits.shape[0]

    def op_probabilities(self) -> torch.Tensor:
        if not self.training:
            return nn.functional.one_hot(self.logits.argmax(dim=1), 16).to(self.logits.dtype)
        z = self.logits if self.temperature == 1.0 else self.logits / self.temperature
        if self.gumbel > 0:  # with ste: the one-hot of argmax(z + g), the gradient of softmax((z + g)/gumbel)
            return nn.functional.gumbel_softmax(z, tau=self.gumbel, hard=self.ste, dim=1)
        p = torch.softmax(z, dim=1)
        if self.ste:
            hard = nn.functional.one_hot(z.detach().argmax(dim=1), 16).to(p.dtype)
            return hard + (p - p.detach())
        return p

    def mix(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """c0 + c1 a + c2 b + c3 ab per gate; a, b [B, G, ...]."""
        c = self.op_probabilities() @ self.coeffs  # [G, 4]
        c = c.reshape(c.shape[0], 4, *([1] * (a.dim() - 2)))
        return c[:, 0] + c[:, 1] * a + b * (c[:, 2] + c[:, 3] * a)

    def hard_ops(self) -> np.ndarray:
        """int64 [G]: the op id each gate discretizes to (argmax, first on ties)."""
        return self.logits.detach().argmax(dim=1).cpu().numpy().astype(np.int64)


class LogicLayer(Gates):
    """G gates, each a softmax over the 16 relaxed ops; wiring comes from ``interconnect``."""

    def __init__(self, interconnect: nn.Module, residual: float | None = 0.9, gumbel: float = 0.0):
        super().__init__(interconnect.out_dim, residual, gumbel)
        self.interconnect = interconnect

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ab = self.interconnect(x)  # [B, G, 2]
        return self.mix(ab[..., 0], ab[..., 1])


class GroupSum(nn.Module):
    """Class scores: the sum of each of C equal contiguous output groups, divided by tau."""

    def __init__(self, num_classes: int, tau: float = 1.0):
        super().__init__()
        self.num_classes = int(num_classes)
        self.tau = float(tau)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], self.num_classes, -1).sum(dim=2) / self.tau


class GateNet(nn.Module):
    """What the trainer needs of a network: ``features`` (the bits before GroupSum), ``layers``
    (the dense logic layers, whose wiring may train) and ``group_sum``; the hard (discretized)
    evaluation is shared."""

    layers: nn.ModuleList
    group_sum: GroupSum
    eval_batch = 4096

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.group_sum(self.features(x))

    @torch.no_grad()
    def hard_group_sums(self, bits: np.ndarray, batch: int | None = None) -> np.ndarray:
        """int64 [N, C]: the discretized network's popcount per class (what the netlist computes)."""
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        batch = batch or self.eval_batch
        out = []
        for lo in range(0, bits.shape[0], batch):
            x = self.features(torch.as_tensor(bits[lo:lo + batch], dtype=torch.float32, device=dev))
            out.append(x.reshape(x.shape[0], self.group_sum.num_classes, -1).sum(dim=2).cpu().numpy())
        self.train(was)
        return np.concatenate(out).astype(np.int64) if out else np.zeros((0, self.group_sum.num_classes), np.int64)

    def hard_accuracy(self, bits: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.hard_group_sums(bits), axis=1) == y)) if len(y) else float("nan")

    def gate_count(self) -> int:
        """Logic gates of the network as trained (a conv kernel counts once, not per position)."""
        return int(sum(m.out_dim for m in self.modules() if isinstance(m, Gates)))

    def interconnect_bytes(self) -> int:
        """Bytes of wiring state of the dense layers (candidates + weights, or fixed indices)."""
        return sum(b.numel() * b.element_size() for layer in self.layers
                   for b in [*layer.interconnect.buffers(), *layer.interconnect.parameters()])

