"""Two small ONNX files with the interface OpenCV's TrackerNano reads (a stride-16 backbone:
``input`` -> ``output``; a head: ``input1`` 8x8 template and ``input2`` 16x16 search maps ->
``output1`` class logits and ``output2`` l, t, r, b, 16x16), so the nanotrack baseline runs in
tests without NanoTrack's own files. Untrained: they exercise the harness, not tracking."""
from pathlib import Path

import torch
from torch import nn


class _Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 16, 16, padding=8)

    def forward(self, image):
        return self.conv(image)


class _Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.cls = nn.Conv2d(8, 2, 1)
        self.loc = nn.Conv2d(8, 4, 1)

    def forward(self, template, search):
        response = search * template.mean(dim=(2, 3), keepdim=True)
        return self.cls(response), torch.exp(self.loc(response))


def write_nanotrack_files(folder: Path) -> tuple[Path, Path]:
    torch.manual_seed(0)
    backbone, head = folder / "backbone.onnx", folder / "head.onnx"
    torch.onnx.export(_Backbone(), torch.zeros(1, 3, 255, 255), backbone, input_names=["input"],
                      output_names=["output"], dynamo=False,
                      dynamic_axes={"input": {2: "height", 3: "width"},
                                    "output": {2: "rows", 3: "columns"}})
    torch.onnx.export(_Head(), (torch.zeros(1, 8, 8, 8), torch.zeros(1, 8, 16, 16)), head,
                      input_names=["input1", "input2"], output_names=["output1", "output2"],
                      dynamo=False)
    return backbone, head
