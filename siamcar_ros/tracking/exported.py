"""Running the exported network files (``siamcar-export-onnx``, ``siamcar-build-engines``)
in place of the PyTorch network: what a deployment runs.

A prefix names the pair: ``<prefix>_template.{onnx,engine}`` and
``<prefix>_search.{onnx,engine}``. ``.engine`` files (TensorRT, CUDA only) are taken when both
exist and tracking runs on CUDA; otherwise the ``.onnx`` files run in ONNX Runtime (CPU, or its
CUDA execution provider where the installed build has one).

The tracker still loads its checkpoint: the exported files replace only the network's
arithmetic. When they are loaded, both are run on crops against the PyTorch network; files
that are missing, corrupt, made for another model (other shapes, other maps) or that need what
is not here (TensorRT, CUDA) raise ``ExportedNetworkError`` with the reason, which the tracker
turns into a warning and the PyTorch network (``SiamCARTracker(exported=...)``).
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import torch

__all__ = ["ExportedNetworkError", "OnnxRuntimeNetwork", "TensorRTNetwork", "exported_paths",
           "load_exported_network"]

LOGGER = logging.getLogger(__name__)

MAP_NAMES = ("cls", "loc", "cen")
# relative difference to the PyTorch maps allowed: fp32 files, fp16 TensorRT engines
FILE_TOLERANCE = 1e-3
ENGINE_TOLERANCE = 3e-2


class ExportedNetworkError(RuntimeError):
    """Exported network files that cannot be used (the message says why)."""


def exported_paths(prefix: str | Path, suffix: str) -> tuple[Path, Path]:
    prefix = str(prefix)
    for ending in (f"_template{suffix}", f"_search{suffix}"):
        if prefix.endswith(ending):
            prefix = prefix[: -len(ending)]
    return Path(f"{prefix}_template{suffix}"), Path(f"{prefix}_search{suffix}")


class OnnxRuntimeNetwork:
    """The template and search ONNX files in ONNX Runtime sessions."""

    kind = "onnxruntime"

    def __init__(self, template_path: Path, search_path: Path, device: torch.device):
        from .accelerate import (onnxruntime_available, onnxruntime_providers,
                                 onnxruntime_session_options)

        if not onnxruntime_available():
            raise ExportedNetworkError("onnxruntime is not installed")
        import onnxruntime

        try:
            providers = onnxruntime_providers(device)
        except RuntimeError as error:
            raise ExportedNetworkError(str(error)) from None
        options = onnxruntime_session_options()
        self.device = device
        self.sessions = []
        for path in (template_path, search_path):
            try:
                self.sessions.append(onnxruntime.InferenceSession(str(path), options, providers=providers))
            except Exception as error:      # onnxruntime raises its own types for bad files
                first = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise ExportedNetworkError(f"{path} is not a loadable ONNX file: {first}") from None
        self.paths = (template_path, search_path)
        self._template_inputs = [i.name for i in self.sessions[0].get_inputs()]
        self._search_inputs = [i.name for i in self.sessions[1].get_inputs()]
        outputs = [o.name for o in self.sessions[1].get_outputs()]
        if self._template_inputs != ["template"] or self._search_inputs[:1] != ["search"] \
                or outputs != list(MAP_NAMES):
            raise ExportedNetworkError(
                f"{template_path.name} / {search_path.name} are not a siamcar-export-onnx pair: "
                f"inputs {self._template_inputs} / {self._search_inputs}, outputs {outputs}; expected "
                f"template -> zf0.., and search + zf0.. -> {', '.join(MAP_NAMES)}")

    def template(self, z: torch.Tensor) -> list[torch.Tensor]:
        array = np.ascontiguousarray(z.detach().float().cpu().numpy())
        return [torch.from_numpy(out).to(z.device) for out in self.sessions[0].run(None, {"template": array})]

    def track(self, x: torch.Tensor, template: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        feeds = {"search": np.ascontiguousarray(x.detach().float().cpu().numpy())}
        for name, feature in zip(self._search_inputs[1:], template):
            feeds[name] = np.ascontiguousarray(feature.detach().float().cpu().numpy())
        outputs = self.sessions[1].run(None, feeds)
        return {name: torch.from_numpy(out).to(x.device) for name, out in zip(MAP_NAMES, outputs)}


class TensorRTNetwork:
    """The template and search TensorRT engines (``siamcar-build-engines``) on CUDA, fed with
    and writing into torch CUDA tensors on the current stream."""

    kind = "tensorrt-engine"

    def __init__(self, template_path: Path, search_path: Path, device: torch.device):
        if device.type != "cuda":
            raise ExportedNetworkError(f"TensorRT engines run on CUDA; tracking runs on {device}")
        if importlib.util.find_spec("tensorrt") is None:
            raise ExportedNetworkError("the tensorrt package is not installed")
        import tensorrt

        self.device = device
        self._logger = tensorrt.Logger(tensorrt.Logger.WARNING)
        runtime = tensorrt.Runtime(self._logger)
        self.engines, self.contexts = [], []
        for path in (template_path, search_path):
            engine = runtime.deserialize_cuda_engine(path.read_bytes())
            if engine is None:
                raise ExportedNetworkError(f"{path} is not a TensorRT engine this TensorRT and GPU "
                                           "can load (engines are built per GPU and version)")
            self.engines.append(engine)
            self.contexts.append(engine.create_execution_context())
        self.paths = (template_path, search_path)
        self._io = [self._io_tensors(engine, tensorrt) for engine in self.engines]

    @staticmethod
    def _io_tensors(engine, tensorrt) -> tuple[list, list]:
        inputs, outputs = [], []
        for index in range(engine.num_io_tensors):
            name = engine.get_tensor_name(index)
            shape = tuple(engine.get_tensor_shape(name))
            dtype = torch.from_numpy(np.empty(0, tensorrt.nptype(engine.get_tensor_dtype(name)))).dtype
            target = inputs if engine.get_tensor_mode(name) == tensorrt.TensorIOMode.INPUT else outputs
            target.append((name, shape, dtype))
        return inputs, outputs

    def _run(self, which: int, feeds: list[torch.Tensor]) -> list[torch.Tensor]:
        inputs, outputs = self._io[which]
        context = self.contexts[which]
        kept = []
        for (name, shape, dtype), tensor in zip(inputs, feeds):
            tensor = tensor.to(self.device, dtype).contiguous()
            if tuple(tensor.shape) != shape:
                raise ExportedNetworkError(f"engine input {name} is {shape}, got {tuple(tensor.shape)}")
            kept.append(tensor)
            context.set_tensor_address(name, tensor.data_ptr())
        results = []
        for name, shape, dtype in outputs:
            result = torch.empty(shape, dtype=dtype, device=self.device)
            context.set_tensor_address(name, result.data_ptr())
            results.append(result)
        if not context.execute_async_v3(torch.cuda.current_stream(self.device).cuda_stream):
            raise RuntimeError("TensorRT engine execution failed")
        return [r.float() for r in results]

    def template(self, z: torch.Tensor) -> list[torch.Tensor]:
        return self._run(0, [z])

    def track(self, x: torch.Tensor, template: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        outputs = dict(zip([name for name, _, _ in self._io[1][1]], self._run(1, [x, *template])))
        return {name: outputs[name] for name in MAP_NAMES}


def load_exported_network(prefix: str | Path, model, device: torch.device, seed: int = 0):
    """The exported pair for ``prefix`` as a network (``template(z)``, ``track(x, features)``),
    checked on random crops against ``model``'s maps; ExportedNetworkError says what is wrong."""
    engines = exported_paths(prefix, ".engine")
    files = exported_paths(prefix, ".onnx")
    if device.type == "cuda" and all(path.is_file() for path in engines):
        network, tolerance = TensorRTNetwork(*engines, device), ENGINE_TOLERANCE
    else:
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise ExportedNetworkError(f"no exported network at {prefix}: {', '.join(missing)} "
                                       "missing (siamcar-export-onnx writes the pair)")
        network, tolerance = OnnxRuntimeNetwork(*files, device), FILE_TOLERANCE
    difference = _compare(network, model, device, seed)
    if not difference <= tolerance:
        raise ExportedNetworkError(
            f"{network.paths[1]} does not compute this checkpoint's network: its maps differ by "
            f"{difference:.2e} (relative; allowed {tolerance:.0e}); export it again from this checkpoint")
    LOGGER.info("exported network %s (%s; max relative difference %.1e)", network.paths[1],
                network.kind, difference)
    return network, difference


def _compare(network, model, device: torch.device, seed: int) -> float:
    generator = torch.Generator().manual_seed(seed)
    size_z, size_x = int(model.template_size), int(model.search_size)
    template = (torch.rand(1, 3, size_z, size_z, generator=generator) * 255).to(device)
    search = (torch.rand(1, 3, size_x, size_x, generator=generator) * 255).to(device)
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        expected_features = model.template(template.to(dtype))
        expected = model.track(search.to(dtype), expected_features)
        try:
            features = network.template(template)
            shapes = [tuple(f.shape) for f in features]
            expected_shapes = [tuple(f.shape) for f in expected_features]
            if shapes != expected_shapes:
                raise ExportedNetworkError(
                    f"{network.paths[0]} was exported from another network: template features "
                    f"{shapes}, this checkpoint's {expected_shapes}")
            produced = network.track(search, features)
        except ExportedNetworkError:
            raise
        except Exception as error:   # shapes the files do not take: another model's files
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ExportedNetworkError(f"{network.paths[1]} does not take this checkpoint's crops "
                                       f"and features: {first}") from None
    from .accelerate import largest_relative_difference

    return largest_relative_difference([produced[name] for name in MAP_NAMES],
                                       [expected[name] for name in MAP_NAMES])
