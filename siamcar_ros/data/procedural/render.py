"""Frame ``index`` of a plan as BGR uint8: view, distractors, target, occluders, lighting, blur."""
from __future__ import annotations

import cv2
import numpy as np

from .events import Occluder
from .geometry import Placement, half_extents, patch_transform
from .plan import SequencePlan


def _line_kernel(length: float, angle_deg: float) -> np.ndarray:
    side = int(np.ceil(length)) | 1
    kernel = np.zeros((side, side), np.float32)
    centre = side // 2
    dx = 0.5 * (length - 1) * np.cos(np.radians(angle_deg))
    dy = 0.5 * (length - 1) * np.sin(np.radians(angle_deg))
    p0 = (int(round(centre - dx)), int(round(centre - dy)))
    p1 = (int(round(centre + dx)), int(round(centre + dy)))
    cv2.line(kernel, p0, p1, 1.0, 1, cv2.LINE_AA)
    return kernel / kernel.sum()


def paste_patch(frame: np.ndarray, pyramid: tuple[np.ndarray, ...], placement: Placement,
                blur: np.ndarray | None = None) -> None:
    """Composite a rotated, scaled patch into frame in place (optionally motion-blurred)."""
    level = 0
    while (level + 1 < len(pyramid)
           and placement.width / pyramid[level].shape[1] < 0.5
           and placement.height / pyramid[level].shape[0] < 0.5):
        level += 1
    patch = pyramid[level]
    transform = patch_transform(placement, patch.shape)
    margin = 2 + (blur.shape[0] // 2 if blur is not None else 0)
    half = half_extents(np.array(placement.width), np.array(placement.height),
                        np.array(placement.angle_deg))
    height, width = frame.shape[:2]
    x0 = max(0, int(np.floor(placement.cx - half[0])) - margin)
    y0 = max(0, int(np.floor(placement.cy - half[1])) - margin)
    x1 = min(width, int(np.ceil(placement.cx + half[0])) + margin + 1)
    y1 = min(height, int(np.ceil(placement.cy + half[1])) + margin + 1)
    if x1 <= x0 or y1 <= y0:
        return
    transform[:, 2] -= (x0, y0)
    roi_size = (x1 - x0, y1 - y0)
    colour = cv2.warpAffine(patch.astype(np.float32), transform, roi_size,
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpAffine(np.ones(patch.shape[:2], np.float32), transform, roi_size,
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    # warped colour is already premultiplied by alpha (zero border); blur both alike
    if blur is not None:
        colour = cv2.filter2D(colour, -1, blur, borderType=cv2.BORDER_CONSTANT)
        alpha = cv2.filter2D(alpha, -1, blur, borderType=cv2.BORDER_CONSTANT)
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    blended = colour + (1.0 - alpha[..., None]) * roi
    frame[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def _paste_occluder(frame: np.ndarray, occluder: Occluder, index: int) -> None:
    x0, y0, x1, y1 = occluder.boxes[index]
    height, width = frame.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    texture = occluder.texture
    tx0 = min(cx0 - x0, texture.shape[1] - 1)
    ty0 = min(cy0 - y0, texture.shape[0] - 1)
    piece = texture[ty0:ty0 + cy1 - cy0, tx0:tx0 + cx1 - cx0]
    frame[cy0:cy0 + piece.shape[0], cx0:cx0 + piece.shape[1]] = piece


def render_frame(plan: SequencePlan, index: int) -> np.ndarray:
    height, width = plan.size
    ox, oy = plan.camera[index]
    frame = plan.canvas[oy:oy + height, ox:ox + width].copy()
    for pyramid, placements in plan.distractors:
        paste_patch(frame, pyramid, placements[index])
    blur = None
    if plan.blur_length[index] >= 2:
        blur = _line_kernel(plan.blur_length[index], plan.blur_angle[index])
    paste_patch(frame, plan.target_pyramid, plan.target[index], blur)
    for occluder in plan.occluders:
        if index in occluder.boxes:
            _paste_occluder(frame, occluder, index)
    if plan.gain is not None:
        gain = cv2.resize(plan.gain[index], (width, height), interpolation=cv2.INTER_LINEAR)
        frame = np.clip(frame * gain[..., None] + 0.5, 0, 255).astype(np.uint8)
    if np.any(plan.camera_blur[index]):
        frame = _shift_blur(frame, plan.camera_blur[index])
    return frame


def _shift_blur(frame: np.ndarray, vector: np.ndarray, taps: int = 7) -> np.ndarray:
    """Whole-frame motion blur as the mean of shifted copies (a long line kernel is slow)."""
    offsets = np.rint(np.linspace(-0.5, 0.5, taps)[:, None] * vector[None]).astype(int)
    border = int(np.abs(offsets).max())
    padded = cv2.copyMakeBorder(frame, border, border, border, border, cv2.BORDER_REFLECT)
    height, width = frame.shape[:2]
    total = np.zeros(frame.shape, np.uint16)
    for dx, dy in offsets:
        total += padded[border + dy:border + dy + height, border + dx:border + dx + width]
    return ((total + taps // 2) // taps).astype(np.uint8)
