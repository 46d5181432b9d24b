# SPDX-License-Identifier: MIT
"""``metadata.json``: the core plan written out, and the one loader every reader uses.

The backend writes it (``CorePlan.metadata`` through ``write_metadata``); verification, the
testbenches, synthesis, board builds and the simulation model read it only through
``load_metadata``, which treats a compile folder as untrusted input: every key it returns is
checked for type and range, ``top`` must be a Verilog identifier and every listed file a plain
file name of a regular file inside the folder (no path, no link out of it), so nothing read
here can steer a tool script or a path.

Format (``format_version`` 1; a file without the key is the same layout from before it was
numbered): ``kind`` ("dense"), ``top``, ``files`` (Verilog, dependencies first), ``latency``,
``num_inputs``, ``input_width``, ``input_format`` ({"kind": "bits"} or {"kind": "fixed",
"features", "width", "frac_bits", "signed"}), ``classes``, ``class_width``, ``sum_width``,
``group_size``, ``pipeline`` (how the core was built: reported, not interpreted),
``netlist_sha256``, ``source`` (provenance), ``head`` ("sums" for a regression core: no argmax,
``out_class`` tied to 0, only the sums are results; absent: "argmax").
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import ir
from ..errors import LgnError
from ..quantize import FixedFormat

FORMAT_VERSION = 1          # the layout CorePlan.metadata writes; the loader refuses newer ones
KINDS = ("dense", "stream")  # core architectures: plan.CorePlan (dense), stream.StreamPlan (conv, streaming)
NAME = "metadata.json"
REQUIRED = ("top", "files", "latency", "num_inputs", "classes", "class_width", "sum_width")

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}\.v")
_SHA = re.compile(r"[0-9a-f]{64}")
_MAX_INT = 1 << 31


def write_metadata(out_dir, metadata: dict) -> Path:
    """Write ``metadata`` (a ``CorePlan.metadata()`` dict) as ``out_dir/metadata.json``, atomically."""
    path = Path(out_dir) / NAME
    text = json.dumps(metadata, indent=2, sort_keys=True) + "\n"

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    ir.atomic_write(path, write)
    return path


def class_width(classes: int) -> int:
    """Width of ``out_class`` (the port contract)."""
    return max(1, (int(classes) - 1).bit_length())


def sum_width(group_size: int) -> int:
    """Width of one class sum in ``out_sums``: the popcount of ``group_size`` bits."""
    return max(1, int(group_size).bit_length())


@dataclass(frozen=True)
class CoreMetadata:
    """A checked ``metadata.json`` of the core in ``folder``."""

    folder: Path
    format_version: int
    kind: str
    top: str
    files: tuple[str, ...]
    latency: int
    num_inputs: int
    input_width: int
    fixed: FixedFormat | None        # None: in_data is the netlist's input bits
    features: int                    # fixed-point features (0 for bits)
    classes: int
    class_width: int
    sum_width: int
    group_size: int | None
    netlist_sha256: str | None
    pipeline: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    stream: dict | None = None       # kind "stream": image [C*T, H, W], cycles_per_image, features, head_top, ...
    head: str = "argmax"             # "sums": a regression core (no argmax; out_class is tied to 0)

    @property
    def path(self) -> Path:
        return self.folder / NAME

    @property
    def file_paths(self) -> list[Path]:
        """The Verilog files, absolute, dependencies first."""
        return [self.folder / f for f in self.files]

    @property
    def input_format(self) -> dict:
        return {"kind": "bits"} if self.fixed is None else self.fixed.metadata(self.features)

    @property
    def sums_width(self) -> int:
        return self.classes * self.sum_width


def _int(meta: dict, key: str, where: str, lo: int = 0, hi: int = _MAX_INT, default=None) -> int:
    if key not in meta:
        if default is not None:
            return default
        raise LgnError(f"{where}: missing key {key!r}")
    v = meta[key]
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise LgnError(f"{where}: {key} = {v!r}, expected an integer in {lo}..{hi}")
    return v


def parse_input_format(spec, where: str) -> tuple[FixedFormat | None, int]:
    """(fixed-point format or None for bits, features) of an ``input_format`` entry."""
    if not isinstance(spec, dict) or spec.get("kind") not in ("bits", "fixed"):
        kind = spec.get("kind") if isinstance(spec, dict) else spec
        raise LgnError(f"{where}: input_format.kind is {kind!r}, expected 'bits' or 'fixed'")
    if spec["kind"] == "bits":
        return None, 0
    features = _int(spec, "features", f"{where}: input_format", 1)
    width = _int(spec, "width", f"{where}: input_format", 1, 48)
    frac = _int(spec, "frac_bits", f"{where}: input_format", 0, 1024)
    if not isinstance(spec.get("signed"), bool):
        raise LgnError(f"{where}: input_format.signed = {spec.get('signed')!r}, expected true or false")
    return FixedFormat(width, frac, spec["signed"]), features


def parse_metadata(meta, folder: Path, where: str | None = None) -> CoreMetadata:
    """Check a decoded metadata.json of the core in ``folder``."""
    folder = Path(folder)
    where = where or str(folder / NAME)
    if not isinstance(meta, dict):
        raise LgnError(f"{where}: expected a JSON object")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise LgnError(f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    version = _int(meta, "format_version", where, 1, _MAX_INT, default=1)
    if version > FORMAT_VERSION:
        raise LgnError(f"{where}: format_version {version} is newer than this lgn2hw reads ({FORMAT_VERSION}); "
                       f"update lgn2hw or recompile")
    kind = meta.get("kind", "dense")
    if kind not in KINDS:
        raise LgnError(f"{where}: kind {kind!r}: expected one of {', '.join(KINDS)}")
    top = meta.get("top")
    if not isinstance(top, str) or not _IDENT.fullmatch(top):
        raise LgnError(f"{where}: top = {top!r} is not a Verilog identifier")
    files = meta.get("files")
    if not isinstance(files, list) or not files:
        raise LgnError(f"{where}: files must be a non-empty list of Verilog file names")
    root = folder.resolve()
    for f in files:
        if not isinstance(f, str) or not _FILE.fullmatch(f):
            raise LgnError(f"{where}: files: {f!r} is not a plain Verilog file name (letters, digits, '_', '-', "
                           f"'.', ending in .v) inside the folder")
        p = folder / f
        if p.is_symlink() or not p.is_file() or p.resolve().parent != root:
            raise LgnError(f"{where}: lists file {f!r}, which is not a regular file in {folder}")
    fixed, features = parse_input_format(meta.get("input_format", {"kind": "bits"}), where)
    num_inputs = _int(meta, "num_inputs", where)
    in_width = num_inputs if fixed is None else features * fixed.width
    if _int(meta, "input_width", where, default=in_width) != in_width:
        raise LgnError(f"{where}: input_width {meta['input_width']} does not match input_format ({in_width} bits)")
    classes = _int(meta, "classes", where, 1, 1 << 16)
    cw = _int(meta, "class_width", where, 1, 16)
    if cw != class_width(classes):
        raise LgnError(f"{where}: class_width {cw} does not match {classes} classes (expected {class_width(classes)})")
    sw = _int(meta, "sum_width", where, 1, 32)
    group_size = meta.get("group_size")
    if group_size is not None:
        group_size = _int(meta, "group_size", where, 1)
        if sum_width(group_size) != sw:
            raise LgnError(f"{where}: sum_width {sw} does not match group_size {group_size}")
    sha = meta.get("netlist_sha256")
    if sha is not None and not (isinstance(sha, str) and _SHA.fullmatch(sha)):
        raise LgnError(f"{where}: netlist_sha256 = {sha!r}, expected 64 hex digits")
    pipeline, source = meta.get("pipeline", {}), meta.get("source", {})
    if not isinstance(pipeline, dict) or not isinstance(source, dict):
        raise LgnError(f"{where}: pipeline and source must be JSON objects")
    stream = _parse_stream(meta.get("stream"), where, num_inputs) if kind == "stream" else None
    head = meta.get("head", "argmax")
    if head not in ("argmax", "sums"):
        raise LgnError(f"{where}: head = {head!r}, expected 'argmax' or 'sums'")
    return CoreMetadata(folder=folder, format_version=version, kind=kind, top=top, files=tuple(files),
                        stream=stream, head=head,
                        latency=_int(meta, "latency", where, 1, 1 << 20), num_inputs=num_inputs,
                        input_width=in_width, fixed=fixed, features=features, classes=classes, class_width=cw,
                        sum_width=sw, group_size=group_size, netlist_sha256=sha, pipeline=pipeline, source=source)


def _parse_stream(spec, where: str, pixel_bits: int) -> dict:
    """The ``stream`` section of a streaming conv core."""
    at = f"{where}: stream"
    if not isinstance(spec, dict):
        raise LgnError(f"{at}: expected a JSON object")
    image = spec.get("image")
    if not (isinstance(image, list) and len(image) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1 << 16 for v in image)):
        raise LgnError(f"{at}.image = {image!r}, expected [channels, height, width]")
    if image[0] != pixel_bits:
        raise LgnError(f"{at}.image has {image[0]} bit-channels, num_inputs (in_pixel) is {pixel_bits}")
    head_top = spec.get("head_top")
    if not isinstance(head_top, str) or not _IDENT.fullmatch(head_top):
        raise LgnError(f"{at}.head_top = {head_top!r} is not a Verilog identifier")
    cycles = _int(spec, "cycles_per_image", at, 1)
    if cycles != image[1] * image[2]:
        raise LgnError(f"{at}.cycles_per_image {cycles} does not match a {image[1]}x{image[2]} image")
    return {"image": tuple(image), "cycles_per_image": cycles, "features": _int(spec, "features", at, 1),
            "head_top": head_top, "head_latency": _int(spec, "head_latency", at, 1, 1 << 20),
            "stages": spec.get("stages") if isinstance(spec.get("stages"), list) else []}


def load_metadata(folder) -> CoreMetadata:
    """The checked ``metadata.json`` of the compile folder ``folder``; LgnError naming the file and key."""
    folder = Path(folder)
    path = folder / NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LgnError(f"{path}: no such file (not a folder written by `lgn2hw compile`)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise LgnError(f"{path}: cannot be read ({e})") from None
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise LgnError(f"{path}: not valid JSON ({e})") from None
    return parse_metadata(meta, folder, str(path))
