# SPDX-License-Identifier: MIT
"""Size limits for untrusted files, applied to what a file *declares* before anything is read.

A few kilobytes can declare gigabytes: a zip entry deflated from zeros, an ``.npy`` header with
a huge shape, a tensor expanded from a one-element storage with stride 0, a label of 10**6
(one-hot to a million classes). Every such size is checked here against a limit sized for
networks of 10**7 gates, and refused with one line naming the file and the entry.

The limits are module constants (no global state changes them); tests pass smaller ones.
"""
from __future__ import annotations

import zipfile
import zlib

import numpy as np

from .errors import LgnError

#: Elements in one array or tensor: 10**7 gates x 16 op logits, with room for candidates.
MAX_ELEMENTS = 1 << 28
#: Declared uncompressed bytes of all entries of one archive (.pt or .npz).
MAX_ARCHIVE_BYTES = 1 << 31
#: Entries of one archive.
MAX_ARCHIVE_ENTRIES = 100_000
#: An expanded tensor (stride 0, more elements than its storage) larger than this is refused.
MAX_EXPANDED_ELEMENTS = 1 << 16
#: Classes of a label set (labels are dense 0..C-1).
MAX_CLASSES = 1000
#: Input bits of a network.
MAX_INPUTS = 1 << 24
#: Python objects visited when checking a loaded checkpoint (shared references count once).
MAX_OBJECTS = 1_000_000


def _fail(path, problem: str, error=LgnError):
    if error is LgnError:
        return LgnError(f"{path}: {problem}")
    return error(path, problem)


def check_zip(path, error=LgnError, max_bytes: int = MAX_ARCHIVE_BYTES, verify_crc: bool = True) -> None:
    """Bounded checks of a zip archive (.pt, .npz) before it is loaded: entry count, declared
    uncompressed size, and every entry's CRC-32 (torch.load never checks them, so one flipped
    byte in a tensor storage or in data.pkl would load a different network)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise _fail(path, f"archive has {len(infos):,} entries, more than the limit of "
                                  f"{MAX_ARCHIVE_ENTRIES:,}", error)
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                big = max(infos, key=lambda i: i.file_size)
                raise _fail(path, f"archive declares {total:,} bytes uncompressed ({big.filename!r}: "
                                  f"{big.file_size:,}), more than the limit of {max_bytes:,}", error)
            if verify_crc:
                for info in infos:
                    _check_entry(zf, info, path, error)
    except zipfile.BadZipFile as e:
        raise _fail(path, f"corrupt or truncated zip archive ({e})", error) from None
    except LgnError:
        raise
    except Exception as e:  # zipfile raises many kinds on damaged archives (encrypted: RuntimeError)
        raise _fail(path, f"unreadable zip archive ({type(e).__name__}: {e})", error) from None


def _check_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path, error) -> None:
    try:
        with zf.open(info) as fh:  # reads in blocks; raises BadZipFile at the end on a CRC mismatch
            while fh.read(1 << 20):
                pass
    except (zipfile.BadZipFile, zlib.error) as e:
        raise _fail(path, f"corrupt entry {info.filename!r} ({e}): the file was damaged after it "
                          f"was written", error) from None
    except Exception as e:  # unsupported compression (NotImplementedError), encryption (RuntimeError), ...
        raise _fail(path, f"unreadable entry {info.filename!r} ({type(e).__name__}: {e})", error) from None


def npz_headers(path, max_elements: int = MAX_ELEMENTS) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array of an .npz from the .npy headers alone; refuses object
    arrays and arrays over ``max_elements`` before any data is read."""
    out = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    shape, _fortran, dtype = _read_header(fh, version)
                if dtype.hasobject:
                    raise LgnError(f"{path}: array {name!r} holds Python objects; lgn2hw reads only numbers")
                n = _numel(shape)
                if n > max_elements:
                    raise LgnError(f"{path}: array {name!r} declares shape {list(shape)} ({n:,} elements), "
                                   f"more than the limit of {max_elements:,}")
                out[name] = (tuple(shape), dtype)
    except zipfile.BadZipFile as e:
        raise LgnError(f"{path}: corrupt or truncated .npz ({e})") from None
    except LgnError:
        raise
    except Exception as e:  # damaged headers and entries raise many kinds (zlib.error, NotImplementedError, ...)
        raise LgnError(f"{path}: not a readable .npz file ({type(e).__name__}: {str(e)[:120]})") from None
    return out


