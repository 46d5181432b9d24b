# SPDX-License-Identifier: MIT
"""Where commands write files: checked before any work starts, written atomically.

* ``check_outputs`` (called by every command that writes, before the expensive work): an
  output may not be a device, folder, FIFO or socket (``--out /dev/null`` used to replace
  ``/dev/null`` with a regular file), may not be one of the command's inputs (same file by
  inode, or by resolved path when it does not exist yet), may not be named twice, and its
  folder must exist or be creatable and be writable (probed by creating a file there, which
  also catches read-only mounts, where permission bits say nothing for root).
* ``fresh_folder`` (synth/, board/: folders lgn2hw owns whole) and ``build_folder`` (a compile
  folder) make sure an interrupted run (Ctrl-C, or SIGTERM, which ``cli.main`` raises as
  ``subproc.Terminated``) leaves no half-written folder and a rerun no stale results.
* ``atomic_write`` writes a temp sibling and renames it over the target, so a failure or an
  interrupt never leaves half a file. It refuses non-regular targets itself, so writers that
  skip ``check_outputs`` are still safe; errors name the target, never the hidden temp file.

Imports nothing from lgn2hw but ``errors`` (``ir.atomic_write`` delegates here).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from .errors import LgnError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)  # follows symlinks: a link to /dev/null is a device
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise LgnError(f"{path}: a parent of it is a file, not a folder") from None
    except OSError as e:
        raise LgnError(f"{path}: cannot check it ({e.strerror or e})") from None


def check_target(path, what: str = "output") -> Path:
    """``path`` if it is absent or a regular file (else LgnError naming what it is)."""
    path = Path(path)
    st = _stat(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise LgnError(f"{what} {path}: is {_kind(st.st_mode)}, not a regular file; lgn2hw writes only "
                       f"regular files (refusing to replace it)")
    return path


def _existing_ancestor(folder: Path) -> Path:
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_folder_writable(folder, what: str) -> Path:
    """The folder (or its nearest existing ancestor, where it will be created) takes new files."""
    folder = Path(folder)
    probe_in = _existing_ancestor(folder)
    if not probe_in.is_dir():
        raise LgnError(f"{what}: {probe_in} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=probe_in, prefix=".lgn2hw-probe.")
    except OSError as e:
        raise LgnError(f"{what}: cannot write in {probe_in} ({e.strerror or e})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def _same(a: Path, b: Path) -> bool:
    sa, sb = _stat(a), _stat(b)
    if sa is not None and sb is not None:
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(outputs: dict, inputs=()) -> None:
    """Before any work: every output (``{"--out": path}``, None entries skipped) is writable, not
    a special file, not one of ``inputs`` (paths; None entries and folders are skipped) and named once."""
    outs = [(opt, Path(p)) for opt, p in outputs.items() if p is not None]
    ins = [Path(p) for p in inputs if p is not None]
    for i, (opt, path) in enumerate(outs):
        check_target(path, opt)
        for inp in ins:
            if _same(path, inp):
                raise LgnError(f"{opt} {path}: is also an input of this command ({inp}); "
                               f"refusing to overwrite it")
        for other_opt, other in outs[:i]:
            if _same(path, other):
                raise LgnError(f"{opt} {path}: is also given as {other_opt}; give two different files")
        check_folder_writable(path.parent, f"{opt} {path}")


def atomic_write(path, write) -> None:
    """Call write(tmp_path) then rename over path, so a failure never leaves a half file.

    Only regular files are replaced; a device, FIFO or folder at ``path`` is refused (renaming
    over ``/dev/null`` would make it a regular file). A symlink is written through to its target.
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    except OSError as e:
        raise LgnError(f"{path}: cannot write ({e.strerror or e})") from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.filename in (tmp, str(tmp)) or getattr(e, "filename2", None) in (tmp, str(tmp)):
            raise LgnError(f"{path}: cannot write ({e.strerror or e})") from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: What a compile folder holds from an earlier build that a new build makes stale: the core's
#: description (written last, so a folder without it is no core) and the figures of its RTL.
STALE_BUILD = ("metadata.json", "synth", "board")


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _is_interrupt(exc) -> bool:
    return exc is not None and not isinstance(exc, Exception)  # KeyboardInterrupt, Terminated, SystemExit


@contextlib.contextmanager
def fresh_folder(path):
    """A folder lgn2hw owns whole (a core's synth/ or board/): removed and made anew, and removed
    again if the block is interrupted. A failure that is an error (a tool failed, the design does
    not fit) keeps it: its logs say why."""
    path = Path(path)
    _remove(path)
    path.mkdir(parents=True)
    try:
        yield path
    except BaseException as e:
        if _is_interrupt(e):
            shutil.rmtree(path, ignore_errors=True)
        raise


@contextlib.contextmanager
def build_folder(path):
    """The output folder of a compile. A folder this run creates is removed whole if the run is
    interrupted. An earlier build in it loses its ``metadata.json``, synth/ and board/ first (a
    new RTL makes their figures stale; ``metadata.json`` is written last, so an interrupted
    rewrite is never taken for a core); other files in it are left alone."""
    path = Path(path)
    created = not path.exists()
    if not created and (path / "metadata.json").exists():
        for name in STALE_BUILD:
            _remove(path / name)
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException as e:
        if _is_interrupt(e):
            if created:
                shutil.rmtree(path, ignore_errors=True)
            else:
                for name in STALE_BUILD:
                    with contextlib.suppress(OSError):
                        _remove(path / name)
        raise
