"""SiamCAR training losses (Eq. 4-8): balanced classification cross-entropy, IoU loss
(-ln IoU) and centre-ness binary cross-entropy, the latter two over positive cells."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from siamcar_ros.training.targets import NEGATIVE, POSITIVE


@dataclass(frozen=True)
class LossWeights:
    """Total = cls * L_cls + cen * L_cen + loc * L_reg (the paper: 1, 1, 3)."""

    cls: float = 1.0
    cen: float = 1.0
    loc: float = 3.0

    def __post_init__(self):
        for name in ("cls", "cen", "loc"):
            if getattr(self, name) < 0:
                raise ValueError(f"loss weight {name!r} must be >= 0, got {getattr(self, name)}")


def balanced_classification_loss(cls_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy averaged separately over positive and negative cells, then halved each,
    so the few positives weigh as much as the many negatives. cls_logits: Bx2xSxS,
    labels: BxSxS with 1 / 0 (other values are ignored)."""
    log_probs = F.log_softmax(cls_logits, dim=1)
    flat_log_probs = log_probs.permute(0, 2, 3, 1).reshape(-1, 2)
    flat_labels = labels.reshape(-1)
    total = cls_logits.new_zeros(())
    for label in (POSITIVE, NEGATIVE):
        chosen = flat_labels == label
        if chosen.any():
            total = total + 0.5 * F.nll_loss(flat_log_probs[chosen], flat_labels[chosen])
    return total


def iou_loss(pred_ltrb: torch.Tensor, target_ltrb: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Mean of -ln IoU between boxes given as distances (l, t, r, b) from the same point.
    pred_ltrb, target_ltrb: Nx4, both positive. eps smooths both areas (UnitBox style)."""
    if pred_ltrb.numel() == 0:
        return pred_ltrb.sum()
    pred_area = (pred_ltrb[:, 0] + pred_ltrb[:, 2]) * (pred_ltrb[:, 1] + pred_ltrb[:, 3])
    target_area = (target_ltrb[:, 0] + target_ltrb[:, 2]) * (target_ltrb[:, 1] + target_ltrb[:, 3])
    overlap_w = torch.min(pred_ltrb[:, 0], target_ltrb[:, 0]) + torch.min(pred_ltrb[:, 2], target_ltrb[:, 2])
    overlap_h = torch.min(pred_ltrb[:, 1], target_ltrb[:, 1]) + torch.min(pred_ltrb[:, 3], target_ltrb[:, 3])
    intersection = overlap_w * overlap_h
    union = pred_area + target_area - intersection
    return -torch.log((intersection + eps) / (union + eps)).mean()


def siamcar_loss(outputs: dict, labels: torch.Tensor, ltrb_targets: torch.Tensor,
                 centerness_targets: torch.Tensor, weights: LossWeights = LossWeights()) -> dict:
    """All three losses and their weighted total.

    outputs: the model's dict with cls (Bx2xSxS logits), loc (Bx4xSxS, positive distances)
    and cen (Bx1xSxS logits). labels BxSxS, ltrb_targets Bx4xSxS, centerness_targets BxSxS.
    Regression and centre-ness use the positive cells only; a batch without positives
    contributes only its classification loss.
    """
    _check_shapes(outputs, labels, ltrb_targets, centerness_targets)
    cls_loss = balanced_classification_loss(outputs["cls"], labels)
    positive = (labels == POSITIVE).reshape(-1)
    pred_ltrb = outputs["loc"].permute(0, 2, 3, 1).reshape(-1, 4)[positive]
    target_ltrb = ltrb_targets.permute(0, 2, 3, 1).reshape(-1, 4)[positive]
    loc_loss = iou_loss(pred_ltrb, target_ltrb)
    cen_logits = outputs["cen"].reshape(-1)[positive]
    if cen_logits.numel():
        cen_loss = F.binary_cross_entropy_with_logits(cen_logits, centerness_targets.reshape(-1)[positive])
    else:
        cen_loss = cen_logits.sum()
    total = weights.cls * cls_loss + weights.cen * cen_loss + weights.loc * loc_loss
    return {"total": total, "cls": cls_loss, "loc": loc_loss, "cen": cen_loss}


def _check_shapes(outputs, labels, ltrb_targets, centerness_targets):
    for key in ("cls", "loc", "cen"):
        if key not in outputs:
            raise KeyError(f"model outputs lack {key!r}; expected keys cls, loc, cen")
    batch, _, rows, cols = outputs["cls"].shape
    expected = {"labels": (labels, (batch, rows, cols)),
                "ltrb_targets": (ltrb_targets, (batch, 4, rows, cols)),
                "centerness_targets": (centerness_targets, (batch, rows, cols))}
    for name, (tensor, shape) in expected.items():
        if tuple(tensor.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, expected {shape} "
                             "to match the model's score map")
