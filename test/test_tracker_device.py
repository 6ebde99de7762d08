"""Device selection: CPU fallback with a warning, never a crash; fp16 only on CUDA."""
import logging

import pytest
import torch

from siamcar_ros.tracking.device import resolve_half, select_device, tensorrt_available

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
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.device"):
        assert select_device(spec) == torch.device("cpu")
    assert "CUDA is not available" in caplog.text and spec in caplog.text


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cpu:1", "", "auto:0"])
def test_malformed_device_names_the_allowed_forms(spec):
    with pytest.raises(ValueError, match='"auto", "cpu", "cuda" or "cuda:N"'):
        select_device(spec)


def test_half_is_ignored_with_a_warning_off_cuda(caplog):
    with caplog.at_level(logging.WARNING, logger="siamcar_ros.tracking.device"):
        assert resolve_half(True, torch.device("cpu")) is False
    assert "fp16" in caplog.text
    assert resolve_half(False, torch.device("cpu")) is False


def test_tensorrt_probe_answers_without_importing_it():
    assert isinstance(tensorrt_available(), bool)
