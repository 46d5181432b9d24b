# SPDX-License-Identifier: MIT
"""The training loop: Adam with cosine decay, gate sampling, optional layer-wise schedule.

``train(config, dataset)`` returns a ``TrainResult`` holding the model restored to its best
validation (hard) accuracy, the fitted encoder thresholds and the figures the CLI prints.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
from torch import nn

from ..errors import LgnError
from . import arch as arch_mod
from . import encoder, interconnect
from .data import Dataset
from .layers import GateNet, GroupSum, LogicLayer

SCHEDULES = ("joint", "layerwise")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


@dataclass
class TrainConfig:
    """Architecture and training knobs; ``None`` fields take the dataset's default (DEFAULTS)."""

    dataset: str = "digits"
    widths: tuple[int, ...] | None = None  # gates per layer; the last must be a multiple of the classes
    interconnect: str = "learnable"        # fixed | learnable
    sampling: str | None = None            # none | uniform | gradient (learnable only)
    candidates: int = 8                    # C candidates per input slot
    resample: int | None = None            # R weakest candidates replaced (default C // 2)
    resample_every: int = 20               # beta: steps between gate sampling rounds
    schedule: str = "joint"                # joint | layerwise
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    tau: float | None = None               # GroupSum temperature
    thresholds: int | None = None          # thermometer thresholds per feature
    encoding: str | None = None            # uniform | distributive
    residual: float | None = 0.9           # initial mass of op A; None: random logits
    gumbel: float = 0.0                    # Gumbel-softmax temperature while training; 0 = off
    seed: int = 0
    device: str = "auto"                   # auto | cpu | cuda
    arch: str | None = None                # conv architecture (arch.py); its dense layers become ``widths``
    augment: int = 0                       # conv: random image shifts of up to this many pixels
    time_limit: float | None = None        # seconds: stop then; the cosine decay follows the elapsed time
    clock: str = "wall"                    # wall | cpu (this process's CPU seconds: fair on a shared machine)

    def resolved(self, num_classes: int, image_shape: tuple[int, int, int] | None = None) -> "TrainConfig":
        """A copy with every ``None`` default filled in from DEFAULTS and checked.

        ``image_shape`` (C, H, W) of the data set's images; a conv ``arch`` needs it.
        """
        base = DEFAULTS.get(self.dataset, DEFAULTS["*"])
        cfg = copy.copy(self)
        for f in fields(cfg):
            if getattr(cfg, f.name) is None and f.name in base:
                setattr(cfg, f.name, base[f.name])
        if cfg.sampling is None:
            cfg.sampling = "gradient" if cfg.interconnect == "learnable" else "none"
        if cfg.resample is None:
            cfg.resample = cfg.candidates // 2
        if cfg.arch is not None:
            net = arch_mod.parse(cfg.arch)
            if image_shape is None:
                raise LgnError(f"--arch {cfg.arch!r} is a conv network: it needs image data ([N, C, H, W] or "
                               "[N, H, W] arrays, a square flat image, or --image-shape)")
            c, h, w = image_shape
            net.check((c * cfg.thresholds, h, w), num_classes)
            cfg.arch, cfg.widths = str(net), net.dense
        elif cfg.augment:
            raise LgnError("--augment shifts images: it needs a conv --arch")
        if cfg.widths is None:
            cfg.widths = default_widths(base["layers"], base["width"], num_classes)
        cfg.widths = tuple(int(w) for w in cfg.widths)
        cfg.check(num_classes)
        return cfg

    def check(self, num_classes: int) -> None:
        if not self.widths or min(self.widths) < 1:
            raise LgnError(f"layer widths must be positive, got {list(self.widths)}")
        if self.widths[-1] % num_classes:
            raise LgnError(f"the last layer's {self.widths[-1]} gates cannot form {num_classes} equal class "
                           f"groups; use a multiple of {num_classes}")
        if self.interconnect not in interconnect.KINDS:
            raise LgnError(f"unknown interconnect {self.interconnect!r}; expected {' or '.join(interconnect.KINDS)}")
        if self.sampling not in interconnect.SAMPLING:
            raise LgnError(f"unknown sampling {self.sampling!r}; expected one of {', '.join(interconnect.SAMPLING)}")
        if self.interconnect == "fixed" and self.sampling != "none":
            raise LgnError("gate sampling needs --interconnect learnable")
        if self.schedule not in SCHEDULES:
            raise LgnError(f"unknown schedule {self.schedule!r}; expected {' or '.join(SCHEDULES)}")
        if self.schedule == "layerwise" and self.interconnect != "learnable":
            raise LgnError("the layer-wise schedule trains wiring: it needs --interconnect learnable")
        if self.candidates < 1 or not 0 <= self.resample < self.candidates:
            raise LgnError(f"need candidates >= 1 and 0 <= resample < candidates, got C={self.candidates}, "
                           f"R={self.resample}")
        if self.resample_every < 1 or self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.tau <= 0:
            raise LgnError("resample-every, epochs and batch size must be >= 1, lr and tau > 0")
        if self.augment < 0 or (self.time_limit is not None and self.time_limit <= 0):
            raise LgnError("augment must be >= 0 and the time limit > 0")
        if self.clock not in CLOCKS:
            raise LgnError(f"unknown clock {self.clock!r}; expected {' or '.join(CLOCKS)}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise LgnError(f"unknown device {self.device!r}; expected auto, cpu or cuda")


#: Per-dataset defaults, chosen so the plain command reaches the issue's quality bars.
DEFAULTS: dict[str, dict] = {
    "digits": dict(layers=3, width=500, epochs=100, batch_size=64, lr=0.02, tau=3.0, thresholds=3,
                   encoding="uniform"),
    "breast-cancer": dict(layers=2, width=200, epochs=100, batch_size=32, lr=0.02, tau=3.0, thresholds=4,
                          encoding="distributive"),
    "yinyang": dict(layers=2, width=100, epochs=200, batch_size=64, lr=0.02, tau=3.0, thresholds=32,
                    encoding="uniform"),
    "*": dict(layers=2, width=500, epochs=100, batch_size=128, lr=0.02, tau=3.0, thresholds=4,
              encoding="distributive"),
}


def default_widths(layers: int, width: int, num_classes: int) -> tuple[int, ...]:
    """``layers`` x ``width`` with the last layer rounded down to a multiple of the classes."""
    last = max(num_classes, width - width % num_classes)
    return (width,) * (layers - 1) + (last,)


class LogicNet(GateNet):
    """Logic layers then GroupSum. ``forward`` takes input bits as floats [B, I]."""

    def __init__(self, num_inputs: int, widths, num_classes: int, tau: float, kind: str = "learnable",
                 candidates: int = 8, residual: float | None = 0.9, gumbel: float = 0.0, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # op logits of residual=None
        dims = [int(num_inputs), *map(int, widths)]
        self.layers = nn.ModuleList(
            LogicLayer(interconnect.make(kind, dims[i], dims[i + 1], gen, candidates), residual, gumbel)
            for i in range(len(widths)))
        self.group_sum = GroupSum(num_classes, tau)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


@dataclass
class TrainResult:
    model: GateNet                  # LogicNet, or conv.ConvNet when the config has an arch
    thresholds: np.ndarray          # float64 [F, T] (dense) or [C, T] per image channel (conv)
    config: TrainConfig             # resolved
    num_classes: int
    val_accuracy: float             # hard, best epoch
    test_accuracy: float            # hard
    seconds: float                  # wall clock
    device: str
    best_epoch: int
    history: list[dict] = field(default_factory=list)
    cpu_seconds: float = float("nan")  # CPU time of this process (all its threads)

    @property
    def gates(self) -> int:
        """Logic gates as trained (a conv kernel counts once)."""
        return self.model.gate_count()


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LgnError("--device cuda: no CUDA device is available")
    return torch.device(name)


def phases(cfg: TrainConfig) -> list[tuple[int, int | None]]:
    """(epochs, index of the layer whose wiring trains or None for all) per phase.

    joint: one phase where every layer's wiring trains. layerwise: one phase per layer, then
    a final fine-tune of the gates with all wiring fixed (marked -1).
    """
    if cfg.schedule == "joint":
        return [(cfg.epochs, None)]
    n = len(cfg.widths) + 1
    each = max(1, cfg.epochs // n)
    return [(each, i) for i in range(n - 1)] + [(max(1, cfg.epochs - each * (n - 1)), -1)]


def build(cfg: TrainConfig, ds: Dataset) -> tuple[GateNet, np.ndarray, dict[str, np.ndarray]]:
    """The untrained model for a resolved config, its encoder thresholds, and the encoded splits
    (dense: uint8 [N, F*T]; conv: uint8 [N, C*T, H, W])."""
    if cfg.arch is None:
        thr = encoder.thresholds(ds.train.X, cfg.thresholds, cfg.encoding)
        bits = {name: encoder.encode(getattr(ds, name).X, thr) for name in ("train", "val", "test")}
        model = LogicNet(thr.size, cfg.widths, ds.num_classes, cfg.tau, cfg.interconnect, cfg.candidates,
                         cfg.residual, cfg.gumbel, cfg.seed)
        return model, thr, bits
    from . import conv

    shape = ds.image_shape
    thr = conv.image_thresholds(ds.train.X, shape, cfg.thresholds, cfg.encoding)
    bits = {name: conv.encode_images(getattr(ds, name).X, shape, thr) for name in ("train", "val", "test")}
    model = conv.ConvNet(arch_mod.parse(cfg.arch), (shape[0] * cfg.thresholds, shape[1], shape[2]),
                         ds.num_classes, cfg.tau, cfg.interconnect, cfg.candidates, cfg.residual, cfg.gumbel,
                         cfg.seed)
    return model, thr, bits


def train(cfg: TrainConfig, ds: Dataset, progress: bool = True, console=None, log=None) -> TrainResult:
    """Train; ``log(record)`` is called after every epoch (epoch, loss, soft_train, hard_val, seconds)."""
    cfg = cfg.resolved(ds.num_classes, ds.image_shape)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    dev = pick_device(cfg.device)
    model, thr, bits = build(cfg, ds)
    model = model.to(dev)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    x_train = torch.as_tensor(bits["train"], dtype=torch.float32, device=dev)
    y_train = torch.as_tensor(ds.train.y, device=dev)
    n = x_train.shape[0]
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    plan = phases(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    loss_fn = nn.CrossEntropyLoss()
    wiring = [layer.interconnect for layer in model.layers]
    learnable = [w for w in wiring if isinstance(w, interconnect.LearnableInterconnect)]
    augment = None
    if cfg.augment:
        from .conv import shift

        def augment(x):
            return shift(x, cfg.augment, gen)

    clock = CLOCKS[cfg.clock]
    start = clock()  # the time limit counts the training loop (with its validation), not the data encoding

    def out_of_time() -> bool:
        return cfg.time_limit is not None and clock() - start >= cfg.time_limit

    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    history: list[dict] = []
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TextColumn("loss {task.fields[loss]:.3f}  soft {task.fields[soft]:.1%}  "
                              "hard(val) {task.fields[hard]:.1%}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=console, disable=not progress)
    epoch = total = 0
    with bar:
        task = bar.add_task(f"train {cfg.dataset}", total=cfg.epochs, loss=float("nan"), soft=0.0, hard=0.0)
        for phase_epochs, active in plan:
            for w in learnable:
                w.weights.requires_grad_(active is None or active == wiring.index(w))
            sampled = [w for w in learnable if w.weights.requires_grad] if cfg.sampling != "none" else []
            step = 0
            for _ in range(phase_epochs):
                if out_of_time():
                    break
                model.train()
                perm = torch.randperm(n, generator=gen).to(dev)
                tot_loss = tot_correct = 0.0
                seen = 0
                for lo in range(0, n, cfg.batch_size):
                    if cfg.time_limit is not None:
                        # cosine decay over whichever runs out first, the epochs or the time
                        t = max(total / total_steps, (clock() - start) / cfg.time_limit)
                        if t >= 1:
                            break
                        for group in opt.param_groups:
                            group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * t))
                    idx = perm[lo:lo + cfg.batch_size]
                    resample_now = bool(sampled) and step > 0 and step % cfg.resample_every == 0
                    for w in sampled:
                        w.probe = resample_now and cfg.sampling == "gradient"
                    xb = x_train[idx]
                    scores = model(augment(xb) if augment else xb)
                    loss = loss_fn(scores, y_train[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    if cfg.time_limit is None:
                        sched.step()
                    if resample_now:
                        resample(sampled, cfg, opt, gen)
                    step += 1
                    total += 1
                    seen += idx.numel()
                    tot_loss += float(loss.detach()) * idx.numel()
                    tot_correct += float((scores.argmax(1) == y_train[idx]).sum())
                if not seen:
                    break
                epoch += 1
                val = model.hard_accuracy(bits["val"], ds.val.y)
                rec = dict(epoch=epoch, loss=tot_loss / seen, soft_train=tot_correct / seen, hard_val=val,
                           seconds=round(time.perf_counter() - start_wall, 1),
                           cpu_seconds=round(time.process_time() - start_cpu, 1))
                history.append(rec)
                # with the layer-wise schedule only the final (all wiring fixed) phase competes
                if val > best[0] and (cfg.schedule == "joint" or active == -1):
                    best = (val, epoch, copy.deepcopy(model.state_dict()))
                bar.update(task, advance=1, loss=rec["loss"], soft=rec["soft_train"], hard=val)
                if log is not None:
                    log(rec)
    model.load_state_dict(best[2])
    for w in learnable:
        w.probe, w.last_input, w.last_output = False, None, None
    model.eval()
    test = model.hard_accuracy(bits["test"], ds.test.y)
    return TrainResult(model, thr, cfg, ds.num_classes, best[0], test, time.perf_counter() - start_wall, str(dev),
                       best[1], history, time.process_time() - start_cpu)


def resample(layers, cfg: TrainConfig, opt: torch.optim.Optimizer, gen: torch.Generator) -> None:
    """One gate-sampling round on every layer whose wiring trains; resets Adam's state there."""
    for w in layers:
        if cfg.sampling == "gradient":
            if w.last_output is None or w.last_output.grad is None:
                continue
            new = interconnect.gradient_newcomers(w.last_input, w.last_output.grad, cfg.resample,
                                                  exclude=w.kept_candidates(cfg.resample))
            w.probe, w.last_input, w.last_output = False, None, None
        else:
            new = interconnect.uniform_newcomers(w, cfg.resample, gen)
        if new.shape[2] < cfg.resample:  # fewer inputs than R: leave the rest of the slots alone
            continue
        weak = w.resample(new)
        state = opt.state.get(w.weights)
        if state:
            for key in ("exp_avg", "exp_avg_sq"):
                state[key].scatter_(2, weak, 0.0)


def config_dict(cfg: TrainConfig) -> dict:
    d = asdict(cfg)
    d["widths"] = list(cfg.widths)
    return d
