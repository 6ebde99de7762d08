"""Settings for the whole test run.

SIAMCAR_TEST_HIDE_BF16=1 runs the suite as on a CPU without bfloat16 instructions (AVX2 only,
as most robots' x86 CPUs; no AVX-512 BF16, no AMX), whatever this CPU has:

    SIAMCAR_TEST_HIDE_BF16=1 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 make test

The library's own check (``siamcar_ros.tracking.device.cpu_supports_bf16``) answers False for
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
    from siamcar_ros.tracking import device

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(device, "cpu_supports_bf16", lambda: False)
        yield


def pytest_report_header(config):
    if HIDE_BF16:
        return (f"bfloat16 support hidden (SIAMCAR_TEST_HIDE_BF16): ATEN_CPU_CAPABILITY="
                f"{os.environ['ATEN_CPU_CAPABILITY']}, ONEDNN_MAX_CPU_ISA={os.environ['ONEDNN_MAX_CPU_ISA']}")
    return None
