"""Dataset readers on tiny fixtures of each layout, the procedural source, and pair sampling."""
from pathlib import Path

import numpy as np
import pytest

from siamcar_ros.training.datasets import (DatasetError, ProceduralSequences, build_sources,
                                           read_coco, read_got10k, read_imagenet_det,
                                           read_imagenet_vid, read_lasot, read_youtube_bb)
from siamcar_ros.training.sampling import PairSampler, PairSamplingConfig, annotated_frames
from siamcar_ros.training.targets import CellGrid

FIXTURES = Path(__file__).parent / "fixtures" / "training"


def _boxes(source, index):
    return [source.box(index, k) for k in range(source.sequence_length(index))]


def test_got10k_reads_sequences_boxes_and_absence():
    source = read_got10k(FIXTURES / "got10k", "train")
    assert len(source) == 2
    assert source.sequence_length(0) == 4 and source.sequence_length(1) == 3
    assert source.box(0, 0) == pytest.approx((10, 8, 16, 12))
    assert source.box(0, 2) is None  # absence.label marks frame 3
    assert source.frame(0, 1).shape == (48, 64, 3)


def test_lasot_masks_fully_occluded_frames():
    source = read_lasot(FIXTURES / "lasot")
    assert len(source) == 1
    assert _boxes(source, 0)[1] is None
    assert source.box(0, 2) == pytest.approx((16, 12, 16, 12))
    assert len(read_lasot(FIXTURES / "lasot", sequences=["dog-1"])) == 0


def test_coco_keeps_non_crowd_instances_large_enough():
    source = read_coco(FIXTURES / "coco", "train2017")
    assert len(source) == 2  # the crowd box and the 2 px box are dropped
    assert source.box(1, 0) == pytest.approx((30, 10, 18, 18))
    assert source.frame(0, 0).shape == (48, 64, 3)


def test_imagenet_vid_makes_one_sequence_per_track_with_gaps():
    source = read_imagenet_vid(FIXTURES / "imagenet_vid", "train")
    assert len(source) == 2
    lengths = {source.sequence_length(i) for i in range(len(source))}
    assert lengths == {3}
    track_one = next(i for i in range(len(source)) if source.box(i, 1) is None)
    assert source.box(track_one, 0) == pytest.approx((40, 20, 16, 16))
    assert source.frame(0, 2).shape == (48, 64, 3)


def test_imagenet_det_makes_one_still_per_object():
    source = read_imagenet_det(FIXTURES / "imagenet_det", "train")
    assert len(source) == 2
    assert source.box(0, 0) == pytest.approx((4, 5, 20, 16))
    assert source.frame(1, 0).shape == (48, 64, 3)


def test_youtube_bb_converts_fractions_to_pixels_and_keeps_absent_frames():
    source = read_youtube_bb(FIXTURES / "youtube_bb")
    assert len(source) == 1 and source.sequence_length(0) == 3
    assert source.box(0, 0) == pytest.approx((0.1 * 64, 0.2 * 48, 0.3 * 64, 0.4 * 48))
    assert source.box(0, 2) is None


@pytest.mark.parametrize("reader, argument", [
    (read_got10k, "missing_dir"), (read_lasot, "missing_dir"), (read_coco, "missing_dir"),
    (read_imagenet_vid, "missing_dir"), (read_imagenet_det, "missing_dir"),
    (read_youtube_bb, "missing_dir")])
