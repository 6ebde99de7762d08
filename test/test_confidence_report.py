"""The confidence report of siamcar-eval: ROC AUC of on- against off-target frames and the
shares under a loss threshold, checked on cases worked out by hand."""
import numpy as np
import pytest

from siamcar_ros.evaluation.metrics import (roc_auc, score_sequence, split_confidences,
                                            summarise_confidence)
from siamcar_ros.evaluation.report import build_reports, markdown_table
from siamcar_ros.tracking.confidence import peak_score


def test_roc_auc_counts_ordered_pairs_and_ties_count_half():
    # pairs (on, off): 0.9>0.5, 0.9>0.1, 0.8>0.5, 0.8>0.1, 0.4<0.5, 0.4>0.1 -> 5 of 6
    assert roc_auc([0.9, 0.8, 0.4], [0.5, 0.1]) == pytest.approx(5 / 6)
    assert roc_auc([0.5], [0.5]) == pytest.approx(0.5)
    assert roc_auc([1.0, 0.9], [0.1, 0.2]) == 1.0
    assert roc_auc([], [0.3]) is None


def _sequence_case():
    truth = np.array([[10, 10, 20, 20]] * 6, float)
    predicted = truth.copy()
    predicted[2] = [200, 200, 20, 20]      # IoU 0: off target
    predicted[3] = [15, 10, 20, 20]        # IoU 15*20 / (2*400 - 300) = 0.6: on target
    predicted[4] = [22, 10, 20, 20]        # IoU 8*20 / (800 - 160) = 0.25: neither group
    absent = np.array([0, 0, 0, 0, 0, 1], bool)   # frame 5: hidden target, off whatever the box
    confidences = np.array([1.0, 0.9, 0.3, 0.7, 0.5, 0.6])
    return predicted, truth, absent, confidences


def test_frames_split_by_iou_and_absent_frames_count_as_off_target():
    predicted, truth, absent, confidences = _sequence_case()
    on, off = split_confidences(confidences, predicted, truth, absent)
    np.testing.assert_allclose(on, [0.9, 0.7])       # frame 0 (the initial box) left out
    np.testing.assert_allclose(off, [0.3, 0.6])


def test_summary_pools_sequences_and_reports_shares_under_the_threshold():
    predicted, truth, absent, confidences = _sequence_case()
    scores = [score_sequence("a", predicted, truth, absent, confidences=confidences),
              score_sequence("b", truth, truth, None, confidences=np.full(6, 0.2))]
    summary = summarise_confidence(scores, threshold=0.5)
    # on: 0.9, 0.7 (a) + 0.2 x5 (b); off: 0.3, 0.6 (a)
    assert (summary.on_target_frames, summary.off_target_frames) == (7, 2)
    assert summary.off_below == pytest.approx(0.5)
    assert summary.on_below == pytest.approx(5 / 7)
    # on > off pairs: 0.9 and 0.7 beat both (4); each 0.2 loses to both (0) -> 4 of 14
    assert summary.roc_auc == pytest.approx(4 / 14)


def test_trackers_without_confidences_get_no_confidence_rows():
    predicted, truth, absent, confidences = _sequence_case()
    reports = build_reports({"with": [score_sequence("a", predicted, truth, absent, confidences=confidences)],
                             "without": [score_sequence("a", predicted, truth, absent)]}, 0.5)
    table = markdown_table("demo", reports)
    assert "| with | 2 | 2 | 1.000 | 50.0 % | 0.0 % |" in table    # every on beats every off
    assert "| without |" in table.split("Confidence")[0] and "| without |" not in table.split("Confidence")[1]


def test_confidence_length_must_match_the_frames():
    predicted, truth, absent, _ = _sequence_case()
    with pytest.raises(ValueError, match="3 confidences for 6 frames"):
        score_sequence("a", predicted, truth, absent, confidences=[1, 1, 1])


def test_peak_score_is_the_largest_product_of_foreground_and_centreness():
    cls = np.array([[0.9, 0.2], [0.6, 0.1]])
    cen = np.array([[0.0, 3.0], [2.0, -1.0]])       # sigmoid: 0.5, 0.953, 0.881, 0.269
    assert peak_score(cls, cen) == pytest.approx(0.6 / (1 + np.exp(-2.0)))
