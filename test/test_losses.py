"""Losses on hand-built cases: balance of classes, -ln IoU, centre-ness BCE, weights."""
import math

import pytest
import torch

from siamcar_ros.training.losses import (LossWeights, balanced_classification_loss, iou_loss,
                                         siamcar_loss)


def _logits_for(probability_of_foreground: float, shape=(1, 2, 3, 3)) -> torch.Tensor:
    logits = torch.zeros(shape)
    logits[:, 1] = math.log(probability_of_foreground / (1 - probability_of_foreground))
    return logits


def test_classification_loss_weighs_positives_and_negatives_equally():
    labels = torch.zeros(1, 3, 3, dtype=torch.long)
    labels[0, 1, 1] = 1                       # one positive, eight negatives
    logits = _logits_for(0.8)
    expected = 0.5 * -math.log(0.8) + 0.5 * -math.log(0.2)
    assert float(balanced_classification_loss(logits, labels)) == pytest.approx(expected, rel=1e-5)


def test_classification_loss_without_positives_uses_negatives_only():
    labels = torch.zeros(1, 3, 3, dtype=torch.long)
    assert float(balanced_classification_loss(_logits_for(0.3), labels)) == pytest.approx(
        0.5 * -math.log(0.7), rel=1e-5)


def test_iou_loss_is_zero_for_a_perfect_box_and_minus_log_iou_otherwise():
    target = torch.tensor([[10.0, 10.0, 10.0, 10.0]])
    assert float(iou_loss(target.clone(), target)) == pytest.approx(0.0, abs=1e-6)
    half_width = torch.tensor([[5.0, 10.0, 5.0, 10.0]])   # same centre, half the width
    iou = (10 * 20 + 1) / (20 * 20 + 1)
    assert float(iou_loss(half_width, target)) == pytest.approx(-math.log(iou), rel=1e-5)


def _outputs(size=3, loc_value=8.0, cen_logit=0.0, fg=0.5):
    return {"cls": _logits_for(fg, (1, 2, size, size)),
            "loc": torch.full((1, 4, size, size), loc_value, requires_grad=True),
            "cen": torch.full((1, 1, size, size), cen_logit, requires_grad=True)}


def test_regression_and_centerness_use_positive_cells_only():
    labels = torch.zeros(1, 3, 3, dtype=torch.long)
    labels[0, 1, 1] = 1
    ltrb = torch.full((1, 4, 3, 3), 8.0)
    ltrb[0, :, 0, 0] = 100.0                  # a wild target on a negative cell changes nothing
    centerness = torch.zeros(1, 3, 3)
    centerness[0, 1, 1] = 1.0
    losses = siamcar_loss(_outputs(), labels, ltrb, centerness)
    assert float((losses["loc"]).detach()) == pytest.approx(0.0, abs=1e-6)
    assert float((losses["cen"]).detach()) == pytest.approx(math.log(2), rel=1e-5)   # BCE(sigmoid(0), 1)


def test_total_is_weighted_sum_with_paper_defaults():
    labels = torch.zeros(1, 3, 3, dtype=torch.long)
    labels[0, 1, 1] = 1
    ltrb = torch.full((1, 4, 3, 3), 4.0)
    centerness = torch.full((1, 3, 3), 0.5)
    losses = siamcar_loss(_outputs(), labels, ltrb, centerness)
    assert LossWeights() == LossWeights(cls=1.0, cen=1.0, loc=3.0)
    expected = losses["cls"] + losses["cen"] + 3 * losses["loc"]
    assert float((losses["total"]).detach()) == pytest.approx(float((expected).detach()))
    custom = siamcar_loss(_outputs(), labels, ltrb, centerness, LossWeights(cls=2, cen=0, loc=1))
    assert float((custom["total"]).detach()) == pytest.approx(float((2 * losses["cls"] + losses["loc"]).detach()))


def test_batch_without_positives_trains_classification_only():
    labels = torch.zeros(1, 3, 3, dtype=torch.long)
    outputs = _outputs()
    losses = siamcar_loss(outputs, labels, torch.ones(1, 4, 3, 3), torch.zeros(1, 3, 3))
    assert float((losses["loc"]).detach()) == 0 and float((losses["cen"]).detach()) == 0
    losses["total"].backward()                # still differentiable


def test_mismatched_target_shapes_are_named():
    with pytest.raises(ValueError, match="labels has shape"):
        siamcar_loss(_outputs(), torch.zeros(1, 4, 4, dtype=torch.long), torch.ones(1, 4, 3, 3),
                     torch.zeros(1, 3, 3))
    with pytest.raises(ValueError, match="must be >= 0"):
        LossWeights(cls=-1)
