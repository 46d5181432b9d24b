# SPDX-License-Identifier: MIT
"""The training loop: Adam with cosine decay, gate sampling, optional layer-wise schedule.

``train(config, dataset)`` returns a ``TrainResult`` holding the model restored to its best
validation (hard) accuracy, the fitted encoder thresholds and the figures the CLI prints.
"""
from __future__ import annotations

import copy
import functools
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
from .layers import Gates, GateNet, GroupSum, LogicLayer

SCHEDULES = ("joint", "layerwise")
TASKS = ("classification", "regression")
MIN_STEPS = 16  # a default batch size gives an epoch at least this many steps
DEFAULT_GROUP_SIZE = 64  # output bits per class of the default widths: GroupSum adders are most of the LUTs
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
    task: str = "classification"           # classification | regression (MSE on (sum + beta) / tau)
    group_size: int | None = None          # output bits per class: the last layer is classes x this
    gate_temp: float = 1.0                 # T_g: op softmax temperature at the start
    gate_temp_end: float | None = None     # T_g at the end of its annealing range (None: constant)
    gate_anneal: tuple[float, float] = (5 / 6, 1.0)   # T_g falls over this fraction of the run
    conn_temp: float = 1.0                 # T_c: connection softmax temperature (--interconnect softmax)
    conn_temp_end: float | None = None
    conn_anneal: tuple[float, float] = (2 / 3, 5 / 6)
    ste: bool | None = None                # hard forward / soft backward (straight-through) for ops and wires;
                                           # None: on for regression (the sums must be the hard ones), else off
    weight_decay: float = 0.0              # AdamW decoupled weight decay
    learn_thresholds: bool = False         # train the thermometer thresholds (dense nets)

    def resolved(self, num_classes: int, image_shape: tuple[int, int, int] | None = None,
                 num_train: int | None = None) -> "TrainConfig":
        """A copy with every ``None`` default filled in from DEFAULTS and checked.

        ``image_shape`` (C, H, W) of the data set's images; a conv ``arch`` needs it.
        ``num_train``: training samples; a default batch size shrinks so that an epoch takes at
        least MIN_STEPS steps (at 1 step an epoch, 100 epochs left the residual init's wires in
        place: an all-wire network with no logic gate).
        """
        base = dict(DEFAULTS.get(self.dataset, DEFAULTS["*"]))
        cfg = copy.copy(self)
        if cfg.task == "regression":
            base.pop("tau", None)  # from the group size below
        for f in fields(cfg):
            if getattr(cfg, f.name) is None and f.name in base:
                setattr(cfg, f.name, base[f.name])
        if self.batch_size is None and num_train:
            cfg.batch_size = min(cfg.batch_size, max(8, num_train // MIN_STEPS))
        if cfg.ste is None:
            cfg.ste = cfg.task == "regression"
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
        elif cfg.augment and image_shape is None:
            raise LgnError("--augment shifts images: it needs image data ([N, H, W] or [N, C, H, W] arrays, a "
                           "square flat image, or --image-shape)")
        if cfg.widths is None:
            cfg.widths = default_widths(base["layers"], base["width"], num_classes)
        cfg.widths = tuple(int(w) for w in cfg.widths)
        if cfg.group_size is not None and cfg.widths:
            cfg.widths = (*cfg.widths[:-1], num_classes * int(cfg.group_size))
        if cfg.tau is None:  # regression: (sum - g/2) / tau spans about +-4 standard deviations
            cfg.tau = max(1.0, cfg.widths[-1] // num_classes / 8)
        cfg.gate_anneal = tuple(float(v) for v in cfg.gate_anneal)
        cfg.conn_anneal = tuple(float(v) for v in cfg.conn_anneal)
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
        if self.interconnect != "learnable" and self.sampling != "none":
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
        if self.task not in TASKS:
            raise LgnError(f"unknown task {self.task!r}; expected {' or '.join(TASKS)}")
        if self.group_size is not None and self.group_size < 1:
            raise LgnError(f"--group-size must be at least 1, got {self.group_size}")
        for name in ("gate", "conn"):
            t0, t1, (a, b) = (getattr(self, f"{name}_temp"), getattr(self, f"{name}_temp_end"),
                              getattr(self, f"{name}_anneal"))
            if t0 <= 0 or (t1 is not None and t1 <= 0) or not 0 <= a <= b <= 1:
                raise LgnError(f"--{name}-temp: temperatures must be > 0 and the annealing range A:B "
                               f"fractions with 0 <= A <= B <= 1, got {t0}, {t1}, {a}:{b}")
        if self.weight_decay < 0:
            raise LgnError(f"--weight-decay must be >= 0, got {self.weight_decay}")
        if self.learn_thresholds and self.arch is not None:
            raise LgnError("--learn-thresholds: only dense networks (no --arch) learn their thresholds")
        if self.task == "regression" and self.arch is not None:
            raise LgnError("--task regression: only dense networks (no --arch)")


#: Per-dataset defaults, chosen so the plain command reaches the issue's quality bars.
DEFAULTS: dict[str, dict] = {
    "digits": dict(layers=3, width=500, epochs=100, batch_size=64, lr=0.02, tau=3.0, thresholds=3,
                   encoding="uniform"),
    "breast-cancer": dict(layers=2, width=200, epochs=100, batch_size=32, lr=0.02, tau=3.0, thresholds=4,
                          encoding="distributive"),
    "yinyang": dict(layers=2, width=100, epochs=200, batch_size=64, lr=0.02, tau=3.0, thresholds=32,
                    encoding="uniform"),
    "diabetes": dict(layers=2, width=128, epochs=100, batch_size=32, lr=0.01, thresholds=8, encoding="distributive"),
    "*": dict(layers=2, width=500, epochs=100, batch_size=128, lr=0.02, tau=3.0, thresholds=4,
              encoding="distributive"),
}


def default_widths(layers: int, width: int, num_classes: int,
                   group_size: int | None = DEFAULT_GROUP_SIZE) -> tuple[int, ...]:
    """``layers`` x ``width`` with the last layer rounded down to a multiple of the classes and
    at most ``group_size`` output bits per class (None: no cap)."""
    per = max(1, width // num_classes)
    if group_size is not None:
        per = min(per, int(group_size))
    return (width,) * (layers - 1) + (num_classes * per,)


def anneal(t: float, start: float, end: float | None, span: tuple[float, float]) -> float:
    """A temperature at run fraction ``t``: ``start`` until span[0], ``end`` from span[1],
    geometric (log-linear) in between; ``end`` None: ``start`` throughout."""
    a, b = span
    if end is None or t <= a:
        return float(start)
    if t >= b:
        return float(end)
    return float(start * (end / start) ** ((t - a) / (b - a)))


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
    regression: "Regression | None" = None  # task regression: how the sums map to targets
    train_state: dict | None = None         # the last epoch's state, optimizer and best (for --resume)
    warnings: list[str] = field(default_factory=list)

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


def set_temperatures(model: GateNet, cfg: TrainConfig, t: float) -> tuple[float, float]:
    """Set T_g on every gate softmax and T_c on every connection softmax for run fraction ``t``."""
    tg = anneal(t, cfg.gate_temp, cfg.gate_temp_end, cfg.gate_anneal)
    tc = anneal(t, cfg.conn_temp, cfg.conn_temp_end, cfg.conn_anneal)
    for m in model.modules():
        if isinstance(m, Gates):
            m.temperature, m.ste = tg, cfg.ste
        elif isinstance(m, interconnect.SoftmaxInterconnect):
            m.temperature, m.ste = tc, cfg.ste
    return tg, tc


def logic_gates(model: GateNet) -> int:
    """Gates of the discretized network whose op is neither a constant, a wire nor an inverter."""
    trivial = np.isin(np.arange(16), [0, 3, 5, 10, 12, 15])  # FALSE, A, B, NOT B, NOT A, TRUE
    return int(sum(np.count_nonzero(~trivial[m.hard_ops()]) for m in model.modules() if isinstance(m, Gates)))


@dataclass(frozen=True)
class Regression:
    """How a regression head's integer sums map to targets: y = y_mean + y_std (sum + beta) / tau."""

    beta: float
    tau: float
    y_mean: tuple[float, ...]
    y_std: tuple[float, ...]

    def predict(self, sums: np.ndarray) -> np.ndarray:
        return np.asarray(self.y_mean) + np.asarray(self.y_std) * (sums + self.beta) / self.tau

    def to_dict(self) -> dict:
        return {"beta": self.beta, "tau": self.tau, "y_mean": list(self.y_mean), "y_std": list(self.y_std)}


def r2_score(y: np.ndarray, pred: np.ndarray) -> float:
    y = y.reshape(len(y), -1)
    pred = pred.reshape(len(y), -1)
    den = ((y - y.mean(axis=0)) ** 2).sum()
    return float(1 - ((y - pred) ** 2).sum() / den) if den > 0 else float("nan")



def shift_flat(x: torch.Tensor, shape: tuple[int, int, int, int], max_shift: int,
               gen: torch.Generator) -> torch.Tensor:
    """``conv.shift`` on flat rows [B, C*H*W*T] whose bit (c*H*W + y*W + x)*T + t belongs to pixel
    (c, y, x); ``shape`` is (C, H, W, T). The dense networks' augmentation."""
    from .conv import shift

    c, h, w, per = shape
    b = x.shape[0]
    img = x.reshape(b, c, h, w, per).permute(0, 1, 4, 2, 3).reshape(b, c * per, h, w)
    img = shift(img, max_shift, gen)
    return img.reshape(b, c, per, h, w).permute(0, 1, 3, 4, 2).reshape(b, -1)

def train(cfg: TrainConfig, ds: Dataset, progress: bool = True, console=None, log=None,
          resume: dict | None = None) -> TrainResult:
    """Train; ``log(record)`` is called after every epoch (epoch, loss, soft_train, hard_train,
    hard_val, gap, t_g, t_c, seconds). ``resume``: a checkpoint's ``train_state`` (written with
    ``save_candidates``): training continues from its last epoch, state and optimizer."""
    cfg = cfg.resolved(ds.num_classes, ds.image_shape, len(ds.train))
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    dev = pick_device(cfg.device)
    model, thr, bits = build(cfg, ds)
    model = model.to(dev)
    regression = cfg.task == "regression"
    warn: list[str] = []
    therm = None
    if cfg.learn_thresholds:
        from .thermometer import LearnedThermometer

        therm = LearnedThermometer(thr, ds.train.X).to(dev)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    x_train = torch.as_tensor(ds.train.X if therm is not None else bits["train"], dtype=torch.float32, device=dev)
    reg = None
    if regression:
        y = ds.train.y.reshape(len(ds.train), -1).astype(np.float64)
        std = y.std(axis=0)
        g = cfg.widths[-1] // ds.num_classes
        reg = Regression(beta=-g / 2, tau=cfg.tau, y_mean=tuple(map(float, y.mean(axis=0))),
                         y_std=tuple(float(v) if v > 0 else 1.0 for v in std))
        y_train = torch.as_tensor((y - reg.y_mean) / reg.y_std, dtype=torch.float32, device=dev)
        loss_fn = nn.MSELoss()
    else:
        y_train = torch.as_tensor(ds.train.y, device=dev)
        loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    plan = phases(cfg)
    params = [*model.parameters(), *(therm.parameters() if therm is not None else [])]
    opt = (torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay) if cfg.weight_decay
           else torch.optim.Adam(params, lr=cfg.lr))
    wiring = [layer.interconnect for layer in model.layers]
    learnable = [w for w in wiring if isinstance(w, interconnect.LearnableInterconnect)]
    augment = None
    if cfg.augment:
        from .conv import shift

        if cfg.arch is not None:
            def augment(x):
                return shift(x, cfg.augment, gen)
        else:  # dense: bits (c*H*W + y*W + x)*T + t of images, or the features when thresholds learn
            augment = functools.partial(shift_flat, shape=(*ds.image_shape, 1 if therm is not None else cfg.thresholds),
                                        max_shift=cfg.augment, gen=gen)

    clock = CLOCKS[cfg.clock]
    start = clock()  # the time limit counts the training loop (with its validation), not the data encoding

    def out_of_time() -> bool:
        return cfg.time_limit is not None and clock() - start >= cfg.time_limit

    def snapshot() -> dict:
        return {"model": copy.deepcopy(model.state_dict()),
                "thermometer": copy.deepcopy(therm.state_dict()) if therm is not None else None}

    def current_bits() -> dict[str, np.ndarray]:
        if therm is None:
            return bits
        t = therm.thresholds()
        return {name: encoder.encode(getattr(ds, name).X, t) for name in ("train", "val", "test")}

    n_probe = min(n, 2048)  # hard train accuracy: on the first 2,048 training samples

    def score(b: np.ndarray, y: np.ndarray) -> float:
        """Hard (discretized) accuracy, or R^2 of a regression head."""
        if regression:
            return r2_score(y, reg.predict(model.hard_group_sums(b))) if len(y) else float("nan")
        return model.hard_accuracy(b, y)

    best = (-math.inf, 0, snapshot())
    history: list[dict] = []
    epoch = total = 0
    if resume is not None:
        try:
            model.load_state_dict(resume["model"])
            if therm is not None:
                therm.load_state_dict(resume["thermometer"])
            opt.load_state_dict(resume["optimizer"])
        except (KeyError, RuntimeError, ValueError, TypeError) as e:
            raise LgnError(f"--resume: the saved training state does not fit this configuration "
                           f"({str(e).splitlines()[0][:200]})") from None
        epoch = int(resume["epoch"])
        total = epoch * steps_per_epoch
        history = [dict(r) for r in resume.get("history", [])]
        best = (float(resume["best_score"]), int(resume["best_epoch"]),
                {"model": resume["best_model"], "thermometer": resume.get("best_thermometer")})
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    fmt = ".3f" if regression else ".1%"  # regression: soft = -MSE (standardized), hard = R^2
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TextColumn(f"loss {{task.fields[loss]:.3f}}  soft {{task.fields[soft]:{fmt}}}  hard(train) "
                              f"{{task.fields[htrain]:{fmt}}}  hard(val) {{task.fields[hard]:{fmt}}}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=console, disable=not progress)
    done_before = epoch
    with bar:
        task = bar.add_task(f"train {cfg.dataset}", total=cfg.epochs, completed=epoch, loss=float("nan"), soft=0.0,
                            hard=0.0, htrain=0.0)
        skip = epoch
        for phase_epochs, active in plan:
            if skip >= phase_epochs:  # resumed past this phase
                skip -= phase_epochs
                continue
            for w in learnable:
                w.weights.requires_grad_(active is None or active == wiring.index(w))
            sampled = [w for w in learnable if w.weights.requires_grad] if cfg.sampling != "none" else []
            step = 0
            for _ in range(phase_epochs - skip):
                if out_of_time():
                    break
                model.train()
                perm = torch.randperm(n, generator=gen).to(dev)
                tot_loss = tot_correct = 0.0
                seen = 0
                for lo in range(0, n, cfg.batch_size):
                    t = total / total_steps
                    if cfg.time_limit is not None:
                        # cosine decay over whichever runs out first, the epochs or the time
                        t = max(t, (clock() - start) / cfg.time_limit)
                        if t >= 1:
                            break
                    for group in opt.param_groups:
                        group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))
                    tg, tc = set_temperatures(model, cfg, t)
                    idx = perm[lo:lo + cfg.batch_size]
                    resample_now = bool(sampled) and step > 0 and step % cfg.resample_every == 0
                    for w in sampled:
                        w.probe = resample_now and cfg.sampling == "gradient"
                    xb = x_train[idx]
                    if augment:
                        xb = augment(xb)
                    scores = model(therm(xb) if therm is not None else xb)
                    if regression:
                        scores = scores + reg.beta / reg.tau
                    loss = loss_fn(scores, y_train[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    if resample_now:
                        resample(sampled, cfg, opt, gen)
                    step += 1
                    total += 1
                    seen += idx.numel()
                    tot_loss += float(loss.detach()) * idx.numel()
                    if not regression:
                        tot_correct += float((scores.argmax(1) == y_train[idx]).sum())
                if not seen:
                    break
                skip = 0
                epoch += 1
                b = current_bits()
                val = score(b["val"], ds.val.y)
                hard_train = score(b["train"][:n_probe], ds.train.y[:n_probe])
                soft = -tot_loss / seen if regression else tot_correct / seen
                rec = dict(epoch=epoch, loss=tot_loss / seen, soft_train=soft, hard_train=hard_train, hard_val=val,
                           gap=(soft - hard_train) if not regression else float("nan"), t_g=round(tg, 4),
                           t_c=round(tc, 4), seconds=round(time.perf_counter() - start_wall, 1),
                           cpu_seconds=round(time.process_time() - start_cpu, 1))
                history.append(rec)
                # on the hard validation figure; a tie keeps the later epoch (the early all-wire
                # network of the residual init often ties on easy data); with the layer-wise
                # schedule only the final (all wiring fixed) phase competes
                if val >= best[0] and (cfg.schedule == "joint" or active == -1):
                    best = (val, epoch, snapshot())
                bar.update(task, advance=1, loss=rec["loss"], soft=soft, hard=val, htrain=hard_train)
                if log is not None:
                    log(rec)
    last_state = None
    if epoch > done_before or resume is not None:
        last_state = {"epoch": epoch, **snapshot(), "optimizer": copy.deepcopy(opt.state_dict())}
    model.load_state_dict(best[2]["model"])
    if therm is not None:
        therm.load_state_dict(best[2]["thermometer"])
        thr = therm.thresholds()
    for w in learnable:
        w.probe, w.last_input, w.last_output = False, None, None
    model.eval()
    b = current_bits()
    test = score(b["test"], ds.test.y)
    if last_state is not None:
        last_state.update(best_score=best[0], best_epoch=best[1], best_model=best[2]["model"],
                          best_thermometer=best[2]["thermometer"], history=history)
    res = TrainResult(model, thr, cfg, ds.num_classes, best[0], test, time.perf_counter() - start_wall, str(dev),
                      best[1], history, time.process_time() - start_cpu, regression=reg, train_state=last_state)
    res.warnings.extend(warn + check_result(res, ds))
    return res


def check_result(res: TrainResult, ds: Dataset) -> list[str]:
    """Warnings about the kept network: (almost) no logic, a wide soft/hard gap, collapsed thresholds."""
    out = []
    gates, logic = res.gates, logic_gates(res.model)
    if logic <= max(1, gates // 100):
        out.append(f"the kept network (epoch {res.best_epoch}) has {logic} logic gates of {gates}: the rest are "
                   "wires, inverters or constants (more epochs, a lower --residual or a higher --lr may help)")
    rec = next((r for r in res.history if r["epoch"] == res.best_epoch), None)
    if rec is not None and rec["gap"] == rec["gap"] and rec["gap"] > 0.05:
        out.append(f"soft/hard gap of {100 * rec['gap']:.1f} points at the kept epoch {res.best_epoch} (soft train "
                   f"{rec['soft_train']:.2%}, hard train {rec['hard_train']:.2%}): anneal the temperatures "
                   "(--gate-temp-end, --conn-temp-end) or train with --ste")
    if res.config.arch is None:
        from .thermometer import collapse

        feats, wasted = collapse(ds.train.X, res.thresholds)
        if wasted:
            out.append(f"thresholds: {feats} of {res.thresholds.shape[0]} features have repeated or constant "
                       f"thermometer bits on the training data ({wasted} of {res.thresholds.size} input bits carry "
                       "nothing; fewer --thresholds, --encoding uniform or --learn-thresholds may help)")
    return out


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
