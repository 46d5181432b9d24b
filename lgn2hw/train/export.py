# SPDX-License-Identifier: MIT
"""A trained model as lgn2hw's native checkpoint (see frontends/native.py for the format).

The checkpoint holds the discretized network, exactly what the eval forward computes: per
layer the argmax wiring ``indices`` and argmax ``ops``, the encoder thresholds, the resolved
training config with the measured figures, and a held-out test sample so compile / verify /
prune have real vectors. A conv model adds its stages: per conv block the kernel trees as
layers over the window bits, per pool its geometry.
"""
from __future__ import annotations

import numpy as np

from ..frontends.native import make_checkpoint
from ..ir import atomic_write
from .data import Dataset
from .trainer import TrainResult, config_dict


def _dense_layers(layers) -> list[dict]:
    return [{"arity": 2,
             "indices": layer.interconnect.hard_indices().cpu().numpy().astype(np.int64),
             "ops": layer.hard_ops()}
            for layer in layers]


def _config(result: TrainResult) -> dict:
    config = config_dict(result.config)
    config["results"] = {"test_accuracy": result.test_accuracy, "val_accuracy": result.val_accuracy,
                         "best_epoch": result.best_epoch, "epochs_run": len(result.history),
                         "gates": result.gates, "seconds": round(result.seconds, 2),
                         "cpu_seconds": round(result.cpu_seconds, 2), "device": result.device}
    if result.regression is not None:
        config["regression"] = result.regression.to_dict()  # y = y_mean + y_std * (sum + beta) / tau
    return config


def to_checkpoint(result: TrainResult, ds: Dataset | None = None, sample: int = 256,
                  save_candidates: bool = False) -> dict:
    """The native checkpoint of a trained model: dense (version 1) or conv (version 2).

    ``save_candidates`` adds ``train_state``: the last epoch's full training state (candidate
    tensors and weights, op logits, thresholds, optimizer) and the best one's, for ``--resume``.
    """
    if result.config.arch is not None:
        ckpt = to_conv_checkpoint(result, ds, sample)
    else:
        data = None
        if ds is not None and sample > 0:
            n = min(sample, len(ds.test))
            y = ds.test.y[:n]
            # regression targets are not class labels: they travel as 'targets', not 'y'
            data = {"X": ds.test.X[:n].astype(np.float64),
                    **({"targets": y.astype(np.float64)} if result.regression is not None else
                       {"y": y.astype(np.int64)})}
        ckpt = make_checkpoint(result.thresholds.size, _dense_layers(result.model.layers), result.num_classes,
                               tau=result.config.tau, thresholds=result.thresholds, config=_config(result), data=data)
    if save_candidates and result.train_state is not None:
        ckpt["train_state"] = result.train_state
    return ckpt


def conv_stages(model) -> list[dict]:
    """The conv/pool stages of a ``conv.ConvNet`` as native stage dicts (hard ops, fixed wiring)."""
    from .conv import TreeConv

    stages = []
    for st in model.stages:
        if isinstance(st, TreeConv):
            s = st.spec
            stages.append({"type": "conv", "rf": s.rf, "stride": s.stride, "padding": s.pad,
                           "layers": st.layer_dicts()})
        else:
            p = st.spec
            stages.append({"type": "pool", "kernel": p.k, "stride": p.step, "padding": p.pad})
    return stages


def to_conv_checkpoint(result: TrainResult, ds: Dataset | None = None, sample: int = 64) -> dict:
    """A trained ``conv.ConvNet`` as a native conv checkpoint (``make_conv_checkpoint``).

    The stored sample holds at most ``sample`` test images as float [N, C, H, W] (float32 when
    that is exact).
    """
    from ..frontends.native import make_conv_checkpoint

    model = result.model
    shape = tuple(int(v) for v in ds.image_shape) if ds is not None else None
    if shape is None:
        c = result.thresholds.shape[0]
        shape = (c, model.in_shape[1], model.in_shape[2])
    data = None
    if ds is not None and sample > 0:
        n = min(sample, len(ds.test))
        X = ds.test.X[:n].reshape(n, *shape)
        # float32 halves the file; kept only when it holds the images exactly (e.g. 8-bit pixels)
        X = X.astype(np.float32) if np.array_equal(X.astype(np.float32), X) else X.astype(np.float64)
        data = {"X": X, "y": ds.test.y[:n].astype(np.int64)}
    return make_conv_checkpoint(shape, result.thresholds, conv_stages(model), _dense_layers(model.layers),
                                result.num_classes, tau=result.config.tau, config=_config(result), data=data)


def save(checkpoint: dict, path) -> None:
    import torch

    def write(tmp):
        torch.save(checkpoint, tmp)
    atomic_write(path, write)


def load_train_state(path) -> dict:
    """The ``train_state`` of a checkpoint written with ``save_candidates`` (for ``--resume``)."""
    import torch

    from ..errors import CheckpointError

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001  (any unreadable file: one line naming it)
        raise CheckpointError(path, f"cannot be read as a checkpoint ({str(e).splitlines()[0][:200]})") from None
    state = ckpt.get("train_state") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch", "best_model"} <= set(state):
        raise CheckpointError(path, "no 'train_state' to resume from (train it with --save-candidates)")
    return state
