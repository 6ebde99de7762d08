"""Settings for the whole test run.

SIAMCAR_TEST_HIDE_BF16=1 runs the suite as on a CPU without bfloat16 instructions (AVX2 only,
as most robots' x86 CPUs; no AVX-512 BF16, no AMX), whatever this CPU has:

    SIAMCAR_TEST_HIDE_BF16=1 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 make test

The library's own check (``siamcar_ros.tracking.precision.cpu_supports_bf16``) answers False for
the whole run, so bf16 is refused with the reason and the tests that need the instructions skip
saying so. PyTorch's kernels (``ATEN_CPU_CAPABILITY``) and oneDNN's (``ONEDNN_MAX_CPU_ISA``)
are held to AVX2 as well: set here when left unset, since both are read when torch first
runs a kernel, and inherited by the processes the tests start (the node's executables).
"""
import os

import pytest

HIDE_BF16 = os.environ.get("SIAMCAR_TEST_HIDE_BF16", "").strip().lower() not in ("", "0", "false", "no")

if HIDE_BF16:
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")


@pytest.fixture(scope="session", autouse=True)
def hidden_bf16_support():
    """With SIAMCAR_TEST_HIDE_BF16 set, the library sees a CPU without bfloat16 instructions."""
    if not HIDE_BF16:
        yield
        return
    from siamcar_ros.tracking import precision

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(precision, "cpu_supports_bf16", lambda: False)
        yield


def pytest_report_header(config):
    if HIDE_BF16:
        return (f"bfloat16 support hidden (SIAMCAR_TEST_HIDE_BF16): ATEN_CPU_CAPABILITY="
                f"{os.environ['ATEN_CPU_CAPABILITY']}, ONEDNN_MAX_CPU_ISA={os.environ['ONEDNN_MAX_CPU_ISA']}")
    return None


# ------------------------------------------------------------------ fixtures the files share
# Imports are made inside the fixtures, so that collecting any test file does not load torch.

@pytest.fixture(scope="module")
def one_torch_thread():
    """Small networks run fastest on one thread, above all on a busy shared machine. A file asks
    for it with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def tiny_model():
    """The smallest untrained SiamCAR (AlexNet at width 0.125, 8 channels, one head conv), for
    tests that need a valid network rather than its answers."""
    from siamcar_ros.model import build_model

    return build_model(backbone="alexnet", width_mult=0.125, neck_channels=8, head_channels=8,
                       head_num_convs=1)


@pytest.fixture(scope="module")
def small_alexnet_checkpoint(tmp_path_factory):
    """A checkpoint file of a small untrained AlexNet SiamCAR (width 0.25, 32 channels, one head
    conv, seed 0) that tracks fast on the CPU."""
    import torch

    from siamcar_ros.model import build_model, save_checkpoint

    torch.manual_seed(0)
    model = build_model("alexnet", width_mult=0.25, neck_channels=32, head_channels=32, head_num_convs=1)
    return save_checkpoint(tmp_path_factory.mktemp("model") / "small.pth", model)


@pytest.fixture(scope="module")
def frames_and_box():
    """16 frames of a procedural clip and the first frame's box (test_accelerate.py overrides it
    with a longer clip)."""
    from tracking_support import procedural_clip

    return procedural_clip(16)


@pytest.fixture(scope="module")
def nanotrack_onnx(tmp_path_factory):
    """Untrained NanoTrack backbone and head ONNX files (test/nanotrack_support.py)."""
    from nanotrack_support import write_nanotrack_files

    return write_nanotrack_files(tmp_path_factory.mktemp("nanotrack"))
