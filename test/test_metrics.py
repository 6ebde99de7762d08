"""Metrics match the got10k toolkit on the same boxes and the same result files (1e-6)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from got10k.experiments.got10k import ExperimentGOT10k  # noqa: E402
from got10k.experiments.otb import ExperimentOTB  # noqa: E402
from got10k.experiments.uav123 import ExperimentUAV123  # noqa: E402
from got10k.utils.metrics import center_error, rect_iou  # noqa: E402

from siamcar_ros.evaluation import metrics  # noqa: E402
from siamcar_ros.data import read_got10k, read_otb  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def _random_boxes(rng, count, spread=60.0):
    truth = np.column_stack([rng.uniform(0, 200, (count, 2)), rng.uniform(5, 80, (count, 2))])
    noise = rng.normal(0, 1, (count, 4)) * [spread / 4, spread / 4, spread / 8, spread / 8]
    predicted = truth + noise
    predicted[:, 2:] = np.abs(predicted[:, 2:]) + 1
    return predicted, truth


def _toolkit_otb():
    experiment = ExperimentOTB.__new__(ExperimentOTB)
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    return experiment


def test_iou_and_centre_error_match_got10k_including_image_clipping():
    rng = np.random.default_rng(0)
    predicted, truth = _random_boxes(rng, 500)
    np.testing.assert_allclose(metrics.iou(predicted, truth), rect_iou(predicted, truth),
                               atol=1e-12)
    np.testing.assert_allclose(metrics.centre_error(predicted, truth),
                               center_error(predicted, truth), atol=1e-12)
    bound = (150, 120)
    expected = rect_iou(predicted.copy(), truth.copy(), bound=bound)   # got10k clips in place
    np.testing.assert_allclose(metrics.iou(predicted, truth, image_size=bound), expected,
                               atol=1e-12)


def test_success_and_precision_curves_match_got10k_otb_curves():
    rng = np.random.default_rng(1)
    predicted, truth = _random_boxes(rng, 300)
    ious, errors = rect_iou(predicted, truth), center_error(predicted, truth)
    expected_success, expected_precision = _toolkit_otb()._calc_curves(ious, errors)
    score = metrics.score_sequence("seq", predicted, truth)
    np.testing.assert_allclose(score.success_curve, expected_success, atol=1e-6)
    np.testing.assert_allclose(score.precision_curve, expected_precision, atol=1e-6)


def test_nan_ground_truth_frames_are_left_out_like_got10k_uav123():
    rng = np.random.default_rng(2)
    predicted, truth = _random_boxes(rng, 100)
    truth[[3, 50, 51]] = np.nan
    experiment = ExperimentUAV123.__new__(ExperimentUAV123)
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    expected = experiment._calc_curves(*experiment._calc_metrics(predicted, truth))
    score = metrics.score_sequence("seq", predicted, truth)
    assert score.num_frames == 97
    np.testing.assert_allclose(score.success_curve, expected[0], atol=1e-6)
    np.testing.assert_allclose(score.precision_curve, expected[1], atol=1e-6)


class _ToolkitSequences:
    """The minimal dataset object ExperimentOTB.report iterates over."""

    def __init__(self, dataset):
        self.seq_names = [s.name for s in dataset]
        self._annos = [s.ground_truth for s in dataset]

    def __len__(self):
        return len(self.seq_names)

    def __iter__(self):
        return iter([(None, anno) for anno in self._annos])


def _write_result(path, boxes):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, boxes, fmt="%.3f", delimiter=",")


def test_otb_report_matches_got10k_on_the_same_result_files(tmp_path):
    dataset = read_otb(FIXTURES / "otb")
    rng = np.random.default_rng(3)
    scores = []
    for sequence in dataset:
        predicted = sequence.ground_truth + rng.normal(0, 2.5, sequence.ground_truth.shape)
        predicted[0] = sequence.ground_truth[0]
        result_file = tmp_path / "results" / "mine" / f"{sequence.name}.txt"
        _write_result(result_file, predicted)
        scores.append(metrics.score_sequence(sequence.name, np.loadtxt(result_file, delimiter=","),
                                              sequence.ground_truth))
    experiment = _toolkit_otb()
    experiment.dataset = _ToolkitSequences(dataset)
    experiment.result_dir, experiment.report_dir = str(tmp_path / "results"), str(tmp_path / "rep")
    expected = experiment.report(["mine"])["mine"]["overall"]
    summary = metrics.summarise(scores)
    assert summary.success_auc == pytest.approx(expected["success_score"], abs=1e-6)
    assert summary.precision == pytest.approx(expected["precision_score"], abs=1e-6)
    np.testing.assert_allclose(summary.success_curve, expected["success_curve"], atol=1e-6)
    np.testing.assert_allclose(summary.precision_curve, expected["precision_curve"], atol=1e-6)


def test_got10k_val_ao_and_sr_match_got10k_report_on_the_same_result_files(tmp_path):
    dataset = read_got10k(FIXTURES / "got10k", "val")
    rng = np.random.default_rng(4)
    scores = []
    for sequence in dataset:
        predicted = sequence.ground_truth + rng.normal(0, 3.0, sequence.ground_truth.shape)
        predicted[:, :2] -= 4          # push some boxes over the image border
        result_file = tmp_path / "results" / "GOT-10k" / "mine" / sequence.name / (
            f"{sequence.name}_001.txt")
        _write_result(result_file, predicted)
        np.savetxt(result_file.parent / f"{sequence.name}_time.txt", np.full(len(predicted), 0.01))
        scores.append(metrics.score_sequence(
            sequence.name, np.loadtxt(result_file, delimiter=","), sequence.ground_truth,
            sequence.absent, skip_first_frame=True, image_size=sequence.image_size))
    experiment = ExperimentGOT10k(str(FIXTURES / "got10k"), subset="val",
                                  result_dir=str(tmp_path / "results"),
                                  report_dir=str(tmp_path / "reports"))
    expected = experiment.report(["mine"])["mine"]["overall"]
    summary = metrics.summarise(scores)
    assert summary.num_frames == 3      # 5 frames minus the first minus one absent
    assert summary.ao == pytest.approx(expected["ao"], abs=1e-6)
    assert summary.sr50 == pytest.approx(expected["sr"], abs=1e-6)
    np.testing.assert_allclose(summary.success_curve, np.asarray(expected["succ_curve"])[::5],
                               atol=1e-6)


def test_normalised_precision_divides_by_ground_truth_size():
    truth = np.array([[0, 0, 100, 50], [0, 0, 10, 10]], float)
    predicted = truth + [[10, 5, 0, 0], [0.5, 0, 0, 0]]
    np.testing.assert_allclose(metrics.normalised_centre_error(predicted, truth),
                               [np.hypot(0.1, 0.1), 0.05])
    score = metrics.score_sequence("s", predicted, truth)
    assert score.norm_precision_curve[metrics.NORM_PRECISION_INDEX] == 1.0
    assert score.norm_precision_curve[10] == 0.5    # only the 0.05 error is within 0.1


def test_perfect_tracking_scores_the_toolkit_maximum_and_absent_frames_are_ignored():
    truth = np.array([[10, 10, 20, 20]] * 5, float)
    predicted = truth.copy()
    predicted[2] = [500, 500, 5, 5]     # wrong only where the target is absent
    absent = np.array([0, 0, 1, 0, 0], bool)
    summary = metrics.summarise([metrics.score_sequence("s", predicted, truth, absent)])
    assert summary.num_frames == 4
    assert summary.success_auc == pytest.approx(20 / 21)   # IoU 1 is not above threshold 1
    assert summary.precision == 1.0 and summary.ao == 1.0 and summary.sr75 == 1.0


def test_per_attribute_summaries_only_use_sequences_with_the_attribute():
    good = metrics.score_sequence("a", [[0, 0, 10, 10]], [[0, 0, 10, 10]], attributes=["blur"])
    bad = metrics.score_sequence("b", [[50, 50, 10, 10]], [[0, 0, 10, 10]],
                                 attributes=["blur", "rotation"])
    by_attribute = metrics.summarise_by_attribute([good, bad])
    assert list(by_attribute) == ["blur", "rotation"]
    assert by_attribute["rotation"].ao == 0.0 and by_attribute["blur"].ao == 0.5


def test_mismatched_lengths_and_bad_shapes_are_rejected_with_the_sequence_name():
    with pytest.raises(ValueError, match="seqX: 2 predicted boxes for 3"):
        metrics.score_sequence("seqX", np.zeros((2, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="N x 4"):
        metrics.iou(np.zeros((2, 5)), np.zeros((2, 5)))
