"""Device selection: CPU fallback with a warning, never a crash; fp16 only on CUDA."""
import importlib.util
import logging
import sys

import pytest
import torch

from siamcar_ros.tracking.precision import resolve_half, select_device, tensorrt_available

NO_CUDA = not torch.cuda.is_available()


def test_cpu_and_auto_select_a_usable_device():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device(" CPU ") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected
    assert select_device(None).type == expected
    assert select_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(not NO_CUDA, reason="checks the fallback on a machine without CUDA")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:3"])
def test_missing_cuda_falls_back_to_cpu_with_a_warning(spec, caplog):
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.device"):
        assert select_device(spec) == torch.device("cpu")
    assert "CUDA is not available" in caplog.text and spec in caplog.text


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cpu:1", "", "auto:0"])
def test_malformed_device_names_the_allowed_forms(spec):
    with pytest.raises(ValueError, match='"auto", "cpu", "cuda" or "cuda:N"'):
        select_device(spec)


def test_half_is_ignored_with_a_warning_off_cuda(caplog):
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.precision"):
        assert resolve_half(True, torch.device("cpu")) is False
    assert "fp16" in caplog.text
    assert resolve_half(False, torch.device("cpu")) is False


def test_tensorrt_probe_answers_without_importing_it(tmp_path, monkeypatch):
    """tensorrt_available() says whether torch_tensorrt can be imported (its contract: a
    find_spec probe; CUDA is the caller's check) and imports neither it nor tensorrt."""
    probed = ("torch_tensorrt", "tensorrt")
    loaded_before = {name for name in probed if name in sys.modules}
    assert tensorrt_available() is (importlib.util.find_spec("torch_tensorrt") is not None)
    assert {name for name in probed if name in sys.modules} == loaded_before
    # a torch_tensorrt that breaks when imported is found, and left unimported
    monkeypatch.delitem(sys.modules, "torch_tensorrt", raising=False)
    (tmp_path / "torch_tensorrt").mkdir()
    (tmp_path / "torch_tensorrt" / "__init__.py").write_text("raise ImportError('the probe imported it')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert tensorrt_available() is True
    assert "torch_tensorrt" not in sys.modules
    # one whose import is blocked is not available
    monkeypatch.setitem(sys.modules, "torch_tensorrt", None)
    assert tensorrt_available() is False


@pytest.mark.skipif(not NO_CUDA, reason="checks the fallback on a machine without CUDA")
@pytest.mark.parametrize("purpose", ["loading", "training"])
def test_loading_and_training_share_the_resolver_and_say_what_fell_back(purpose, caplog):
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.device"):
        assert select_device("cuda", index=1, purpose=purpose) == torch.device("cpu")
    assert f"requested for {purpose}" in caplog.text


@pytest.mark.skipif(not NO_CUDA, reason="checks the fallback on a machine without CUDA")
def test_checkpoint_loading_falls_back_through_the_shared_resolver(tiny_model, tmp_path, caplog):
    from siamcar_ros.model import load_checkpoint, save_checkpoint
    from siamcar_ros.model.checkpoint import read_checkpoint

    path = tmp_path / "tiny.pth"
    save_checkpoint(path, tiny_model)
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.device"):
        model = load_checkpoint(path, device="cuda:0")
        contents = read_checkpoint(path, device="cuda")
    assert next(model.parameters()).device == torch.device("cpu")
    assert all(t.device == torch.device("cpu") for t in contents.state_dict.values())
    assert caplog.text.count("requested for loading") == 2   # one warning per call
    with pytest.raises(ValueError, match="allowed:"):
        read_checkpoint(path, device="gpu")
