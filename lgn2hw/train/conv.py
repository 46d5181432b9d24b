# SPDX-License-Identifier: MIT
"""Relaxed convolutional logic gate network (Petersen et al., NeurIPS 2024).

An image's thermometer bits [B, C*T, H, W] go through conv blocks of logic-tree kernels and
OR pools, are flattened (``k*H*W + y*W + x``) into dense logic layers and GroupSum.

A conv block holds K kernels, each a complete binary tree of depth d of relaxed two-input gates
(``layers.Gates``; residual init favours the pass-through A). Leaf gate j of kernel k reads two
distinct bits of the rf x rf window over the block's input channels (or a random subset of ``ch``
of them), a fixed random wiring drawn uniformly; gate j of level l reads gates 2j and 2j+1 of
level l-1. All positions are evaluated at once: ``F.unfold`` lays the zero-padded windows out as
columns and one ``index_select`` picks every leaf's two bits at every position. OR pooling
relaxes to max pooling, which is exactly OR on bits. In eval mode every gate is its argmax op,
so the forward pass is the Boolean network (see ``export.to_conv_checkpoint``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import interconnect
from .arch import Arch, Conv, Pool
from .layers import Gates, GateNet, GroupSum, LogicLayer


def leaf_wiring(spec: Conv, cin: int, gen: torch.Generator) -> torch.Tensor:
    """int64 [K * 2^(d-1), 2]: window bits ((dy*rf + dx)*cin + c) read by every leaf gate.

    Kernel k's leaves are rows k*2^(d-1) .. (k+1)*2^(d-1)-1. A leaf reads two different bits,
    both drawn uniformly from the kernel's window (its ``ch`` channels, or all).
    """
    k, n_leaf, ch = spec.k, spec.leaves, spec.ch or cin
    chans = torch.rand(k, cin, generator=gen).argsort(dim=1)[:, :ch].sort(dim=1).values  # [K, ch]
    n = spec.rf * spec.rf * ch
    first = torch.randint(0, n, (k, n_leaf), generator=gen)
    second = torch.randint(0, n - 1, (k, n_leaf), generator=gen)
    second = second + (second >= first).long()  # distinct from the first
    pick = torch.stack([first, second], dim=2)  # [K, leaves, 2] index into (pos, channel-of-subset)
    pos, sub = pick // ch, pick % ch
    c = chans.gather(1, sub.reshape(k, -1)).reshape(pick.shape)
    return (pos * cin + c).reshape(k * n_leaf, 2)


class _Mix(torch.autograd.Function):
    """c0 + c1 a + c2 b + c3 ab per gate, a and b [B, G, L]: two fused multiply-adds forward and
    a hand-written backward (autograd's graph of the same expression costs twice the time)."""

    @staticmethod
    def forward(ctx, c, a, b):
        c0, c1, c2, c3 = (c[:, i, None] for i in range(4))
        ctx.save_for_backward(c, a, b)
        return torch.addcmul(torch.addcmul(c0, c1, a), torch.addcmul(c2, c3, a), b)

    @staticmethod
    def backward(ctx, g):
        c, a, b = ctx.saved_tensors
        c1, c2, c3 = (c[:, i, None] for i in range(1, 4))
        ga, gb = g * a, g * b
        da = torch.addcmul(c1 * g, c3, gb) if ctx.needs_input_grad[1] else None
        db = torch.addcmul(c2 * g, c3, ga) if ctx.needs_input_grad[2] else None
        dc = None
        if ctx.needs_input_grad[0]:
            dc = torch.stack([g.sum((0, 2)), ga.sum((0, 2)), gb.sum((0, 2)), (ga * b).sum((0, 2))], dim=1)
        return dc, da, db


def mix(c: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The relaxed gates' outputs for coefficients c [G, 4] (``layers.Gates``) on a, b [B, G, L]."""
    return _Mix.apply(c, a, b)


class TreeConv(nn.Module):
    """K logic-tree kernels of depth d over rf x rf windows (stride, zero padding of the bits)."""

    def __init__(self, spec: Conv, cin: int, gen: torch.Generator, residual: float | None = 0.9,
                 gumbel: float = 0.0):
        super().__init__()
        self.spec, self.cin = spec, int(cin)
        wiring = leaf_wiring(spec, cin, gen)
        self.register_buffer("wiring", wiring)
        pos, c = wiring // cin, wiring % cin
        # F.unfold's row of window bit (pos, c) is c*rf*rf + pos
        self.register_buffer("rows", (c * spec.rf * spec.rf + pos).reshape(-1))
        self.levels = nn.ModuleList(Gates(spec.k * spec.leaves >> lvl, residual, gumbel) for lvl in range(spec.d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        s = self.spec
        cols = F.unfold(x, s.rf, padding=s.pad, stride=s.stride)  # [B, cin*rf*rf, L]
        oh, ow = (h + 2 * s.pad - s.rf) // s.stride + 1, (w + 2 * s.pad - s.rf) // s.stride + 1
        v = cols.index_select(1, self.rows).view(b, -1, 2, cols.shape[2])
        for gates in self.levels:
            v = mix(gates.op_probabilities() @ gates.coeffs, v[:, :, 0], v[:, :, 1])
            if gates is not self.levels[-1]:
                v = v.view(b, -1, 2, v.shape[2])
        return v.view(b, s.k, oh, ow)

    def layer_dicts(self) -> list[dict]:
        """The kernels as native conv-stage layers (see frontends/native.make_conv_checkpoint)."""
        out = [{"arity": 2, "indices": self.wiring.cpu().numpy().astype(np.int64),
                "ops": self.levels[0].hard_ops()}]
        for gates in self.levels[1:]:
            g = gates.out_dim
            out.append({"arity": 2, "indices": np.arange(2 * g, dtype=np.int64).reshape(g, 2),
                        "ops": gates.hard_ops()})
        return out


class OrPool(nn.Module):
    def __init__(self, spec: Pool):
        super().__init__()
        self.spec = spec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # values lie in [0, 1] and every window holds a real cell, so max_pool2d's -inf padding
        # acts as padding with 0, and on bits the max is OR
        return F.max_pool2d(x, self.spec.k, self.spec.step, self.spec.pad)


class ConvNet(GateNet):
    """Conv blocks and OR pools, then dense logic layers and GroupSum; input bits [B, C*T, H, W]."""

    eval_batch = 256

    def __init__(self, arch: Arch, in_shape: tuple[int, int, int], num_classes: int, tau: float,
                 kind: str = "learnable", candidates: int = 8, residual: float | None = 0.9,
                 gumbel: float = 0.0, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # op logits of residual=None
        self.arch, self.in_shape = arch, tuple(int(v) for v in in_shape)
        shapes = arch.shapes(self.in_shape)
        self.stages = nn.ModuleList(
            TreeConv(st, shapes[i][0], gen, residual, gumbel) if isinstance(st, Conv) else OrPool(st)
            for i, st in enumerate(arch.stages))
        c, h, w = shapes[-1]
        dims = [c * h * w, *arch.dense]
        self.layers = nn.ModuleList(
            LogicLayer(interconnect.make(kind, dims[i], dims[i + 1], gen, candidates), residual, gumbel)
            for i in range(len(arch.dense)))
        self.group_sum = GroupSum(num_classes, tau)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for st in self.stages:
            x = st(x)
        x = x.reshape(x.shape[0], -1)  # k*H*W + y*W + x
        for layer in self.layers:
            x = layer(x)
        return x

    def unrolled_gates(self) -> int:
        """Gates of the network with every kernel instantiated at every position."""
        shapes = self.arch.shapes(self.in_shape)
        conv = sum(st.spec.gates_per_kernel * st.spec.k * shapes[i + 1][1] * shapes[i + 1][2]
                   for i, st in enumerate(self.stages) if isinstance(st, TreeConv))
        return int(conv + sum(self.arch.dense))


def shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Every image of [B, C, H, W] moved by its own random (dy, dx) in [-s, s]^2, zeros shifted in."""
    if max_shift <= 0:
        return x
    b, c, h, w = x.shape
    s = int(max_shift)
    xp = F.pad(x, (s, s, s, s))
    off = torch.randint(0, 2 * s + 1, (2, b), generator=gen).to(x.device)
    rows = off[0][:, None] + torch.arange(h, device=x.device)  # [B, H]
    cols = off[1][:, None] + torch.arange(w, device=x.device)  # [B, W]
    bi = torch.arange(b, device=x.device)[:, None, None, None]
    ci = torch.arange(c, device=x.device)[None, :, None, None]
    return xp[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]


def image_thresholds(X: np.ndarray, in_shape: tuple[int, int, int], num_thresholds: int,
                     kind: str = "uniform") -> np.ndarray:
    """float64 [C, T]: per-channel thermometer thresholds fitted on all pixels of each channel."""
    from . import encoder

    c = in_shape[0]
    pixels = np.asarray(X, dtype=np.float64).reshape(X.shape[0], c, -1).transpose(0, 2, 1).reshape(-1, c)
    return encoder.thresholds(pixels, num_thresholds, kind)


def encode_images(X: np.ndarray, in_shape: tuple[int, int, int], thr: np.ndarray) -> np.ndarray:
    """uint8 [N, C*T, H, W]: bit-channel c*T + t = x[c] > thr[c, t] (``ir.Encoder``, per pixel)."""
    from . import encoder

    c, h, w = in_shape
    n, t = X.shape[0], thr.shape[1]
    pixels = np.asarray(X, dtype=np.float64).reshape(n, c, h * w).transpose(0, 2, 1).reshape(-1, c)
    bits = encoder.encode(pixels, thr)  # [N*H*W, C*T]
    return np.ascontiguousarray(bits.reshape(n, h, w, c * t).transpose(0, 3, 1, 2))
