"""ONNX export of a SiamCAR network as two files, the split that deployment runtimes take:

- ``<name>_template.onnx``: template crop ``template`` (1 x 3 x 127 x 127, raw BGR 0..255)
  -> template features ``zf0``, ``zf1``, ... (one per neck output);
- ``<name>_search.onnx``: search crop ``search`` (1 x 3 x 255 x 255) and the template features
  -> ``cls`` (logits), ``loc`` (l, t, r, b, search pixels), ``cen`` (logits): search branch,
  depth-wise correlation and CAR head.

The correlation is written with slices, products and sums (``xcorr_depthwise_slices``), so no
convolution takes its weights from an input: TensorRT's ONNX parser takes the file. Opset
``ONNX_OPSET``. Every export is checked with ONNX Runtime against eager PyTorch on random
crops (largest difference relative to each map's range, ``tolerance`` 1e-4 by default).

    siamcar-export-onnx default --output out/onnx          # the bundled model
    siamcar-export-onnx SiamCAR_r50.pth --output out/onnx --name r50
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .siamcar import SiamCARModel
from .xcorr import xcorr_depthwise_slices

LOGGER = logging.getLogger(__name__)

ONNX_OPSET = 17


class ExportError(RuntimeError):
    """An export failed or its file disagrees with eager PyTorch."""


class TemplateBranch(nn.Module):
    def __init__(self, model: SiamCARModel):
        super().__init__()
        self.model = model

    def forward(self, template: torch.Tensor):
        return tuple(self.model.template(template))


class SearchBranch(nn.Module):
    """Search crop + template features -> cls, loc, cen, correlating with slices."""

    def __init__(self, model: SiamCARModel):
        super().__init__()
        self.model = model

    def forward(self, search: torch.Tensor, *template: torch.Tensor):
        outputs = self.model._head(self.model.search_features(search), list(template),
                                   correlate=xcorr_depthwise_slices)
        return outputs["cls"], outputs["loc"], outputs["cen"]


@dataclass(frozen=True)
class ExportedModel:
    template_path: Path
    search_path: Path
    template_difference: float      # largest relative difference against eager PyTorch
    search_difference: float


def export_module(module: nn.Module, inputs: tuple, target, input_names: list[str],
                  output_names: list[str] | None = None, dynamic_axes: dict | None = None) -> None:
    """``torch.onnx.export`` as every export here does it (TorchScript exporter, ``ONNX_OPSET``)
    into ``target``: a path or a binary file-like object."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the exporter's notes on traced size checks
        torch.onnx.export(module, inputs, target if hasattr(target, "write") else str(target),
                          dynamo=False, opset_version=ONNX_OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes)


def _relative_difference(produced: list[np.ndarray], expected: list[torch.Tensor]) -> float:
    worst = 0.0
    for a, b in zip(produced, expected):
        b = b.detach().numpy()
        if a.shape != b.shape:
            return float("inf")
        scale = float(np.abs(b).max()) or 1.0
        worst = max(worst, float(np.abs(a - b).max()) / scale)
    return worst


def check_with_onnxruntime(path: Path, feeds: dict[str, np.ndarray],
                           expected: list[torch.Tensor]) -> float:
    """Run the file in ONNX Runtime (CPU) and return its largest relative difference."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return _relative_difference(session.run(None, feeds), expected)


def export_onnx(model: SiamCARModel, output_dir: str | Path, name: str = "siamcar",
                tolerance: float = 1e-4, seed: int = 0) -> ExportedModel:
    """Write the template and search files of ``model`` (any backbone) and check both with
    ONNX Runtime; raises ExportError when a file disagrees with eager PyTorch by more than
    ``tolerance``."""
    model = model.float().cpu().eval()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    size_z, size_x = model.template_size, model.search_size
    template = torch.rand(1, 3, size_z, size_z, generator=generator) * 255
    search = torch.rand(1, 3, size_x, size_x, generator=generator) * 255
    with torch.no_grad():
        features = model.template(template)
        expected_maps = model.track(search, features)
    feature_names = [f"zf{k}" for k in range(len(features))]
    template_path = output_dir / f"{name}_template.onnx"
    search_path = output_dir / f"{name}_search.onnx"
    export_module(TemplateBranch(model).eval(), (template,), template_path, ["template"], feature_names)
    export_module(SearchBranch(model).eval(), (search, *features), search_path,
            ["search", *feature_names], ["cls", "loc", "cen"])
    template_difference = check_with_onnxruntime(template_path, {"template": template.numpy()},
                                                 features)
    feeds = {"search": search.numpy(), **{n: f.numpy() for n, f in zip(feature_names, features)}}
    search_difference = check_with_onnxruntime(
        search_path, feeds, [expected_maps[k] for k in ("cls", "loc", "cen")])
    for path, difference in ((template_path, template_difference), (search_path, search_difference)):
        if not difference <= tolerance:
            raise ExportError(f"{path} differs from eager PyTorch by {difference:.2e} (relative; "
                              f"allowed {tolerance:.0e})")
    return ExportedModel(template_path, search_path, template_difference, search_difference)