def _read_header(fh, version):
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    read = getattr(np.lib.format, "_read_array_header", None)
    if read is None:
        raise ValueError(f"unsupported .npy format version {version}")
    return read(fh, version)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def check_elements(n: int, where: str, path, error=LgnError, max_elements: int = MAX_ELEMENTS) -> None:
    if n > max_elements:
        raise _fail(path, f"{where}: {n:,} elements, more than the limit of {max_elements:,}", error)


def check_tensors(obj, path, error=LgnError, max_elements: int = MAX_ELEMENTS,
                  max_objects: int = MAX_OBJECTS) -> None:
    """Walk a loaded checkpoint (dicts, lists, tuples, records) and refuse tensors larger than
    ``max_elements`` or expanded beyond their storage (stride 0) past ``MAX_EXPANDED_ELEMENTS``:
    a small file must not turn into gigabytes when a frontend copies the tensor.
    Iterative; an object met twice (shared in the pickle) is visited once."""
    import torch

    stack, seen, total = [("", obj)], set(), 0
    while stack:
        where, o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if len(seen) > max_objects:
            raise _fail(path, f"more than {max_objects:,} objects in the checkpoint", error)
        if isinstance(o, torch.Tensor):
            n = o.numel()
            check_elements(n, where or "tensor", path, error, max_elements)
            if n > MAX_EXPANDED_ELEMENTS and o.layout == torch.strided:
                stored = o.untyped_storage().nbytes() // max(1, o.element_size())
                if n > stored:
                    raise _fail(path, f"{where or 'tensor'}: shape {list(o.shape)} ({n:,} elements) is expanded "
                                      f"from a storage of {stored:,} (stride {list(o.stride())}); "
                                      f"lgn2hw reads only tensors stored in full", error)
            total += n
            check_elements(total, "all tensors together", path, error, 2 * max_elements)
        elif isinstance(o, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in o.items())
        elif isinstance(o, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(o))
        elif hasattr(o, "attrs") and isinstance(getattr(o, "attrs"), dict):  # safe_pickle.Record
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in o.attrs.items())


def check_labels(y: np.ndarray, where: str, path=None, max_classes: int = MAX_CLASSES) -> int:
    """Labels are integers in 0..C-1 with C <= max_classes; returns C (= max + 1)."""
    prefix = f"{path}: " if path is not None else ""
    y = np.asarray(y)
    if y.ndim != 1:
        raise LgnError(f"{prefix}{where}: expected labels [N], got shape {list(y.shape)}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise LgnError(f"{prefix}{where}: labels must be whole numbers")
    elif y.dtype.kind not in "iub":
        raise LgnError(f"{prefix}{where}: labels must be integers, got {y.dtype}")
    if y.size == 0:
        return 0
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= max_classes:
        raise LgnError(f"{prefix}{where}: labels must be in 0..{max_classes - 1}, got {lo}..{hi}")
    return hi + 1


def whole_number(value, where: str, path=None, lo: int = 0, hi: int = MAX_ELEMENTS, error=LgnError) -> int:
    """``value`` as an int in lo..hi: an integer (numpy and 0-d tensors too) or a float with no
    fraction; refuses bools, strings, 120.5, NaN, lists, with one line naming ``where``."""
    def fail(problem):
        return _fail(path, f"{where}: {problem}", error) if path is not None else LgnError(f"{where}: {problem}")

    v = value
    if hasattr(v, "shape") and hasattr(v, "item") and tuple(v.shape) == ():
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise fail(f"expected a whole number, got {type(value).__name__} {_short(value)}")
    if isinstance(v, (float, np.floating)) and (not np.isfinite(v) or not float(v).is_integer()):
        raise fail(f"expected a whole number, got {v!r}")
    n = int(v)
    if not lo <= n <= hi:
        raise fail(f"{n} out of range {lo}..{hi:,}")
    return n


def _short(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 40 else text[:37] + "..."
