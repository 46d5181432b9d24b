# SPDX-License-Identifier: MIT
"""The restricted unpickler: peer full pickles become inert records; nothing else loads or runs."""
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from conftest import PEER_FIXTURES
from lgn2hw.cli import main
from lgn2hw.errors import CheckpointError
from lgn2hw.frontends import load_model, read_checkpoint, safe_pickle

DIFFLOGIC_FULL = PEER_FIXTURES / "difflogic" / "difflogic_tiny_full_model.pt"
DWN_FULL = PEER_FIXTURES / "torch_dwn" / "dwn_tiny_model_plus_thermometer.pt"


class _Touch:
    """Unpickling this calls os.system('touch <path>') -- if anything executes it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


class _Eval:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


def test_fixture_full_pickles_become_records_without_importing_the_libraries():
    code = ("import sys; from lgn2hw.frontends import safe_pickle as sp; "
            f"r = sp.load({str(DIFFLOGIC_FULL)!r}); "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('difflogic', 'torchlogix', 'torch_dwn')]; "
            "print(type(r).__mro__[1].__name__, r.qualname)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Record", "torch.nn.modules.container.Sequential"]


def test_record_holds_tensors_attributes_and_children():
    root = safe_pickle.load(DIFFLOGIC_FULL)
    mods = safe_pickle.module_sequence(root, units=("LogicLayer",))
    assert [(n, m.class_name) for n, m in mods] == [("0", "LogicLayer"), ("1", "LogicLayer"), ("2", "GroupSum")]
    layer = mods[0][1]
    assert layer.get("in_dim") == 32 and layer.get("out_dim") == 64
    w = layer.get("weights")
    assert isinstance(w, torch.Tensor) and tuple(w.shape) == (64, 16)
    ref = np.load(PEER_FIXTURES / "difflogic" / "difflogic_tiny_ref.npz")
    np.testing.assert_array_equal(w.argmax(1).numpy(), ref["gate_ids_layer0"])
    np.testing.assert_array_equal(np.stack([t.numpy() for t in layer.get("indices")]), ref["indices_layer0"])
    assert mods[2][1].get("tau") == 4.0


def test_torch_save_of_a_peer_model_matches_torch_load(tmp_path):
    """Tensors rebuilt by our rebuilders equal torch's own, for a non-peer-class checkpoint."""
    lin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Flatten())
    torch.save(lin, tmp_path / "m.pt")
    rec = safe_pickle.load(tmp_path / "m.pt")
    first = safe_pickle.module_sequence(rec)[0][1]
    assert first.qualname == "torch.nn.modules.linear.Linear"
    torch.testing.assert_close(first.get("weight"), lin[0].weight.detach())
    torch.testing.assert_close(first.get("bias"), lin[0].bias.detach())


def test_strided_and_shared_storage_tensors(tmp_path):
    base = torch.arange(24, dtype=torch.int64).reshape(4, 6)
    obj = {"t": base.t(), "view": base[1:, 2:4], "same": base, "expanded": torch.arange(3).view(3, 1).expand(3, 5)}
    torch.save(obj, tmp_path / "s.pt")
    got = safe_pickle.load(tmp_path / "s.pt")
    for key, value in obj.items():
        assert torch.equal(got[key], value), key


@pytest.mark.parametrize("container", ["torch", "pickle"])
def test_os_system_pickle_is_refused_and_nothing_runs(tmp_path, container):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    if container == "torch":
        torch.save({"state_dict": {"0.weights": torch.zeros(2, 16)}, "hook": _Touch(marker)}, path)
    else:
        path.write_bytes(pickle.dumps({"weights": [0.5, 1.5], "hook": _Touch(marker)}, protocol=2))
    with pytest.raises(CheckpointError, match=r"asks for '(posix|os)\.system'"):
        load_model(path)
    assert not marker.exists()
    assert main(["inspect", str(path)]) == 1
    assert not marker.exists()


def test_os_system_error_is_one_line_on_the_cli(tmp_path, capsys):
    marker = tmp_path / "pwned"
    torch.save(_Touch(marker), tmp_path / "evil.pt")
    assert main(["compile", str(tmp_path / "evil.pt"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "system" in err and "evil.pt" in err
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_builtin_eval_is_refused(tmp_path):
    torch.save([_Eval()], tmp_path / "e.pt")
    with pytest.raises(CheckpointError, match=r"(__builtin__|builtins)\.eval"):
        read_checkpoint(tmp_path / "e.pt")


def test_peer_class_reduce_does_not_call_anything():
    # GLOBAL difflogic.x.Boom + REDUCE(("arg",)): the record swallows the call.
    data = b"\x80\x02cdifflogic.x\nBoom\nX\x03\x00\x00\x00argq\x00\x85q\x01Rq\x02."
    rec = safe_pickle.loads_bytes(data)
    assert isinstance(rec, safe_pickle.Record) and rec.qualname == "difflogic.x.Boom" and rec.args == ("arg",)


def test_unlisted_torch_function_is_refused():
    data = b"\x80\x02ctorch._utils\n_rebuild_qtensor\n)R."
    with pytest.raises(CheckpointError, match="_rebuild_qtensor"):
        safe_pickle.loads_bytes(data)


def test_truncated_full_pickle(tmp_path):
    raw = DWN_FULL.read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="cut.pt"):
        load_model(tmp_path / "cut.pt")


def test_garbage_file(tmp_path):
    (tmp_path / "g.pt").write_bytes(b"\x80\x02not a pickle at all" * 3)
    with pytest.raises(CheckpointError, match="g.pt"):
        load_model(tmp_path / "g.pt")


def test_tensor_past_its_storage_is_refused(tmp_path):
    # a storage of 4 floats read as a [10] tensor
    good = tmp_path / "t.pt"
    torch.save({"t": torch.zeros(4)}, good)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(tmp_path / "bad.pt", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith("data.pkl"):
                data = data.replace(b"K\x04\x85", b"K\x0a\x85")  # size (4,) -> (10,)
                assert b"K\x0a\x85" in data
            zout.writestr(item, data)
    with pytest.raises(CheckpointError, match="past its storage|not a readable"):
        safe_pickle.load(tmp_path / "bad.pt")


def test_cyclic_module_tree_terminates(tmp_path):
    outer = torch.nn.Sequential(torch.nn.Flatten())
    outer._modules["self"] = outer  # a cycle through the pickle memo
    torch.save(outer, tmp_path / "c.pt")
    rec = safe_pickle.load(tmp_path / "c.pt")
    assert [(n, m.class_name) for n, m in safe_pickle.module_sequence(rec)] == [("0", "Flatten")]
    with pytest.raises(CheckpointError, match="not a known LGN checkpoint"):
        load_model(tmp_path / "c.pt")
