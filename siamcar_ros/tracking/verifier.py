"""A small learned check of whether a box shows the target of the first frame.

It takes the initial box and the current box, each resized to ``VERIFIER_SIZE`` x
``VERIFIER_SIZE`` pixels and divided by its own mean brightness (a change of exposure does not
count), stacks them as one six-channel picture and answers, through five small convolutions
and a linear layer, the probability that both show the same object the same way round (about
14 million multiply-adds per box). It reads pixels only, so it serves every network. Training:
``siamcar_ros.training.verifier``; what it adds to the confidence:
docs/confidence-and-redetection.md.
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

__all__ = ["VERIFIER_SIZE", "Verifier", "VerifierError", "box_patch", "load_verifier"]

VERIFIER_SIZE = 32


class VerifierError(ValueError):
    """A verifier file that cannot be used (missing, or not a verifier's weights)."""


class Verifier(nn.Module):
    """Pair classifier: (N, 6, S, S) stacked (reference, candidate) patches -> (N,) logits."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.width = int(width)
        w = self.width

        def conv(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True))

        self.features = nn.Sequential(conv(6, w), conv(w, w, 2), conv(w, 2 * w), conv(2 * w, 2 * w, 2),
                                      conv(2 * w, 2 * w))
        self.classifier = nn.Linear(2 * w, 1)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(pairs).mean(dim=(2, 3))).squeeze(1)

    @torch.no_grad()
    def probability(self, reference: np.ndarray, candidates: list[np.ndarray]) -> np.ndarray:
        """P(same object) of each candidate patch (``box_patch``) against the reference patch
        (in ONNX Runtime after ``run_in_onnxruntime``, else eager PyTorch)."""
        if not candidates:
            return np.zeros(0)
        pairs = np.stack([np.concatenate([reference, c], axis=0) for c in candidates])
        session = getattr(self, "_session", None)
        if session is not None and not self.training:
            logits = session.run(None, {"pairs": pairs})[0].astype(np.float64)
            return 1.0 / (1.0 + np.exp(-logits))
        logits = self(torch.from_numpy(pairs))
        return torch.sigmoid(logits).double().numpy()

    @torch.no_grad()
    def run_in_onnxruntime(self) -> str:
        """Answer ``probability`` from an ONNX Runtime session of this network (about 2.5x
        faster than eager on one CPU core: its five convolutions are small), checked against
        eager PyTorch on random pairs; any problem leaves it eager. Returns what it did."""
        import io

        from siamcar_ros.model.onnx_export import export_module

        from .accelerate import onnxruntime_available, onnxruntime_session_options

        self._session = None
        if not onnxruntime_available():
            return "box verifier in eager PyTorch (onnxruntime is not installed)"
        import onnxruntime

        pairs = torch.rand(3, 6, VERIFIER_SIZE, VERIFIER_SIZE, generator=torch.Generator().manual_seed(0)) * 2
        try:
            buffer = io.BytesIO()
            export_module(self.eval(), (pairs,), buffer, ["pairs"], ["logits"],
                          dynamic_axes={"pairs": {0: "pairs"}, "logits": {0: "pairs"}})
            session = onnxruntime.InferenceSession(buffer.getvalue(), onnxruntime_session_options(),
                                                   providers=["CPUExecutionProvider"])
            produced = session.run(None, {"pairs": pairs.numpy()})[0]
        except Exception as error:  # a verifier that does not export stays eager
            return f"box verifier in eager PyTorch (ONNX Runtime failed: {type(error).__name__}: {error})"
        expected = self(pairs).numpy()
        difference = float(np.abs(produced - expected).max())
        if not difference <= 1e-3:
            return f"box verifier in eager PyTorch (ONNX Runtime's logits differ by {difference:.1e})"
        self._session = session
        return "box verifier in ONNX Runtime"


def box_patch(frame: np.ndarray, bbox_xywh, size: int = VERIFIER_SIZE) -> np.ndarray:
    """The box (x, y, w, h; outside the frame: the nearest edge pixels) resized to size x size,
    BGR planes (3, size, size) float32 divided by the patch's mean brightness."""
    x, y, width, height = (float(v) for v in bbox_xywh)
    width, height = max(width, 1.0), max(height, 1.0)
    # box -> patch, pixel-centre coordinates
    sx, sy = size / width, size / height
    matrix = np.array([[sx, 0.0, (0.5 - x) * sx - 0.5], [0.0, sy, (0.5 - y) * sy - 0.5]])
    if width > 2 * size or height > 2 * size:
        # shrink only the frame region under the box (with a margin of two shrunk pixels), so
        # thin detail does not alias and the cost does not grow with the frame
        factor = max(width, height) / (2 * size)
        margin = int(math.ceil(2 * factor))
        x0, y0 = max(0, int(math.floor(x)) - margin), max(0, int(math.floor(y)) - margin)
        x1 = min(frame.shape[1], int(math.ceil(x + width)) + margin)
        y1 = min(frame.shape[0], int(math.ceil(y + height)) + margin)
        if x1 > x0 and y1 > y0:
            small = cv2.resize(frame[y0:y1, x0:x1], (max(1, int(round((x1 - x0) / factor))),
                                                      max(1, int(round((y1 - y0) / factor)))),
                               interpolation=cv2.INTER_AREA)
            # small -> region -> frame, pixel-centre coordinates
            fx, fy = (x1 - x0) / small.shape[1], (y1 - y0) / small.shape[0]
            matrix = matrix @ np.array([[fx, 0, 0.5 * fx - 0.5 + x0], [0, fy, 0.5 * fy - 0.5 + y0],
                                        [0, 0, 1.0]])
            frame = small
    patch = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    patch /= float(patch.mean()) + 1.0
    return np.ascontiguousarray(patch.transpose(2, 0, 1))


def load_verifier(path: str | Path) -> Verifier:
    """A verifier from a file written by ``training/verifier.py`` (weights only)."""
    path = Path(path)
    if not path.is_file():
        raise VerifierError(f"verifier file {path} does not exist")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        verifier = Verifier(int(saved["width"]))
        verifier.load_state_dict(saved["state_dict"])
    except (KeyError, TypeError, RuntimeError) as error:
        raise VerifierError(f"{path} is not a verifier file (a dict with 'width' and "
                            f"'state_dict' written by siamcar_ros.training.verifier): {error}") from error
    return verifier.eval()
