# SPDX-License-Identifier: MIT
"""`lgn2hw train`: train a logic gate network and write a native checkpoint."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import LgnError


def parse_span(text: str, option: str) -> tuple[float, float]:
    """``A:B`` run fractions (0 <= A <= B <= 1)."""
    try:
        a, b = (float(v) for v in text.split(":"))
    except ValueError:
        raise LgnError(f"{option}: expected A:B fractions of the run like 0.67:0.83, got {text!r}") from None
    if not 0 <= a <= b <= 1:
        raise LgnError(f"{option}: expected 0 <= A <= B <= 1, got {text!r}")
    return a, b


def parse_widths(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise LgnError(f"--widths: expected comma-separated gate counts like 500,500,500, got {text!r}") from None
    return widths


@click.command()
@click.option("--dataset", required=True, metavar="NAME|PATH",
              help="digits, breast-cancer, yinyang, diabetes (regression), or an .npz with X (float [N, F], images "
                   "[N, H, W] or [N, C, H, W]) and y (int [N]; regression: float [N] or [N, K]).")
@click.option("--arch", default=None, metavar="SPEC",
              help="Convolutional LGN, e.g. 'conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32,d=3,rf=3,pad=1)-pool(2)"
                   "-dense(2000)-dense(1000)': logic-tree kernels (k kernels, depth d, rf x rf window, stride, "
                   "pad, ch = channels per kernel), OR pools, then dense layers. Needs image data.")
@click.option("--image-shape", default=None, metavar="[Cx]HxW",
              help="Read flat X rows as images (a square row count is read as 1 x s x s without it).")
@click.option("--task", type=click.Choice(["classification", "regression"]), default=None,
              help="regression: train the GroupSum outputs (sum + beta) / tau against real targets y [N] or "
                   "[N, K] with MSE; the compiled core outputs the integer sums, no argmax [classification; "
                   "regression for diabetes].")
@click.option("--split", "split_text", default=None, metavar="TRAIN,VAL,TEST",
              help="Split in file order: the first TRAIN rows, the next VAL, and the last TEST "
                   "[default: a random split, stratified by class, of --val-split and --test-split].")
@click.option("--val-split", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.1,
              show_default=True, help="Share of the data held out for validation (the best epoch is chosen on it).")
@click.option("--test-split", type=click.FloatRange(0, 1, max_open=True), default=0.2, show_default=True,
              help="Share of the data held out for the test figure (the rest trains: 70/10/20 by default).")
@click.option("--test-data", type=click.Path(exists=True, dir_okay=False), default=None, metavar="FILE",
              help="An .npz (X, y) that is the test set; the data set is split into train and validation only.")
@click.option("--augment", type=click.IntRange(0), default=0, show_default=True,
              help="Image data: shift every training image by a random offset of up to this many pixels.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop training after this many seconds (the learning rate decays over the time).")
@click.option("--clock", type=click.Choice(["wall", "cpu"]), default="wall", show_default=True,
              help="What --time-limit counts: wall-clock seconds, or this process's CPU seconds (fair when "
                   "other jobs share the cores).")
@click.option("--layers", type=click.IntRange(1), default=None, help="Number of logic layers (dataset default).")
@click.option("--width", type=click.IntRange(1), default=None,
              help="Gates per layer; the last layer is rounded down to a multiple of the classes.")
@click.option("--widths", "widths_text", default=None, metavar="W1,W2,...",
              help="Exact gates per layer (overrides --layers/--width); the last must divide into the classes.")
@click.option("--interconnect", type=click.Choice(["fixed", "learnable", "softmax"]), default="learnable",
              show_default=True,
              help="fixed random wiring; learnable (C candidates per input, gate sampling); softmax (a connection "
                   "softmax over N_c fixed candidates at temperature T_c, Mommen et al. 2025).")
@click.option("--sampling", type=click.Choice(["none", "uniform", "gradient"]), default=None,
              help="Gate sampling of new candidates [default: gradient when learnable].")
@click.option("--candidates", type=click.IntRange(1), default=8, show_default=True,
              help="C / N_c: candidate inputs per gate input slot (learnable, softmax; for softmax a value >= the "
                   "previous layer's width makes every output a candidate).")
@click.option("--gate-temp", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="T_g: temperature of the op softmax (logits / T_g).")
@click.option("--gate-temp-end", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Anneal T_g (geometrically) to this value over --gate-anneal [default: constant].")
@click.option("--gate-anneal", default="0.833:1", show_default=True, metavar="A:B",
              help="Fractions of the run (epochs, or the time limit) over which T_g falls.")
@click.option("--conn-temp", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="T_c: temperature of the connection softmax (--interconnect softmax).")
@click.option("--conn-temp-end", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Anneal T_c to this value over --conn-anneal [default: constant].")
@click.option("--conn-anneal", default="0.667:0.833", show_default=True, metavar="A:B",
              help="Fractions of the run over which T_c falls (the paper: epochs 160-200 of 240, then T_g 200-240).")
@click.option("--ste/--no-ste", default=None,
              help="Hard forward, soft backward (straight-through) for the op choice and the connection softmax; "
                   "with --gumbel the op choice is the argmax of Gumbel-perturbed logits [on for --task regression, "
                   "whose sums must be the hard ones; else off].")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Decoupled weight decay (AdamW).")
@click.option("--learn-thresholds", is_flag=True,
              help="Train the thermometer thresholds (straight-through sigmoid); the checkpoint's encoder holds them.")
@click.option("--group-size", type=click.IntRange(1), default=None,
              help="Output bits per class (the last layer is classes x this; the GroupSum adders grow with it) "
                   f"[--width/--layers: at most {64}].")
@click.option("--resample", type=click.IntRange(0), default=None, help="R: weakest candidates replaced per round [C/2].")
@click.option("--resample-every", type=click.IntRange(1), default=20, show_default=True,
              help="beta: training steps between gate sampling rounds.")
@click.option("--schedule", type=click.Choice(["joint", "layerwise"]), default="joint", show_default=True,
              help="layerwise: learn one layer's wiring at a time, then fine-tune gates with wiring fixed.")
@click.option("--epochs", type=click.IntRange(1), default=None)
@click.option("--batch-size", type=click.IntRange(1), default=None)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None, help="Adam learning rate (cosine decay).")
@click.option("--tau", type=click.FloatRange(min=0, min_open=True), default=None, help="GroupSum temperature.")
@click.option("--thresholds", type=click.IntRange(1), default=None, help="Thermometer thresholds per feature.")
@click.option("--encoding", type=click.Choice(["uniform", "distributive"]), default=None,
              help="Threshold placement: evenly spaced or per-feature quantiles.")
@click.option("--residual", type=float, default=0.9, show_default=True,
              help="Initial probability of the pass-through op A (0 = random init).")
@click.option("--gumbel", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Gumbel-softmax temperature for op sampling while training (0 = off).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="torch CPU threads. These small nets are dominated by per-op overhead, and on a busy "
                   "machine extra threads spin: 2 threads were 20x slower than 1 here.")
@click.option("--sample", type=click.IntRange(0), default=None,
              help="Held-out test samples stored in the checkpoint for compile/verify [256; conv: 64].")
@click.option("--save-candidates", is_flag=True,
              help="Also store the full training state (candidate tensors and weights, op logits, thresholds, "
                   "optimizer) so --resume can continue.")
@click.option("--resume", "resume_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Continue training from a checkpoint written with --save-candidates (same options; --epochs "
                   "is the total).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Checkpoint to write (.pt).")
def train(dataset, arch, image_shape, task, split_text, val_split, test_split, test_data, augment, time_limit, clock,
          layers, width, widths_text, interconnect, sampling, candidates, gate_temp, gate_temp_end, gate_anneal,
          conn_temp, conn_temp_end, conn_anneal, ste, weight_decay, learn_thresholds, group_size, resample,
          resample_every, schedule, epochs, batch_size, lr, tau, thresholds, encoding, residual, gumbel, seed, device,
          threads, sample, save_candidates, resume_path, quiet, out_path):
    """Train a logic gate network and write an lgn2hw checkpoint that compiles unchanged.

    Dataset defaults (epochs, learning rate, tau, thresholds, layer sizes) are tuned per
    built-in dataset; every flag overrides them. The summary gives the hard (discretized)
    test accuracy, which is what the compiled hardware computes.

    \b
    Example:
      lgn2hw train --dataset digits --out digits.pt
      lgn2hw train --dataset yinyang --layers 2 --width 100 --interconnect learnable --out m.pt
      lgn2hw train --dataset mydata.npz --widths 1000,1000,990 --interconnect fixed --out m.pt
      lgn2hw train --dataset yinyang --widths 500,498 --interconnect softmax --candidates 16 --residual 0 \\
          --tau 8 --thresholds 200 --epochs 150 --conn-temp-end 0.1 --gate-temp-end 0.1 --out yy.pt
      lgn2hw train --dataset diabetes --interconnect softmax --candidates 16 --out reg.pt   (regression)
      lgn2hw train --dataset mnist8k.npz --split 6000,1000,1000 --augment 2 --thresholds 2 \\
          --arch "conv(k=16,d=3,rf=3,pad=1)-pool(2)-conv(k=32,d=3,rf=3,pad=1)-pool(2)-dense(2000)-dense(1000)" \\
          --out mnist_conv.pt
    """
    from ..outputs import check_outputs
    check_outputs({"--out": out_path}, inputs=[dataset if Path(dataset).exists() else None, test_data, resume_path])
    spans = parse_span(gate_anneal, "--gate-anneal"), parse_span(conn_anneal, "--conn-anneal")
    import torch
    from rich.console import Console

    from ..train import arch as arch_mod
    from ..train import data, export, trainer

    console = Console(stderr=True)
    if arch is not None:
        arch_mod.parse(arch)  # a bad spec fails before the data loads
    ds = data.load_dataset(dataset, seed=seed, val_fraction=val_split, test_fraction=test_split,
                           image_shape=data.parse_image_shape(image_shape), sizes=data.parse_split(split_text),
                           task=task, test_data=test_data)
    resume = export.load_train_state(resume_path) if resume_path else None
    base = trainer.DEFAULTS.get(ds.name if dataset in data.BUILTIN else "*", trainer.DEFAULTS["*"])
    widths = parse_widths(widths_text)
    if widths is None and (layers is not None or width is not None):
        widths = trainer.default_widths(layers or base["layers"], width or base["width"], ds.num_classes)
    cfg = trainer.TrainConfig(
        dataset=ds.name if dataset in data.BUILTIN else dataset, widths=widths, interconnect=interconnect,
        sampling=sampling, candidates=candidates, resample=resample, resample_every=resample_every,
        schedule=schedule, epochs=epochs, batch_size=batch_size, lr=lr, tau=tau, thresholds=thresholds,
        encoding=encoding, residual=residual if residual > 0 else None, gumbel=gumbel, seed=seed, device=device,
        arch=arch, augment=augment, time_limit=time_limit, clock=clock, task=ds.task, group_size=group_size,
        gate_temp=gate_temp, gate_temp_end=gate_temp_end, gate_anneal=spans[0], conn_temp=conn_temp,
        conn_temp_end=conn_temp_end, conn_anneal=spans[1], ste=ste, weight_decay=weight_decay,
        learn_thresholds=learn_thresholds)
    torch.manual_seed(seed)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        lines = not quiet and not console.is_terminal  # a log file gets one plain line per epoch, not a bar

        def log(r):
            if ds.task == "regression":
                figures = f"soft(train) MSE {-r['soft_train']:.4f}  hard(train) R2 {r['hard_train']:.4f}  " \
                          f"hard(val) R2 {r['hard_val']:.4f}"
            else:
                figures = f"soft(train) {r['soft_train']:.2%}  hard(train) {r['hard_train']:.2%}  " \
                          f"hard(val) {r['hard_val']:.2%}  gap {100 * r['gap']:+.1f}"
            console.print(f"epoch {r['epoch']}: loss {r['loss']:.4f}  {figures}  T_g {r['t_g']:.3g} T_c {r['t_c']:.3g}"
                          f"  {r['seconds']:.0f} s ({r['cpu_seconds']:.0f} CPU s)", highlight=False)
        res = trainer.train(cfg, ds, progress=not quiet and not lines, console=console, log=log if lines else None,
                            resume=resume)
    finally:
        torch.set_num_threads(before)
    if sample is None:
        sample = 64 if arch is not None else 256
    export.save(export.to_checkpoint(res, ds, sample, save_candidates=save_candidates), out_path)
    c = res.config
    wiring = f"{c.interconnect} interconnect" + (
        f" (C={c.candidates}, sampling {c.sampling})" if c.interconnect == "learnable" else
        f" (N_c={c.candidates}, T_c {c.conn_temp:g}" + (f" -> {c.conn_temp_end:g}" if c.conn_temp_end else "") + ")"
        if c.interconnect == "softmax" else "")
    if c.gate_temp_end or c.gate_temp != 1 or c.ste:
        wiring += f", T_g {c.gate_temp:g}" + (f" -> {c.gate_temp_end:g}" if c.gate_temp_end else "") + \
            (", straight-through" if c.ste else "")
    if c.arch is not None:
        console.print(f"[bold]{ds.name}[/bold]: {c.arch} = {res.gates} gates "
                      f"({res.model.unrolled_gates()} unrolled), dense {wiring}")
    else:
        console.print(f"[bold]{ds.name}[/bold]: {len(c.widths)} layers {list(c.widths)} = {res.gates} gates, "
                      + wiring)
    ran = res.history[-1]["epoch"] if res.history else 0
    stopped = f", stopped by the time limit after {ran}" if ran < c.epochs else ""
    console.print(f"data: {ds.describe_split()}"
                  + (f" (test: {test_data})" if test_data else f" (--split {split_text})" if split_text
                     else "" if dataset == "yinyang" else
                     f" (random split, --val-split {val_split:g}, --test-split {test_split:g})"), highlight=False)
    kept = next((r for r in res.history if r["epoch"] == res.best_epoch), None)
    if ds.task == "regression":
        console.print(f"hard test R2 [bold]{res.test_accuracy:.4f}[/bold] ({len(ds.test)} samples), validation R2 "
                      f"{res.val_accuracy:.4f} (epoch {res.best_epoch}/{c.epochs}{stopped}); sums-only head, "
                      f"y = {res.regression.y_mean[0]:.4g} + {res.regression.y_std[0]:.4g} * (sum "
                      f"{res.regression.beta:+g}) / {res.regression.tau:g}; "
                      f"{res.seconds:.1f} s on {res.device} ({res.cpu_seconds:.1f} CPU s)")
    else:
        gap = (f"; at that epoch soft train {kept['soft_train']:.2%}, hard train {kept['hard_train']:.2%} "
               f"(gap {100 * kept['gap']:+.1f} points)") if kept else ""
        console.print(f"hard test accuracy [bold]{res.test_accuracy:.2%}[/bold] ({len(ds.test)} samples), "
                      f"hard validation {res.val_accuracy:.2%} (best epoch {res.best_epoch}/{c.epochs}{stopped}){gap}; "
                      f"{res.seconds:.1f} s on {res.device} ({res.cpu_seconds:.1f} CPU s)")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    click.echo(f"wrote {Path(out_path)}")
