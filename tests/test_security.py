# SPDX-License-Identifier: MIT
"""Hostile inputs (issue 17): compile folders, output paths, corrupted and oversized checkpoints,
field validation. Every case ends in one line on stderr, a non-zero exit and nothing written."""
from __future__ import annotations

import io
import json
import os
import stat
import sys

import numpy as np
import pytest

from conftest import REPO
from lgn2hw import ir
from lgn2hw.cli import main
from lgn2hw.errors import LgnError
from lgn2hw.generate import random_layered
from lgn2hw.synth import Design, SynthConfig, synthesize
from lgn2hw.synth.baseline import write_baseline_core


def tiny_net(seed=1):
    return random_layered(16, [24, 24, 12], 3, seed=seed)


def one_line_error(capsys, *fragments) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, (f, err)
    return err


# ---------------------------------------------------------------- 1. compile folder -> tool scripts
def _spy_yosys(tmp_path):
    """A stand-in yosys that records that it ran and, like yosys, runs the script's `!` lines."""
    path = tmp_path / "spy-yosys"
    marker = tmp_path / "YOSYS_RAN"
    path.write_text("#!/bin/sh\n"
                    f"if [ \"$1\" = \"-V\" ]; then echo 'Yosys 0.0 (spy)'; exit 0; fi\n"
                    f"touch {marker}\n"
                    "[ \"$1\" = \"-s\" ] && grep '^!' \"$2\" | sed 's/^!//' | sh\n"
                    "exit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path, marker


INJECTIONS = [
    ("files", ["lgn_core_naive.v\n!touch PWNED"], "files"),
    ("files", ["/etc/hostname"], "files"),
    ("files", ["../lgn_core_naive.v"], "files"),
    ("files", 7, "files"),
    ("top", "lgn_core\n!touch PWNED", "top"),
    ("top", "x; !touch PWNED", "top"),
]


@pytest.mark.parametrize("key,value,where", INJECTIONS)
def test_metadata_injection_runs_nothing(tmp_path, capsys, monkeypatch, key, value, where):
    core = tmp_path / "core"
    write_baseline_core(tiny_net(), core)
    meta = json.loads((core / "metadata.json").read_text())
    meta[key] = value
    (core / "metadata.json").write_text(json.dumps(meta))
    if key == "files" and isinstance(value, list) and not value[0].startswith("/"):
        (core / value[0]).write_text("module x; endmodule\n")  # the listed file exists
    spy, marker = _spy_yosys(tmp_path)
    monkeypatch.setenv("LGN2HW_YOSYS", str(spy))
    monkeypatch.chdir(tmp_path)
    assert main(["synth", str(core), "--no-pnr"]) == 1
    one_line_error(capsys, "metadata.json", where)
    assert not (tmp_path / "PWNED").exists() and not (core / "synth" / "PWNED").exists()
    assert not marker.exists()


@pytest.mark.parametrize("field,value", [("top", "t\n!touch PWNED"), ("core_top", "a b"),
                                         ("file", "x.v\n!touch PWNED"), ("file", "-x.v"),
                                         ("name", "../n")])
def test_script_rendering_refuses_unsafe_values(tmp_path, monkeypatch, field, value):
    spy, marker = _spy_yosys(tmp_path)
    monkeypatch.setenv("LGN2HW_YOSYS", str(spy))
    work = tmp_path / "w"
    work.mkdir()
    f = work / (value if field == "file" else "core.v")
    f.write_text("module t; endmodule\n")
    design = Design(files=(f,), top=value if field == "top" else "t",
                    core_top=value if field == "core_top" else "t", name=value if field == "name" else "d")
    with pytest.raises(LgnError) as e:
        synthesize(design, work, SynthConfig(pnr=False))
    assert "\n" not in str(e.value).replace("\\n", "")
    assert not marker.exists() and not (work / "PWNED").exists() and not (work / "synth.ys").exists()


@pytest.mark.parametrize("opts", ["extra=-top x;!touch PWNED", "extra=a|b"])
def test_option_text_cannot_reach_the_script(tmp_path, capsys, opts):
    core = tmp_path / "core"
    write_baseline_core(tiny_net(), core)
    assert main(["synth", str(core), "--no-pnr", "--synth-opts", opts]) == 1
    one_line_error(capsys, "--synth-opts")
    assert not (core / "synth" / "synth.ys").exists()


# ---------------------------------------------------------------- 2, 3. outputs
def native_model(tmp_path, name="m.pt", samples=40, seed=0, **overrides):
    """A small native checkpoint with stored samples (12 input bits from 4 features, 3 classes)."""
    import torch

    from lgn2hw.frontends.native import make_checkpoint
    rng = np.random.default_rng(seed)
    layers = [{"arity": 2, "indices": rng.integers(0, 12, (8, 2)), "logits": rng.normal(size=(8, 16))},
              {"arity": 2, "indices": rng.integers(0, 8, (6, 2)), "ops": rng.integers(0, 16, 6)}]
    thr = np.sort(rng.normal(size=(4, 3)), axis=1)
    data = {"X": rng.normal(size=(samples, 4)).astype(np.float32), "y": rng.integers(0, 3, samples)}
    ck = make_checkpoint(12, layers, 3, tau=2.0, thresholds=thr, config={"note": "test"}, data=data)
    ck.update(overrides)
    path = tmp_path / name
    torch.save(ck, path)
    return path


def inputs_file(tmp_path, name="x.npz", n=30, seed=1):
    rng = np.random.default_rng(seed)
    path = tmp_path / name
    np.savez(path, X=rng.normal(size=(n, 4)), y=rng.integers(0, 3, n))
    return path


def snapshot(path):
    return path.read_bytes() if path.is_file() else None


def test_predict_refuses_to_replace_a_device(tmp_path, capsys):
    m, x = native_model(tmp_path), inputs_file(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in ("/dev/null", str(fifo)):
        assert main(["predict", str(m), "--inputs", str(x), "--out", target]) == 1
        one_line_error(capsys, target, "not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_atomic_write_refuses_special_files_itself(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(LgnError, match="a FIFO, not a regular file"):
        ir.atomic_write(fifo, lambda tmp: open(tmp, "w").write("x"))
    with pytest.raises(LgnError, match="a folder"):
        ir.atomic_write(tmp_path, lambda tmp: open(tmp, "w").write("x"))
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["fifo"]
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "real.txt")
    ir.atomic_write(link, lambda tmp: open(tmp, "w").write("through"))
    assert link.is_symlink() and (tmp_path / "real.txt").read_text() == "through"


def _outputs_cases(tmp_path):
    m, x = native_model(tmp_path), inputs_file(tmp_path)
    r = tmp_path / "r.json"
    assert main(["opt", str(m), "-o", str(tmp_path / "o.npz"), "--report", str(r)]) == 0
    w = tmp_path / "w.npz"
    np.savez(w, X=np.random.default_rng(0).normal(size=(60, 3)), y=np.arange(60) % 2)
    return [
        (["predict", str(m), "--inputs", str(x), "--out", str(m)], m, "--out"),
        (["predict", str(m), "--inputs", str(x), "--out", str(x)], x, "--out"),
        (["opt", str(m), "-o", str(tmp_path / "o2.npz"), "--report", str(m)], m, "--report"),
        (["opt", str(m), "-o", str(m)], m, "--out"),
        (["opt", str(m), "-o", str(x), "--data", str(x)], x, "--out"),
        (["report", str(r), "--plot", str(r)], r, "--plot"),
        (["report", str(r), "--plot", str(m)], m, "--plot"),  # m is the model r.json describes
        (["sweep-prune", str(m), "--csv", str(m), "--plot", str(tmp_path / "s.png")], m, "--csv"),
        (["sweep-prune", str(m), "--plot", str(m), "--csv", str(tmp_path / "s.csv")], m, "--plot"),
        (["sweep-prune", str(m), "--csv", str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.csv")],
         None, "also given as"),
        (["train", "--dataset", str(w), "--out", str(w), "--epochs", "1"], w, "--out"),
        (["compile", str(m), "--out", str(tmp_path / "c"), "--report", str(m)], m, "--report"),
    ]


def test_no_command_overwrites_its_inputs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = _outputs_cases(tmp_path)
    capsys.readouterr()
    for argv, victim, fragment in cases:
        if fragment is None:
            continue
        before = {p: snapshot(p) for p in tmp_path.iterdir() if p.is_file()}
        assert main(argv) == 1, argv
        one_line_error(capsys, fragment)
        after = {p: snapshot(p) for p in tmp_path.iterdir() if p.is_file()}
        assert after == before, argv  # nothing written, nothing replaced
    assert not (tmp_path / "c").exists() and not (tmp_path / "s.png").exists()


def test_output_folder_checked_before_work(tmp_path, capsys):
    m = native_model(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for argv in (["predict", str(m), "--inputs", str(inputs_file(tmp_path)), "--out", str(blocker / "y.npz")],
                 ["train", "--dataset", "digits", "--out", str(blocker / "m.pt")],
                 ["sweep-prune", str(m), "--csv", str(blocker / "s.csv")],
                 ["predict", str(m), "--inputs", str(inputs_file(tmp_path)), "--out", "/proc/self/x.npz"]):
        assert main(argv) == 1
        err = one_line_error(capsys)
        assert ".lgn2hw-probe" not in err and "is a file, not a folder" in err or "cannot write in" in err


def test_write_errors_name_the_target_not_the_temp_file(tmp_path):
    with pytest.raises(LgnError) as e:
        ir.atomic_write("/proc/self/out.npz", lambda tmp: open(tmp, "w").write("x"))
    assert str(e.value).startswith("/proc/self/out.npz: cannot write") and "/proc/self/.out" not in str(e.value)


# ---------------------------------------------------------------- 7. stale and partial outputs
SLOW_TOOL = r"""#!PYTHON
import os, signal, subprocess, sys, time
# Ctrl-C handling of its own, as yosys and cocotb's runner have: a test run started in the
# background (nohup, `&`) passes SIGINT on as ignored, and the spy would then only die by SIGKILL
signal.signal(signal.SIGINT, signal.default_int_handler)
if "-V" in sys.argv or "--version" in sys.argv:
    print("Yosys 0.0 (slow spy)")
    sys.exit(0)
open("half-written.json", "w").write("{")  # in the tool's work folder, as yosys would
child = None
try:  # from the child's start: an interrupt at any point below still reaps it
    child = subprocess.Popen(["sleep", "120"])  # a child of its own, like the bench's vvp
    open(os.environ["SPY_PIDS"], "w").write(f"{os.getpid()} {child.pid}")
    child.wait()
except KeyboardInterrupt:  # as cocotb's runner and yosys do: stop the child, reap it
    if child is not None:
        child.kill()
        child.wait()
    raise
"""


def _running(pid: int) -> bool:
    """A process that exists and is not a zombie (a defunct one left by a parent that died)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return True  # zombies count too: nobody reaped them
    except FileNotFoundError:
        return False


def _lgn2hw_child(argv, env):
    """lgn2hw in a child process with SIGINT at its default, as in a terminal: a test run started
    in the background (``cmd &`` in a script) inherits SIGINT ignored, and Python then keeps it so."""
    import signal as _signal
    import subprocess
    script = "import sys; from lgn2hw.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", script, *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: _signal.signal(_signal.SIGINT, _signal.SIG_DFL))


def _interrupt_when_started(argv, pids_file, sig, env, timeout=60):
    """Run lgn2hw ``argv`` in a child process; once the spy tool wrote its pids, send ``sig``.
    Returns (exit code, stderr, [spy pid, its child's pid])."""
    import signal as _signal
    import time
    proc = _lgn2hw_child(argv, env)
    t0 = time.monotonic()
    while not (pids_file.is_file() and len(pids_file.read_text().split()) == 2):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, "the spy tool never started"
        time.sleep(0.05)
    pids = [int(p) for p in pids_file.read_text().split()]
    proc.send_signal(getattr(_signal, sig))
    _, err = proc.communicate(timeout=120)
    deadline = time.monotonic() + 10
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc.returncode, err, pids


@pytest.mark.parametrize("sig,code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupted_synthesis_leaves_no_folder_and_no_process(tmp_path, sig, code):
    """Ctrl-C or SIGTERM while yosys runs: the tool and its children are stopped and reaped
    (SIGINT during --verify left a defunct vvp), synth/ is removed, not left half-written."""
    core = tmp_path / "core"
    write_baseline_core(tiny_net(), core)
    spy = tmp_path / "slow-yosys"
    spy.write_text(SLOW_TOOL.replace("PYTHON", sys.executable))
    spy.chmod(0o755)
    pids_file = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LGN2HW_YOSYS": str(spy), "SPY_PIDS": str(pids_file)}
    rc, err, pids = _interrupt_when_started(["synth", str(core), "--no-pnr"], pids_file, sig, env)
    assert rc == code, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] in ("aborted", "terminated"), err
    assert not any(_running(p) for p in pids), pids
    assert not (core / "synth").exists()
    assert (core / "metadata.json").is_file()  # the core itself is untouched


def test_interrupted_compile_leaves_no_build_folder(tmp_path):
    """An interrupt during compile's synthesis removes the folder the compile created."""
    m = native_model(tmp_path)
    spy = tmp_path / "slow-yosys"
    spy.write_text(SLOW_TOOL.replace("PYTHON", sys.executable))
    spy.chmod(0o755)
    pids_file = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LGN2HW_YOSYS": str(spy), "SPY_PIDS": str(pids_file)}
    out = tmp_path / "b"
    rc, err, pids = _interrupt_when_started(["compile", str(m), "--out", str(out), "--target", "ice40",
                                             "--no-pnr"], pids_file, "SIGTERM", env)
    assert rc == 143, err
    assert not out.exists() and not any(_running(p) for p in pids)


def _processes_naming(text: str) -> list[tuple[int, str]]:
    """(pid, state) of every process whose command line contains ``text``."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{d}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd:
            found.append((int(d), state))
    return found


@pytest.mark.sim
def test_interrupted_verify_leaves_no_simulator(tmp_path):
    """Ctrl-C while the bench runs vvp: before, the vvp ran on as an orphan (then defunct)."""
    import signal as _signal
    import time

    from conftest import require_tool
    require_tool("iverilog")
    from lgn2hw import api
    core = tmp_path / "core"
    api.compile(native_model(tmp_path), core)
    proc = _lgn2hw_child(["verify", str(core), "--vectors", "1000000"], {**os.environ, "PYTHONPATH": str(REPO)})
    t0 = time.monotonic()
    try:
        while not (sims := _processes_naming(f"{core}/sim_build/icarus/sim.vvp")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() - t0 < 120, "vvp never started"
            time.sleep(0.1)
        proc.send_signal(_signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err, err
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid, _ in sims) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid, _ in sims), sims  # neither running nor defunct
        assert _processes_naming(str(core)) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_tool_runs_stop_their_whole_process_group(tmp_path):
    """subproc.run on a timeout: the tool's own children are stopped too (subprocess.run kills
    only the direct child and leaves the grandchildren running)."""
    import subprocess

    from lgn2hw import subproc
    pids_file = tmp_path / "pids"
    tool = tmp_path / "tool.py"
    tool.write_text(SLOW_TOOL.replace("#!PYTHON\n", ""))
    with pytest.raises(subprocess.TimeoutExpired):
        subproc.run([sys.executable, str(tool)], cwd=tmp_path, env={**os.environ, "SPY_PIDS": str(pids_file)},
                    timeout=8)  # well past the spy's start on a loaded machine
    pids = [int(p) for p in pids_file.read_text().split()]
    assert not any(_running(p) for p in pids), pids


def test_bad_options_are_reported_before_any_work(tmp_path, capsys, monkeypatch):
    """Every synthesis option is checked before import, passes and RTL: no folder is left."""
    import lgn2hw.api
    m = native_model(tmp_path)
    out = tmp_path / "b"
    calls = []
    monkeypatch.setattr(lgn2hw.api, "load", lambda *a, **k: calls.append(a) or pytest.fail("imported"))
    for extra, fragment in ((["--target", "ice40", "--device", "up9k"], "unknown ice40 device 'up9k'"),
                            (["--target", "ice40", "--synth-opts", "bogus=1"], "--synth-opts: unknown option"),
                            (["--target", "ecp5", "--pnr-opts", "speed=fast"], "--pnr-opts: option speed"),
                            (["--board", "nosuch"], "unknown board 'nosuch'"),
                            (["--board", "icebreaker", "--target", "ecp5"], "is an ice40 board"),
                            (["--device", "hx8k"], "--device needs --target"),
                            (["--clock", "50"], "--clock needs --target"),
                            (["--seed", "3"], "--seed needs --target")):
        assert main(["compile", str(m), "--out", str(out), *extra]) == 1, extra
        one_line_error(capsys, fragment)
        assert not out.exists() and not calls


def test_a_recompile_drops_the_figures_of_the_earlier_rtl(tmp_path):
    """`report` must not show the synthesis figures of an earlier build for new RTL."""
    from lgn2hw import api
    m = native_model(tmp_path)
    out = tmp_path / "b"
    api.compile(m, out, rtl={"pipeline_every": 3})
    for sub in ("synth", "board"):
        (out / sub).mkdir()
        (out / sub / "synth.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    api.compile(m, out)
    assert not (out / "synth").exists() and not (out / "board").exists()
    assert (out / "notes.txt").read_text() == "mine" and (out / "metadata.json").is_file()


def test_verify_model_does_not_overwrite_another_build(tmp_path, capsys, monkeypatch):
    """`verify m.pt` compiled into build/m with defaults over a `--pipeline-every 3` build."""
    monkeypatch.chdir(tmp_path)
    m = native_model(tmp_path)
    assert main(["compile", str(m), "--pipeline-every", "3"]) == 0
    before = (tmp_path / "build" / "m" / "metadata.json").read_bytes()
    capsys.readouterr()
    import lgn2hw.verify
    seen = []
    monkeypatch.setattr(lgn2hw.verify, "verify", lambda core, *a, **k: seen.append(core) or pytest.fail("ran"))
    assert main(["verify", str(m), "--out", "build/m"]) == 1
    one_line_error(capsys, "--out build/m", "pipeline_every=3", "lgn2hw verify build/m")
    assert (tmp_path / "build" / "m" / "metadata.json").read_bytes() == before and not seen
    monkeypatch.setattr(lgn2hw.verify, "verify", lambda core, *a, **k: seen.append(core) or (_ for _ in ()).throw(
        LgnError("stop here")))
    assert main(["verify", str(m)]) == 1  # the default folder is its own
    assert seen == [tmp_path / "build" / "m-verify"] or [str(p) for p in seen] == ["build/m-verify"]
    assert (tmp_path / "build" / "m" / "metadata.json").read_bytes() == before


def test_unwritable_output_folders_fail_at_once(tmp_path, capsys):
    """train and sweep-prune into a folder that takes no file fail before any work (they used to
    train or sweep for minutes first); /proc/self stands for a read-only mount."""
    import time
    m = native_model(tmp_path)
    for argv in (["train", "--dataset", "digits", "--out", "/proc/self/m.pt"],
                 ["sweep-prune", str(m), "--csv", "/proc/self/s.csv"],
                 ["sweep-prune", str(m), "--csv", str(tmp_path / "s.csv"), "--plot", "/proc/self/s.png"],
                 ["compile", str(m), "--out", "/proc/self/b"],
                 ["verify", str(m), "--out", "/proc/self/b"]):
        t0 = time.perf_counter()
        assert main(argv) == 1, argv
        out, err = capsys.readouterr()
        assert err.startswith("error: ") and err.count("\n") == 1 and "cannot write in /proc/self" in err, err
        assert "importing" not in out and "epoch" not in out and time.perf_counter() - t0 < 5, (argv, out)
    assert not (tmp_path / "s.csv").exists()


# ---------------------------------------------------------------- 4. corrupted checkpoints
def _entry_span(path, suffix):
    """(offset, size) of the stored bytes of the zip entry whose name ends with ``suffix``."""
    import struct
    import zipfile
    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(suffix))
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def _flip(path, offset):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x20
    path.write_bytes(bytes(raw))


def test_flipped_byte_in_a_tensor_storage_is_refused(tmp_path, capsys):
    m = native_model(tmp_path)
    start, size = _entry_span(m, "data/0")
    _flip(m, start + size // 2)
    assert main(["inspect", str(m)]) == 1
    one_line_error(capsys, "m.pt", "corrupt entry", "data/0")


def test_flipped_byte_in_data_pkl_is_refused(tmp_path, capsys):
    m = native_model(tmp_path)
    raw = m.read_bytes()
    start, size = _entry_span(m, "data.pkl")
    at = raw.index(b"config", start, start + size)
    _flip(m, at + 2)  # config -> coNfig, as in the issue
    assert b"coNfig" in m.read_bytes()
    assert main(["inspect", str(m)]) == 1
    one_line_error(capsys, "m.pt", "corrupt entry", "data.pkl")


def test_truncated_checkpoint_and_npz_say_what_they_are(tmp_path, capsys):
    m = native_model(tmp_path)
    m.write_bytes(m.read_bytes()[:-200])
    assert main(["inspect", str(m)]) == 1
    one_line_error(capsys, "m.pt")
    nl = tmp_path / "n.npz"
    ir.save(tiny_net(), nl)
    nl.write_bytes(nl.read_bytes()[:-100])
    assert main(["inspect", str(nl)]) == 1
    err = one_line_error(capsys, "n.npz", "not an lgn2hw netlist .npz")
    assert "torch" not in err


# ---------------------------------------------------------------- 5. memory bombs
def _expanded_native(tmp_path, gates=10**7, name="bomb.pt"):
    """A few KB on disk, 1.3 GB as float64 logits once copied (under the size limit): a stride-0
    expanded tensor."""
    import torch
    path = native_model(tmp_path, name)
    ck = torch.load(path, weights_only=True)
    ck["layers"][0]["logits"] = torch.zeros(1, 16).expand(gates, 16)
    ck["layers"][0]["indices"] = torch.zeros(1, 2, dtype=torch.int64).expand(gates, 2)
    torch.save(ck, path)
    return path


def _expanded_peer_pickle(tmp_path, monkeypatch, gates=10**7):
    """A full-model pickle of a (fake) difflogic class: read by the restricted unpickler."""
    import types

    import torch
    pkg, mod = types.ModuleType("difflogic"), types.ModuleType("difflogic.difflogic")

    class LogicLayer(torch.nn.Module):
        pass
    LogicLayer.__module__ = "difflogic.difflogic"
    LogicLayer.__qualname__ = "LogicLayer"
    mod.LogicLayer = LogicLayer
    pkg.difflogic = mod
    monkeypatch.setitem(sys.modules, "difflogic", pkg)
    monkeypatch.setitem(sys.modules, "difflogic.difflogic", mod)
    layer = LogicLayer()
    layer.weights = torch.nn.Parameter(torch.zeros(1, 16).expand(gates, 16), requires_grad=False)
    path = tmp_path / "peer_bomb.pt"
    torch.save(torch.nn.Sequential(layer), path)
    return path


def _npy_header_bomb(path, shape=(10**9, 64)):
    """An .npz whose .npy header declares 64 GB of uint8 (and holds 16 bytes)."""
    import io
    import zipfile
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bits.npy", buf.getvalue() + bytes(16))
    return path


def test_expanded_tensor_is_refused_before_it_is_copied(tmp_path, capsys, monkeypatch):
    bomb = _expanded_native(tmp_path)
    assert bomb.stat().st_size < 100_000
    assert main(["inspect", str(bomb)]) == 1
    one_line_error(capsys, "bomb.pt", "expanded from a storage")
    peer = _expanded_peer_pickle(tmp_path, monkeypatch)
    assert peer.stat().st_size < 100_000
    assert main(["inspect", str(peer)]) == 1
    one_line_error(capsys, "peer_bomb.pt", "expanded from a storage")
    huge = _expanded_native(tmp_path, 10**8, "huge.pt")
    assert main(["inspect", str(huge)]) == 1
    one_line_error(capsys, "huge.pt", "layers[0].logits: 1,600,000,000 elements, more than the limit")


def test_npz_sizes_are_checked_from_the_headers(tmp_path, capsys):
    from lgn2hw.datafile import load_arrays
    m = native_model(tmp_path)
    bomb = _npy_header_bomb(tmp_path / "x.npz")
    assert main(["predict", str(m), "--inputs", str(bomb), "--out", str(tmp_path / "y.npz")]) == 1
    one_line_error(capsys, "x.npz", "'bits'", "more than the limit")
    assert not (tmp_path / "y.npz").exists()
    real = tmp_path / "r.npz"
    np.savez_compressed(real, bits=np.zeros((5000, 12), np.uint8))  # deflates ~100x
    with pytest.raises(LgnError, match=r"\(60,000 elements\), more than the limit of 1,000"):
        load_arrays(real, max_elements=1000)
    from lgn2hw import limits
    with pytest.raises(LgnError, match="declares 60,.* bytes uncompressed"):
        limits.check_zip(real, max_bytes=10_000)
    net = tmp_path / "n.npz"
    _npy_header_bomb(net, (10**10,))
    assert main(["inspect", str(net)]) == 1
    one_line_error(capsys, "n.npz", "more than the limit")


def test_labels_are_bounded_and_dense(tmp_path, capsys):
    w = tmp_path / "w.npz"
    X = np.random.default_rng(0).normal(size=(60, 3))
    np.savez(w, X=X, y=np.where(np.arange(60) % 2, 10**6, 0))
    assert main(["train", "--dataset", str(w), "--out", str(tmp_path / "m.pt"), "--epochs", "1", "--quiet"]) == 1
    one_line_error(capsys, "w.npz", "'y'", "0..999")
    assert not (tmp_path / "m.pt").exists()


BOMB_SCRIPT = r"""
import resource, sys
from lgn2hw.cli import main
codes = [main(argv) for argv in ARGVS]
print(codes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_bombs_stay_within_bounded_memory(tmp_path, monkeypatch):
    """Run every bomb in one fresh process: each is refused and the process never grows past
    the size of torch itself (the bombs would need 6 to 64 GB)."""
    import subprocess
    m = native_model(tmp_path)
    argvs = [["inspect", str(_expanded_native(tmp_path))],
             ["opt", str(_expanded_peer_pickle(tmp_path, monkeypatch)), "-o", str(tmp_path / "o.npz")],
             ["predict", str(m), "--inputs", str(_npy_header_bomb(tmp_path / "x.npz")), "--out", str(tmp_path / "y.npz")]]
    script = BOMB_SCRIPT.replace("ARGVS", repr(argvs))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    codes, rss_mb = r.stdout.strip().rsplit("]", 1)
    assert codes + "]" == "[1, 1, 1]", r.stderr
    assert int(rss_mb) < 1500, (rss_mb, r.stderr)
    print(f"peak RSS {rss_mb} MB")
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 3


# ---------------------------------------------------------------- 6, 8, 9. validation and messages
def _netlist_file(tmp_path, name="n.npz", header=None, drop=(), arrays=None):
    """A saved netlist with its JSON header edited (``header(dict) -> object``) or arrays dropped/replaced."""
    path = tmp_path / name
    ir.save(tiny_net(), path)
    with np.load(path) as z:
        a = {k: z[k] for k in z.files}
    if header is not None:
        a["header"] = np.frombuffer(json.dumps(header(json.loads(bytes(a["header"]).decode()))).encode(), np.uint8)
    for k in drop:
        a.pop(k)
    a.update(arrays or {})
    np.savez(path, **a)
    return path


def _set(key, value):
    def edit(h):
        h[key] = value
        return h
    return edit


NETLIST_CASES = [
    (dict(header=lambda h: [h]), "expected a JSON object"),
    (dict(drop=("fanin",)), "lacks the array 'fanin'"),
    (dict(drop=("outputs",)), "lacks the array 'outputs'"),
    (dict(header=lambda h: {k: v for k, v in h.items() if k != "num_inputs"}), "header lacks 'num_inputs'"),
    (dict(header=_set("num_inputs", "16")), "header.num_inputs: expected a whole number, got str"),
    (dict(header=_set("arity", "two")), "header.arity: expected a whole number"),
    (dict(header=_set("num_classes", 2.9)), "header.num_classes: expected a whole number, got 2.9"),
    (dict(header=_set("num_inputs", 10**12)), "header.num_inputs: 1000000000000 out of range"),
    (dict(header=_set("provenance", [1, 2])), "header.provenance: expected a JSON object"),
    (dict(header=_set("tau", "hot")), "header.tau: expected a positive number"),
    (dict(arrays={"tables": np.arange(60, dtype=np.float64)}), "'tables': expected 1-d integers, got float64"),
    (dict(arrays={"fanin": np.zeros(60, np.int32)}), "'fanin': expected 2-d integers"),
    # these were "cannot reshape array of size 0 ..." and "operands could not be broadcast ..."
    (dict(arrays={"fanin": np.zeros((0, 2), np.int32)}), "'fanin' has 0 rows, 'tables' has 60 gates"),
    (dict(arrays={"level": np.zeros(0, np.int32)}), "'level' has 0 rows, 'tables' has 60 gates"),
    (dict(arrays={"fanin": np.zeros((60, 3), np.int32)}), "'fanin' has 3 columns, header.arity is 2"),
]


@pytest.mark.parametrize("edit,message", NETLIST_CASES)
def test_mangled_netlist_files_are_one_line(tmp_path, capsys, edit, message):
    path = _netlist_file(tmp_path, **edit)
    for argv in (["inspect", str(path)], ["predict", str(path), "--inputs", str(inputs_file(tmp_path)),
                                          "--out", str(tmp_path / "y.npz")]):
        assert main(argv) == 1
        err = one_line_error(capsys, "n.npz", message)
        assert err.count("n.npz") == 1  # not "n.npz: n.npz: ..."
    assert not (tmp_path / "y.npz").exists()


NATIVE_CASES = [
    ({"config": [1, 2]}, "'config': expected a dict, got list"),
    ({"data": [1, 2]}, "'data': expected a dict, got list"),
    ({"num_inputs": 10**12}, "num_inputs: 1000000000000 out of range"),
    ({"num_inputs": 120.5}, "num_inputs: expected a whole number, got 120.5"),
    ({"num_inputs": "two"}, "num_inputs: expected a whole number, got str 'two'"),
    ({"classes": 2.9}, "classes: expected a whole number, got 2.9"),
    ({"tau": float("nan")}, "tau: expected a positive number"),
]


@pytest.mark.parametrize("override,message", NATIVE_CASES)
def test_mangled_native_fields_are_one_line(tmp_path, capsys, override, message):
    m = native_model(tmp_path, **override)
    assert main(["inspect", str(m)]) == 1
    one_line_error(capsys, "m.pt", message)


def test_native_layer_with_ops_and_logits_is_refused(tmp_path, capsys):
    import torch
    m = native_model(tmp_path)
    ck = torch.load(m, weights_only=True)
    ck["layers"][1]["logits"] = torch.zeros(6, 16)
    torch.save(ck, m)
    assert main(["inspect", str(m)]) == 1
    one_line_error(capsys, "layers[1]: has both 'ops' and 'logits'")


def test_native_float_truth_tables_are_refused(tmp_path, capsys):
    import torch
    m = native_model(tmp_path)
    for ops in (lambda o: o.double() + 0.5, lambda o: o.double()):  # 2.5 or 3.0: a table is an integer
        ck = torch.load(m, weights_only=True)
        ck["layers"][1]["ops"] = ops(ck["layers"][1]["ops"])
        torch.save(ck, tmp_path / "f.pt")
        assert main(["inspect", str(tmp_path / "f.pt")]) == 1
        one_line_error(capsys, "f.pt", "layers[1].ops: expected integers, got float64")


def test_expanded_stored_samples_are_refused(tmp_path, capsys):
    """Stored samples expanded from a storage of one row took `opt` to 6.1 GB."""
    import torch
    m = native_model(tmp_path)
    ck = torch.load(m, weights_only=True)
    ck["data"] = {"X": torch.zeros(1, 4).expand(10**8, 4), "y": torch.zeros(1, dtype=torch.int64).expand(10**8)}
    torch.save(ck, m)
    assert m.stat().st_size < 100_000
    assert main(["opt", str(m), "-o", str(tmp_path / "o.npz")]) == 1
    one_line_error(capsys, "m.pt", "data.", "is expanded from a storage")
    assert not (tmp_path / "o.npz").exists()


def _with_data(tmp_path, **data):
    import torch
    m = native_model(tmp_path)
    ck = torch.load(m, weights_only=True)
    ck["data"] = {k: torch.as_tensor(v) for k, v in data.items()}
    torch.save(ck, m)
    return m


SAMPLE_CASES = [
    (dict(X=np.zeros((10, 4)), y=np.zeros(7, np.int64)), "sample counts differ: 'data.X' has 10, 'data.y' has 7"),
    (dict(X=np.full((10, 4), np.nan)), "'data.X' contains NaN or infinity"),
    (dict(X=np.zeros((10, 5))), "'data.X' has shape [10, 5], expected [N, 4]"),
    (dict(X=np.zeros((10, 4)), y=np.full(10, 3)), "'data.y' has label 3, but the model has 3 classes"),
]


@pytest.mark.parametrize("data,message", SAMPLE_CASES)
def test_stored_samples_are_validated(tmp_path, capsys, data, message):
    m = _with_data(tmp_path, **data)
    assert main(["opt", str(m), "-o", str(tmp_path / "o.npz")]) == 1
    one_line_error(capsys, "m.pt", message)
    assert not (tmp_path / "o.npz").exists()


def test_difflogic_dict_fields(tmp_path, capsys):
    import torch
    src = REPO / "tests" / "fixtures" / "peers" / "difflogic" / "difflogic_tiny_with_indices.pt"
    ck = torch.load(src, weights_only=True)
    for edit, message in ((lambda c: c.update(config=[2, 4.0]), "'config': expected a dict, got list"),
                          (lambda c: c["indices"].update({"9": c["indices"][next(iter(c["indices"]))]}),
                           "'indices' has entries for layers the state_dict lacks: ['9']"),
                          (lambda c: c.update(config={**c["config"], "in_dim": 10**12}), "config.num_inputs")):
        c = torch.load(src, weights_only=True)
        edit(c)
        path = tmp_path / "d.pt"
        torch.save(c, path)
        assert main(["inspect", str(path)]) == 1
        one_line_error(capsys, "d.pt", message)
    assert ck  # the fixture itself still loads
    assert main(["inspect", str(src)]) == 0


def test_predict_inputs_are_validated(tmp_path, capsys):
    m = native_model(tmp_path)
    out = tmp_path / "y.npz"
    rng = np.random.default_rng(0)
    cases = [({"X": np.array([["a"] * 4] * 3)}, "'X' holds <U1 values, expected numbers"),
             ({"X": rng.normal(size=(3, 4)), "bits": np.zeros((3, 12), np.uint8)}, "has both 'bits' and 'X'"),
             ({"X": rng.normal(size=(3, 4)), "y": np.array([0, 1, 7])}, "'y' has label 7, but the model has 3"),
             ({"X": rng.normal(size=(3, 5))}, "'X' has shape [3, 5], expected [N, 4]")]
    for arrays, message in cases:
        np.savez(tmp_path / "x.npz", **arrays)
        assert main(["predict", str(m), "--inputs", str(tmp_path / "x.npz"), "--out", str(out)]) == 1
        err = one_line_error(capsys, "x.npz", message)
        assert err.count("x.npz") == 1  # not "x.npz: x.npz: ..."
        assert not out.exists()


def test_empty_inputs_give_an_empty_result(tmp_path, capsys):
    """0 samples were "cannot reshape array of size 0 into shape (0,newaxis)", naming nothing."""
    m = native_model(tmp_path)
    np.savez(tmp_path / "x.npz", X=np.zeros((0, 4)))
    assert main(["predict", str(m), "--inputs", str(tmp_path / "x.npz"), "--out", str(tmp_path / "y.npz")]) == 0
    with np.load(tmp_path / "y.npz") as z:
        assert z["classes"].shape == (0,)


@pytest.mark.parametrize("passes,message", [
    ("greedy-prune{threshold=-3}", "threshold=-3 out of range [0.5, 1]"),
    ("greedy-prune{holdout=1.5}", "holdout=1.5 out of range (0, 1)"),
    ("greedy-prune{holdout=0}", "holdout=0 out of range (0, 1)"),
    ("similarity-merge{rho=-1}", "rho=-1 out of range (0, 1]"),
    ("sat-sweep{conflict-limit=-5}", "conflict-limit=-5 out of range [1, inf)"),
])
def test_pass_options_out_of_range(tmp_path, capsys, passes, message):
    m = native_model(tmp_path)
    assert main(["opt", str(m), "-o", str(tmp_path / "o.npz"), "--passes", passes]) == 1
    one_line_error(capsys, message)
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("thresholds,message", [("", "expected at least one number"),
                                                ("5,-1", "5 out of range 0..1"), ("a,b", "comma-separated")])
def test_sweep_thresholds(tmp_path, capsys, thresholds, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = native_model(tmp_path)
    assert main(["sweep-prune", str(m), "--thresholds", thresholds]) == 1
    one_line_error(capsys, "--thresholds", message)
    assert not (tmp_path / "sweep_prune.csv").exists()


def test_options_that_do_not_apply_are_warned_about(tmp_path, capsys):
    m = native_model(tmp_path)
    assert main(["inspect", str(m), "--classes", "3", "--tau", "2", "--parametrization", "warp"]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "--classes does not apply to a native file" in err and "--tau" in err
    assert "--parametrization does not apply to a native file" in err


def test_label_gaps_are_warned_about(tmp_path):
    from lgn2hw.errors import LgnWarning
    from lgn2hw.train.data import read_npz
    w = tmp_path / "w.npz"
    np.savez(w, X=np.random.default_rng(0).normal(size=(20, 3)), y=np.where(np.arange(20) % 2, 7, 0))
    with pytest.warns(LgnWarning, match=r"labels span 0..7 but 6 of these classes have no sample \(1, 2, 3"):
        read_npz(w)


def test_sweep_outputs(tmp_path, monkeypatch):
    """LF line ends in the CSV; the plot names the model, labels thresholds and shows the baseline."""
    import matplotlib.axes
    texts = []
    monkeypatch.setattr(matplotlib.axes.Axes, "annotate",
                        lambda self, text, *a, **k: texts.append(text))
    labels = []
    orig_plot = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda self, *a, **k: (labels.append(k.get("label")), orig_plot(self, *a, **k))[1])
    titles = []
    orig_title = matplotlib.axes.Axes.set_title
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title",
                        lambda self, t, *a, **k: (titles.append(t), orig_title(self, t, *a, **k))[1])
    m = native_model(tmp_path, samples=60)
    csv_path, png = tmp_path / "s.csv", tmp_path / "s.png"
    assert main(["sweep-prune", str(m), "--thresholds", "0.9,1.0", "--csv", str(csv_path), "--plot", str(png)]) == 0
    assert b"\r\n" not in csv_path.read_bytes() and csv_path.read_text().count("\n") == 5
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert titles and "m.pt" in titles[-1]
    assert texts.count("0.9") == 2 and texts.count("1") == 2
    assert any(str(label).startswith("unpruned (") for label in labels), labels  # the baseline point


# ---------------------------------------------------------------- the first thing a new user sees
def test_default_clock_comes_from_the_device_and_says_so():
    from lgn2hw.synth.devices import DEVICES
    from lgn2hw.synth.report import summary_line
    from lgn2hw.synth.devices import requested_clock
    assert requested_clock("ice40") == (48.0, "default for iCE40UP5K; --clock to change")
    assert requested_clock("ice40", "hx8k")[0] == 100.0
    assert requested_clock("ice40", clock_mhz=75) == (75.0, "--clock")
    assert all(d.default_clock_mhz > 0 for fam in DEVICES.values() for d in fam.values())
    rep = {"target": "ice40", "device": {"name": "up5k"}, "clock_source": "default for iCE40UP5K",
           "resources": {"core": {"lut": 1, "ff": 2, "carry": 3}},
           "pnr": {"utilization": {}, "timing": {"fmax_mhz": 66.75, "requested_mhz": 48.0, "met": True}}}
    assert summary_line(rep).endswith("Fmax 66.75 MHz (requested 48 MHz, default for iCE40UP5K: met)")


@pytest.mark.synth
@pytest.mark.slow
def test_readme_example_ends_green(tmp_path, capsys):
    """`lgn2hw compile examples/digits.pt --target ice40` on the default UP5K meets its clock."""
    from conftest import EXAMPLE_MODEL, require_tool
    require_tool("yosys"), require_tool("nextpnr-ice40")
    assert main(["compile", str(EXAMPLE_MODEL), "--target", "ice40", "--out", str(tmp_path / "b")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "default for iCE40UP5K; --clock to change: met)" in out
    rep = json.loads((tmp_path / "b" / "synth" / "synth.json").read_text())
    assert rep["pnr"]["timing"]["met"] and rep["clock_source"].startswith("default for iCE40UP5K")


def test_progress_lines_when_not_a_terminal():
    from rich.console import Console

    from lgn2hw.progress import status
    buf = io.StringIO()
    with status(Console(file=buf, force_terminal=False), "synthesizing for ice40 (yosys)"):
        pass
    lines = buf.getvalue().splitlines()
    assert lines[0] == "synthesizing for ice40 (yosys) ..." and lines[1].startswith("synthesizing for ice40 (yosys): done in")


def test_verify_counts_add_up():
    from lgn2hw.verify import VerifyResult, describe
    res = VerifyResult(simulator="icarus", vectors=1529, mismatches=0, latency=3, measured_latency=[3],
                       build_seconds=1, run_seconds=1, vectors_per_second=1000,
                       composition={"corner": 122, "dataset": 114, "random": 1000})
    line = next(s for s in describe(res) if s.startswith("vectors checked"))
    assert line == ("vectors checked: 1529 = 1236 distinct (122 corner, 114 dataset, 1000 random) at full "
                    "throughput + 293 sent again (with bubbles, and after a reset mid-stream)")


def test_usage_errors_use_the_same_prefix(capsys):
    for argv, fragment in ((["predict"], "Missing argument 'MODEL'"), (["nosuch"], "No such command 'nosuch'"),
                           (["compile", "x.pt", "--target", "foo"], "Invalid value for '--target'")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err and "Error:" not in err


def test_tests_read_nothing_outside_the_repository():
    """A clone alone passes its tests: no test reads the peer fixtures from ../shared (they are
    copied into tests/fixtures/)."""
    import re
    word = "sha" + "red"  # not spelled out, so this file does not match itself
    # a path in code: '../<word>...', '<word>/fixtures...' or ... / '<word>' (a dict key "<word>" is fine)
    in_code = re.compile(rf"""["']\.\./{word}|["']{word}/fixtures|/ *["']{word}["']""")
    offenders = [p.name for p in (REPO / "tests").glob("*.py") if in_code.search(p.read_text())]
    assert offenders == []
    assert (REPO / "tests" / "fixtures" / "peers" / "difflogic").is_dir()