def test_missing_dataset_root_is_a_clear_error(reader, argument, tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        reader(tmp_path / argument)


def test_malformed_ground_truth_names_file_and_line(tmp_path):
    sequence = tmp_path / "train" / "seq1"
    sequence.mkdir(parents=True)
    (sequence / "groundtruth.txt").write_text("1,2,3,4\n1,2,x,4\n")
    (tmp_path / "train" / "list.txt").write_text("seq1\n")
    with pytest.raises(DatasetError, match="groundtruth.txt:2"):
        read_got10k(tmp_path)


def test_unknown_source_option_is_rejected():
    with pytest.raises(DatasetError, match="unsupported options"):
        build_sources([{"type": "got10k", "root": str(FIXTURES / "got10k"), "colour": 1}])


def test_procedural_source_rotates_its_pool_and_avoids_benchmark_seeds():
    source = ProceduralSequences(first_seed=5, pool_size=2, refresh_per_epoch=1, length=4,
                                 size=(64, 64))
    assert [source.seed_of(i) for i in range(2)] == [5, 6]
    source.set_epoch(3)
    assert [source.seed_of(i) for i in range(2)] == [8, 9]
    assert source.frame(0, 1).shape == (64, 64, 3)
    assert source.box(0, 0) is not None
    with pytest.raises(ValueError, match="benchmark"):
        ProceduralSequences(first_seed=10**12)


def test_pairs_from_every_layout_have_targets_on_the_box():
    sources, weights = build_sources([
        {"type": "got10k", "root": str(FIXTURES / "got10k")},
        {"type": "lasot", "root": str(FIXTURES / "lasot")},
        {"type": "coco", "root": str(FIXTURES / "coco")},
        {"type": "imagenet_vid", "root": str(FIXTURES / "imagenet_vid")},
        {"type": "imagenet_det", "root": str(FIXTURES / "imagenet_det")},
        {"type": "youtube_bb", "root": str(FIXTURES / "youtube_bb")}])
    grid = CellGrid(score_size=25, stride=8, offset=32)
    config = PairSamplingConfig(negative_probability=0.0)
    for number, source in enumerate(sources):
        sampler = PairSampler([source], config, grid)
        pair = sampler.sample(np.random.default_rng(number))
        assert pair.template.shape == (127, 127, 3) and pair.search.shape == (255, 255, 3)
        assert pair.targets.labels.shape == (25, 25)
        x0, y0, x1, y1 = pair.search_box
        # the search box is about as large as a target cropped with context 0.5 (~64 px)
        assert 30 < (x1 - x0 + y1 - y0) / 2 < 100
        assert pair.targets.labels.sum() > 0


def test_negative_pairs_have_no_positive_cells():
    source = read_got10k(FIXTURES / "got10k")
    sampler = PairSampler([source], PairSamplingConfig(negative_probability=1.0),
                          CellGrid(25, 8, 32))
    pair = sampler.sample(np.random.default_rng(0))
    assert pair.negative and pair.targets.labels.sum() == 0


def test_search_frame_stays_within_frame_range_and_skips_absent_frames():
    source = read_got10k(FIXTURES / "got10k")
    assert annotated_frames(source, 0, 2.0) == [0, 1, 3]


def test_displaced_search_crops_move_the_target_off_centre_with_true_labels():
    source = read_got10k(FIXTURES / "got10k")
    grid = CellGrid(25, 8, 32)
    displaced = PairSampler([source], PairSamplingConfig(negative_probability=0.0,
                                                         displaced_probability=1.0,
                                                         displaced_shift=255.0), grid)
    offsets, without_positives = [], 0
    for seed in range(12):
        pair = displaced.sample(np.random.default_rng(seed))
        x0, y0, x1, y1 = pair.search_box
        offsets.append(max(abs((x0 + x1) / 2 - 127), abs((y0 + y1) / 2 - 127)))
        without_positives += int(pair.targets.labels.sum() == 0)
        assert not pair.negative
    assert max(offsets) > 100 and without_positives > 0


def test_distractor_crops_centre_on_a_look_alike_and_keep_the_true_target_labels():
    from siamcar_ros.data.procedural import generate_sequence

    seed = next(s for s in range(1, 200)
                if "similar_distractors" in generate_sequence(s, 30, (240, 320)).attributes)
    source = ProceduralSequences(first_seed=seed, pool_size=1, refresh_per_epoch=0, length=30,
                                 size=(240, 320))
    assert source.distractor_centers(0, 5)
    grid = CellGrid(25, 8, 31)
    sampler = PairSampler([source], PairSamplingConfig(negative_probability=0.0, distractor_probability=1.0,
                                                       frame_range=5), grid)
    offsets, empty = [], 0
    for k in range(10):
        pair = sampler.sample(np.random.default_rng(k))
        x0, y0, x1, y1 = pair.search_box
        offsets.append(np.hypot((x0 + x1) / 2 - 127, (y0 + y1) / 2 - 127))
        empty += int(pair.targets.labels.sum() == 0)
        assert not pair.negative
    assert min(offsets) > 20          # every crop is centred elsewhere than on the target
    assert empty < 10 or max(offsets) > 100
