# SPDX-License-Identifier: MIT
"""A trained model as lgn2hw's native checkpoint (see frontends/native.py for the format).

The checkpoint holds the discretized network, exactly what the eval forward computes: per
layer the argmax wiring ``indices`` and argmax ``ops``, the encoder thresholds, the resolved
training config with the measured figures, and a held-out test sample so compile / verify /
prune have real vectors.
"""
from __future__ import annotations

import numpy as np

from ..frontends.native import make_checkpoint
from ..ir import atomic_write
from .data import Dataset
from .trainer import TrainResult, config_dict


def to_checkpoint(result: TrainResult, ds: Dataset | None = None, sample: int = 256) -> dict:
    layers = [{"arity": 2,
               "indices": layer.interconnect.hard_indices().cpu().numpy().astype(np.int64),
               "ops": layer.hard_ops()}
              for layer in result.model.layers]
    config = config_dict(result.config)
    config["results"] = {"test_accuracy": result.test_accuracy, "val_accuracy": result.val_accuracy,
                         "best_epoch": result.best_epoch, "gates": result.gates,
                         "seconds": round(result.seconds, 2), "device": result.device}
    data = None
    if ds is not None and sample > 0:
        n = min(sample, len(ds.test))
        data = {"X": ds.test.X[:n].astype(np.float64), "y": ds.test.y[:n].astype(np.int64)}
    return make_checkpoint(result.thresholds.size, layers, result.num_classes, tau=result.config.tau,
                           thresholds=result.thresholds, config=config, data=data)


def save(checkpoint: dict, path) -> None:
    import torch

    def write(tmp):
        torch.save(checkpoint, tmp)
    atomic_write(path, write)
