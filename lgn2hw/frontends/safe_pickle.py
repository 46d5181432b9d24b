# SPDX-License-Identifier: MIT
"""Read full-model pickles (``torch.save(model)``) without executing anything from the file.

Peer libraries (difflogic, torchlogix, torch_dwn) are often shared as full pickles of their
``nn.Module`` classes. ``torch.load(weights_only=True)`` refuses them and ``weights_only=False``
would run whatever the file asks for. This unpickler resolves only:

* tensor storages and the torch tensor-rebuild functions (reimplemented here: nothing from
  ``torch._utils`` is called), ``torch.Size``/``torch.device``/dtypes;
* plain containers (``OrderedDict``, ``set``, ``frozenset``);
* classes of the peer libraries and of ``torch.nn.modules``, which become inert ``Record``
  objects holding their pickled state (tensors, attributes, child modules). No method, no
  ``__init__``/``__setstate__`` of the real class runs, and the class is never imported.

Any other global (``os.system``, ``builtins.eval``, ...) raises ``CheckpointError`` naming
the file and the global.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict

from ..errors import CheckpointError

#: Module prefixes whose classes become inert records.
RECORD_PREFIXES = ("difflogic", "torchlogix", "torch_dwn", "torch.nn.modules")

# legacy storage class name -> dtype name (torch.<name>)
_STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "UntypedStorage": "uint8",
}
_DTYPE_NAMES = {"float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                "uint8", "bool", "double", "float", "half", "long", "int", "short"}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Record:
    """An inert stand-in for an object of a class from a peer library.

    ``qualname`` is the class the file named (``"difflogic.difflogic.LogicLayer"``), ``args``
    what the pickle passed to its constructor, ``attrs`` its pickled ``__dict__``. For an
    ``nn.Module`` the parameters, buffers and children are in ``attrs['_parameters']`` etc.;
    ``get`` looks a name up in all of them.
    """

    qualname = "?"

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.args = args
        obj.attrs = {}
        return obj

    def __init__(self, *args, **kwargs):  # REDUCE calls cls(*args): keep the record inert
        pass

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            state = {**(state[0] or {}), **state[1]}  # (dict, slots) form
        if isinstance(state, dict):
            self.attrs.update(state)
        else:
            self.attrs["__state__"] = state

    @property
    def class_name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def is_module(self) -> bool:
        return "_modules" in self.attrs or "_parameters" in self.attrs

    def children(self) -> list[tuple[str, "Record"]]:
        mods = self.attrs.get("_modules") or {}
        return [(name, m) for name, m in mods.items() if m is not None]

    def get(self, name: str, default=None):
        """A parameter, buffer, child module or plain attribute, in that order."""
        for group in ("_parameters", "_buffers", "_modules"):
            d = self.attrs.get(group)
            if isinstance(d, dict) and d.get(name) is not None:
                return d[name]
        return self.attrs.get(name, default)

    def __repr__(self) -> str:
        return f"<record of {self.qualname}>"


def module_sequence(root, units=()) -> list[tuple[str, Record]]:
    """The modules a forward pass runs, in order: leaves of the module tree, except that a
    record whose class name is in ``units`` (a layer with helper sub-modules) is kept whole.
    Iterative, and a record met twice (a cycle in the pickle's memo) is visited once."""
    out, seen, stack = [], set(), [("", root)]
    while stack:
        name, rec = stack.pop()
        if not isinstance(rec, Record) or id(rec) in seen:
            continue
        seen.add(id(rec))
        children = rec.children()
        if rec.class_name in units or not children:
            out.append((name, rec))
        else:
            stack.extend((f"{name}.{child}" if name else child, m) for child, m in reversed(children))
    return out


def contains_class(obj, module_prefix: str) -> bool:
    """Does a loaded object (record tree, or dict of them) hold a class from module_prefix?"""
    stack, seen = [obj], 0
    while stack and seen < 100_000:
        o = stack.pop()
        seen += 1
        if isinstance(o, Record):
            if o.qualname.startswith(module_prefix + "."):
                return True
            stack.extend(o.attrs.values())
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
    return False


class _StorageType:
    def __init__(self, dtype_name: str):
        self.dtype_name = dtype_name


class _TensorClass:
    """Marker for torch.Tensor / nn.Parameter named in a pickle (only used as an argument)."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh, path, zf: zipfile.ZipFile | None, prefix: str):
        super().__init__(fh)
        self._path, self._zf, self._prefix = path, zf, prefix
        self._records: dict[str, type] = {}
        self._storages: dict[str, object] = {}

    # ---- globals
    def find_class(self, module, name):
        import torch

        qual = f"{module}.{name}"
        if module in ("torch._utils", "torch._tensor"):
            fn = _REBUILDERS.get(name)
            if fn is not None:
                return fn
        elif module == "torch":
            if name in _STORAGE_DTYPES:
                return _StorageType(_STORAGE_DTYPES[name])
            if name == "Size":
                return torch.Size
            if name == "device":
                return torch.device
            if name in _DTYPE_NAMES:
                return getattr(torch, name)
            if name == "Tensor":
                return _TensorClass
        elif qual == "torch.nn.parameter.Parameter":
            return _TensorClass
        elif qual == "collections.OrderedDict":
            return OrderedDict
        elif module in ("builtins", "__builtin__") and name in ("set", "frozenset"):
            return {"set": set, "frozenset": frozenset}[name]
        elif qual == "copyreg._reconstructor":
            return _reconstructor
        elif any(module == p or module.startswith(p + ".") for p in RECORD_PREFIXES):
            cls = self._records.get(qual)
            if cls is None:
                cls = type(name, (Record,), {"qualname": qual, "__module__": __name__})
                self._records[qual] = cls
            return cls
        raise CheckpointError(self._path, f"the pickle asks for {qual!r}, which lgn2hw never loads "
                                          f"(only tensors, containers and classes of "
                                          f"{', '.join(RECORD_PREFIXES)} are read, as inert data)")

    # ---- tensor storages of the zip format
    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise CheckpointError(self._path, f"unsupported persistent id {str(pid)[:60]!r}")
        if self._zf is None:
            raise CheckpointError(self._path, "a tensor storage outside a torch zip checkpoint")
        _, stype, key, _location, numel = pid[:5]
        if not isinstance(stype, _StorageType):
            raise CheckpointError(self._path, f"unknown storage type {stype!r}")
        key = str(key)
        if key not in self._storages:
            self._storages[key] = self._read_storage(key, stype.dtype_name, numel)
        return self._storages[key]

    def _read_storage(self, key: str, dtype_name: str, numel):
        import torch

        dtype = getattr(torch, dtype_name)
        try:
            raw = self._zf.read(f"{self._prefix}data/{key}")
        except KeyError:
            raise CheckpointError(self._path, f"tensor storage data/{key} is missing from the archive") from None
        itemsize = torch.empty((), dtype=dtype).element_size()
        if not isinstance(numel, int) or numel < 0 or len(raw) < numel * itemsize:
            raise CheckpointError(self._path, f"tensor storage data/{key} holds {len(raw)} bytes, "
                                              f"expected {numel} x {itemsize}")
        if numel == 0:
            return torch.empty(0, dtype=dtype)
        return torch.frombuffer(bytearray(raw[:numel * itemsize]), dtype=dtype)


def _reconstructor(cls, base, state):
    if isinstance(cls, type) and issubclass(cls, Record):
        return cls.__new__(cls)
    raise pickle.UnpicklingError(f"copyreg._reconstructor of {cls!r}")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    import torch

    from .. import limits

    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if not isinstance(storage, torch.Tensor) or len(size) != len(stride) or min(size, default=0) < 0:
        raise pickle.UnpicklingError("malformed tensor record")
    numel = 1
    for n in size:
        numel *= n
    if numel > limits.MAX_ELEMENTS:  # checked before the copy below materializes it
        raise pickle.UnpicklingError(f"tensor of shape {list(size)} has {numel:,} elements, more than the "
                                     f"limit of {limits.MAX_ELEMENTS:,}")
    if numel > max(storage.numel(), limits.MAX_EXPANDED_ELEMENTS):
        raise pickle.UnpicklingError(f"tensor of shape {list(size)} is expanded from a storage of "
                                     f"{storage.numel():,} elements (stride {list(stride)}); lgn2hw reads "
                                     f"only tensors stored in full")
    if all(s > 0 for s in size):
        last = int(storage_offset) + sum((n - 1) * st for n, st in zip(size, stride))
        if storage_offset < 0 or min(stride, default=0) < 0 or last >= storage.numel():
            raise pickle.UnpicklingError(f"tensor of shape {list(size)} reaches past its storage")
    return torch.as_strided(storage, size, stride, int(storage_offset)).clone()


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    return data


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS.values() or new_type is not _TensorClass:
        raise pickle.UnpicklingError("unsupported tensor subclass")
    return func(*args)


_REBUILDERS = {
    "_rebuild_tensor_v2": _rebuild_tensor_v2,
    "_rebuild_tensor": _rebuild_tensor,
    "_rebuild_parameter": _rebuild_parameter,
    "_rebuild_parameter_with_state": _rebuild_parameter,
    "_rebuild_from_type_v2": _rebuild_from_type_v2,
}


def loads_bytes(data: bytes, path="<bytes>"):
    """Restricted unpickling of a plain pickle (no tensor storages)."""
    return _run(_Unpickler(io.BytesIO(data), path, None, ""), path)


def load(path):
    """Load a torch checkpoint (zip format) or a plain pickle with the restricted unpickler."""
    try:
        is_zip = zipfile.is_zipfile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise CheckpointError(path, f"cannot read ({getattr(e, 'strerror', None) or e})") from None
    if not is_zip:
        with open(path, "rb") as fh:
            obj = _run(_Unpickler(fh, path, None, ""), path)
        if isinstance(obj, int) and obj == _LEGACY_MAGIC:
            raise CheckpointError(path, "legacy torch serialization (torch < 1.6) is not supported; "
                                        "re-save it with a current torch.save")
        return obj
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
            if not pkl:
                raise CheckpointError(path, "zip archive without data.pkl: not a torch checkpoint")
            prefix = pkl[0][: -len("data.pkl")]
            if f"{prefix}byteorder" in names and zf.read(f"{prefix}byteorder").strip() != b"little":
                raise CheckpointError(path, "checkpoint saved on a big-endian machine; not supported")
            with zf.open(pkl[0]) as fh:
                data = fh.read()
            return _run(_Unpickler(io.BytesIO(data), path, zf, prefix), path)
    except zipfile.BadZipFile as e:
        raise CheckpointError(path, f"corrupt zip archive ({e})") from None


def _run(unpickler: _Unpickler, path):
    try:
        return unpickler.load()
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, KeyError,
            IndexError, RuntimeError, zipfile.BadZipFile, OverflowError, MemoryError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(path, f"not a readable pickle ({type(e).__name__}: {msg[:200]})") from None

