"""TensorRT engines from the exported ONNX pair: ``siamcar-build-engines``.

    siamcar-export-onnx default --output out/onnx            # out/onnx/siamcar_default_{template,search}.onnx
    siamcar-build-engines out/onnx/siamcar_default --fp16    # ... _template.engine, _search.engine

An engine is built for the GPU and TensorRT version it is built on, so this runs on the
robot (a Jetson, a CUDA machine with the ``tensorrt`` package), not where the model was
trained. The tracker takes the engines with ``exported=<prefix>`` (node: ``exported_network``)
when it runs on CUDA; inputs and outputs stay fp32, ``--fp16`` lets TensorRT compute in fp16.
The ONNX files parse as they are: the correlation is written without convolutions that take
their weights from an input (``siamcar_ros/model/onnx_export.py``).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

__all__ = ["EngineBuildError", "build_engine", "build_engines"]


class EngineBuildError(RuntimeError):
    """An engine could not be built (the message says why)."""


def _tensorrt():
    if importlib.util.find_spec("tensorrt") is None:
        raise EngineBuildError("the tensorrt package is not installed here; engines are built on "
                               "the machine with the GPU that runs them (JetPack ships it; on a "
                               "CUDA PC: pip install tensorrt)")
    import tensorrt

    return tensorrt


def build_engine(onnx_path: Path, engine_path: Path, fp16: bool = False,
                 workspace_megabytes: int = 1024) -> Path:
    """Parse one ONNX file and write its serialized engine; EngineBuildError on failure."""
    tensorrt = _tensorrt()
    if not onnx_path.is_file():
        raise EngineBuildError(f"{onnx_path} does not exist (siamcar-export-onnx writes it)")
    logger = tensorrt.Logger(tensorrt.Logger.WARNING)
    builder = tensorrt.Builder(logger)
    network = builder.create_network(0)
    parser = tensorrt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(k)) for k in range(parser.num_errors))
        raise EngineBuildError(f"TensorRT's ONNX parser refused {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(tensorrt.MemoryPoolType.WORKSPACE, workspace_megabytes << 20)
    if fp16:
        if not builder.platform_has_fast_fp16:
            raise EngineBuildError("--fp16 asked for, but this GPU has no fast fp16")
        config.set_flag(tensorrt.BuilderFlag.FP16)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise EngineBuildError(f"TensorRT could not build an engine from {onnx_path} (its log "
                               "above says why)")
    engine_path.write_bytes(bytes(serialized))
    return engine_path


def build_engines(prefix: str | Path, fp16: bool = False, workspace_megabytes: int = 1024) -> list[Path]:
    """Both engines of an exported pair: ``<prefix>_{template,search}.engine``."""
    from siamcar_ros.tracking.exported import exported_paths

    return [build_engine(onnx, engine, fp16, workspace_megabytes)
            for onnx, engine in zip(exported_paths(prefix, ".onnx"), exported_paths(prefix, ".engine"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siamcar-build-engines",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="exported pair: <prefix>_template.onnx and <prefix>_search.onnx")
    parser.add_argument("--fp16", action="store_true", help="let TensorRT compute in fp16")
    parser.add_argument("--workspace", type=int, default=1024, help="builder workspace, MB")
    args = parser.parse_args(argv)
    try:
        for path in build_engines(args.prefix, args.fp16, args.workspace):
            print(path)
    except EngineBuildError as error:
        print(f"siamcar-build-engines: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
