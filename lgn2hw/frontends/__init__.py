# SPDX-License-Identifier: MIT
"""Checkpoint frontends: every supported format becomes one ``Netlist``.

``load_model(path)`` reads a file once, detects its format (or takes ``fmt``) and hands the
loaded object to that format's converter. Frontends are the only code that imports torch.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CheckpointError, LgnError, LgnWarning
from ..ir import Netlist, NetlistError
from .. import ir

# format name -> module (imported lazily); each module defines
#   matches(obj) -> bool   and   convert(obj, path, **options) -> Imported
FRONTENDS: dict[str, str] = {
    "native": "lgn2hw.frontends.native",
    "difflogic": "lgn2hw.frontends.difflogic",
    "torchlogix": "lgn2hw.frontends.torchlogix",
    "torch_dwn": "lgn2hw.frontends.torch_dwn",
}


@dataclass
class Imported:
    """A loaded model: its netlist plus whatever else the checkpoint carried."""

    netlist: Netlist
    format: str
    data: dict = field(default_factory=dict)  # optional samples: "X" float [N,F] / "bits" uint8 [N,I], "y" int [N]
    config: dict = field(default_factory=dict)
    conv: "ConvModel | None" = None  # a conv model keeps its stages here; ``netlist`` is its unroll()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_checkpoint(path):
    """torch.load with weights_only=True; an object that needs code execution is refused.

    Files torch refuses (full-model pickles of peer libraries) go through the restricted
    unpickler (frontends/safe_pickle.py): peer classes become inert records, any other
    global is refused by name, nothing from the file ever runs.
    """
    import pickle
    import zipfile

    import torch

    from .. import limits
    from . import safe_pickle

    try:
        is_zip = zipfile.is_zipfile(path)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except OSError as e:
        raise CheckpointError(path, f"cannot read ({e.strerror or e})") from None
    except zipfile.BadZipFile as e:  # is_zipfile itself raises on some damaged directories
        raise CheckpointError(path, f"corrupt or truncated zip archive ({e})") from None
    if is_zip:  # before torch sees it: bounded sizes, and every CRC (torch checks none)
        limits.check_zip(path, CheckpointError)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except IsADirectoryError:
        raise CheckpointError(path, "is a directory, expected a checkpoint file") from None
    except pickle.UnpicklingError:
        obj = safe_pickle.load(path)
    except MemoryError:
        raise CheckpointError(path, "too large to load (out of memory)") from None
    except Exception as e:  # torch raises many types on truncated or foreign files
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(path, f"not a readable torch checkpoint ({msg[:200]})") from None
    limits.check_tensors(obj, path, CheckpointError)
    return obj


def load_model(path, fmt: str | None = None, **options) -> Imported:
    """Load a checkpoint or a saved netlist (.npz) into an ``Imported``."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such file")
    if path.is_dir():
        raise CheckpointError(path, "is a directory, expected a checkpoint file")
    if fmt == "netlist" or (fmt is None and (path.suffix == ".npz" or ir.is_netlist_file(path))):
        try:
            header, arrays = ir.read_npz(path)
            if header.get("kind") == "conv":
                from .. import conv
                model = conv.from_npz(header, arrays, path)
                imported = Imported(model.unroll(), "netlist", conv=model)
            else:
                imported = Imported(ir.from_npz(header, arrays, path), "netlist")
        except NetlistError as e:
            raise CheckpointError(path, str(e).removeprefix(f"{path}: ")) from None
        _warn_unused(path, "netlist", options, ())
        return imported
    if fmt is not None and fmt not in FRONTENDS:
        raise CheckpointError(path, f"unknown format {fmt!r}; known: {', '.join(['netlist', *FRONTENDS])}")
    obj = read_checkpoint(path)
    names = [fmt] if fmt else list(FRONTENDS)
    for name in names:
        mod = importlib.import_module(FRONTENDS[name])
        if fmt or mod.matches(obj):
            _warn_unused(path, name, options, inspect.signature(mod.convert).parameters)
            try:
                imported = mod.convert(obj, path, **options)
            except NetlistError as e:
                raise CheckpointError(path, f"{name} checkpoint describes an invalid network: {e}") from None
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, RuntimeError) as e:
                # a field of a type no check foresaw: still one line naming the file, never a traceback
                msg = " ".join(str(e).split())[:160]
                raise CheckpointError(path, f"malformed {name} checkpoint ({type(e).__name__}: {msg})") from None
            if imported.data:
                from ..datafile import check_samples
                try:
                    imported.data = check_samples(imported.data, imported.netlist, path, prefix="data.")
                except LgnError as e:
                    raise CheckpointError(path, str(e).removeprefix(f"{path}: ")) from None
            prov = dict(imported.netlist.provenance)
            prov.setdefault("format", name)
            prov.setdefault("file", path.name)
            prov.setdefault("sha256", sha256_file(path))
            imported.netlist = imported.netlist.replace(provenance=prov)
            return imported
    raise CheckpointError(path, f"not a known LGN checkpoint (tried {', '.join(names)}); "
                                f"top-level object is {_describe(obj)}")


def _warn_unused(path, fmt: str, options: dict, accepted) -> None:
    """A load option the format does not read (``--classes`` for a checkpoint that stores its
    classes) would be ignored without a word: say so."""
    for key, value in options.items():
        if value is not None and key not in accepted:
            warnings.warn(f"{path}: --{key} does not apply to a {fmt} file (it stores what it needs); ignored",
                          LgnWarning, stacklevel=3)


def _describe(obj) -> str:
    if isinstance(obj, dict):
        keys = list(obj)[:8]
        return f"a dict with keys {keys}{'...' if len(obj) > 8 else ''}"
    return type(obj).__name__


def to_numpy(value, path, key: str, dtype=None, ndim: int | None = None) -> np.ndarray:
    """A tensor/array from a checkpoint as numpy, with a clear error naming the key."""
    try:
        import torch
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise CheckpointError(path, f"{key}: expected an array, got {type(value).__name__} ({e})") from None
    if ndim is not None and arr.ndim != ndim:
        raise CheckpointError(path, f"{key}: expected {ndim} dimensions, got shape {list(arr.shape)}")
    return arr
