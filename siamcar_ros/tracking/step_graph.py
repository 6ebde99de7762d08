"""A frame's whole network as one ONNX Runtime graph: search crop and template features in,
the tracker's maps out.

One graph holds the search branch (backbone, neck), the correlations with the template
features (graph inputs: they change per target, not per frame), the head, and what the tracker
reads of the head: foreground probability (the softmax of the two class logits), centre-ness
logits and the l, t, r, b distances, stacked as one 6 x S x S array. Per frame that is one
call with no PyTorch operator dispatch between layers, which is most of what eager PyTorch
spends on small maps (the nanocar head's towers: about 5 ms eager, well under 1 ms here on one
AVX2 core). BatchNorm reaches the graph already folded (``model/fold.py``).

The correlation is exported as the grouped convolution the eager network uses (a convolution
whose weights are a graph input, which ONNX Runtime takes); the files of ``siamcar-export-onnx``
use slices instead, for TensorRT's parser.
"""
from __future__ import annotations

import io

import numpy as np
import torch
from torch import nn

__all__ = ["OnnxRuntimeStep", "StepNetwork", "stacked_maps"]


def stacked_maps(outputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The maps the tracker reads, from the head's outputs for one crop: 6 x S x S (foreground
    probability, centre-ness logits, l, t, r, b)."""
    foreground = torch.softmax(outputs["cls"][0].float(), dim=0)[1:2]
    return torch.cat([foreground, outputs["cen"][0].float(), outputs["loc"][0].float()])


class StepNetwork(nn.Module):
    """The network of one tracking step as a module: (search crop, *template features) ->
    ``stacked_maps``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, search: torch.Tensor, *template: torch.Tensor) -> torch.Tensor:
        return stacked_maps(self.model.track_features(self.model.search_features(search), list(template)))


class OnnxRuntimeStep:
    """``StepNetwork`` exported in memory and run by one ONNX Runtime session (CPU, or CUDA
    where the build has it; ``accelerate.onnxruntime_session_options``). Called with a
    1 x 3 x S x S crop and the template features, returns the 6 x S x S maps as a numpy array.
    ``graph``: the ONNX bytes the session runs."""

    def __init__(self, model: nn.Module, search: torch.Tensor, template: list[torch.Tensor]):
        import onnxruntime

        from siamcar_ros.model.onnx_export import export_module

        from .accelerate import onnxruntime_providers, onnxruntime_session_options

        self.template_names = [f"zf{k}" for k in range(len(template))]
        buffer = io.BytesIO()
        export_module(StepNetwork(model).eval(), (search, *template), buffer,
                      ["search", *self.template_names], ["maps"])
        self.graph = buffer.getvalue()
        self.difference = float("nan")     # set by the check against eager PyTorch
        self.session = onnxruntime.InferenceSession(self.graph, onnxruntime_session_options(),
                                                    providers=onnxruntime_providers(search.device))

    def feeds(self, search: torch.Tensor, template: list[torch.Tensor]) -> dict[str, np.ndarray]:
        feeds = {"search": _host_array(search)}
        for name, feature in zip(self.template_names, template):
            feeds[name] = _host_array(feature)
        return feeds

    def __call__(self, search: torch.Tensor, template: list[torch.Tensor]) -> np.ndarray:
        return self.session.run(None, self.feeds(search, template))[0]


def _host_array(tensor: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().float().cpu().numpy())
