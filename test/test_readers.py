"""Benchmark readers on tiny copies of each layout (test/fixtures), including absent frames."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from siamcar_ros.data import (DatasetError, open_dataset, polygon_bounding_box,
                                            read_got10k, read_lasot, read_otb, read_trackingnet,
                                            read_uav123, read_vot)

FIXTURES = Path(__file__).parent / "fixtures"


def test_otb_reads_mixed_separators_two_target_sequences_and_late_starts():
    dataset = read_otb(FIXTURES / "otb")
    assert [s.name for s in dataset] == ["Basketball", "Jogging-1", "Jogging-2", "Tiger1"]
    jogging2 = dataset["Jogging-2"]                  # space separated
    np.testing.assert_allclose(jogging2.ground_truth[0], [40, 20, 8, 14])
    assert dataset["Jogging-1"].ground_truth.shape == (3, 4)   # tab separated
    tiger = dataset["Tiger1"]
    assert [p.name for p in tiger.frame_paths] == ["0006.jpg", "0007.jpg", "0008.jpg"]
    assert tiger.read_frame(0).shape == (48, 64, 3)
    assert not any(s.absent.any() for s in dataset)


def test_uav123_nan_rows_are_absent_and_split_sequences_start_part_way():
    dataset = read_uav123(FIXTURES / "uav123", split_starts={"bird1": (1, 3)})
    bike = dataset["bike1"]
    np.testing.assert_array_equal(bike.absent, [False, False, True, False])
    assert np.isnan(bike.ground_truth[2]).all()
    assert [p.name for p in dataset["bird1_2"].frame_paths] == [
        "000003.jpg", "000004.jpg", "000005.jpg"]
    assert len(dataset["bird1_1"]) == 2


def test_lasot_absent_is_full_occlusion_or_out_of_view():
    sequence = read_lasot(FIXTURES / "lasot")["airplane-1"]
    np.testing.assert_array_equal(sequence.absent, [False, False, True, True])
    np.testing.assert_array_equal(sequence.frame_attributes["out_of_view"], [0, 0, 0, 1])


def test_got10k_val_uses_cover_and_absence_and_the_image_resolution():
    dataset = read_got10k(FIXTURES / "got10k", "val")
    sequence = dataset["GOT-10k_Val_000001"]
    np.testing.assert_array_equal(sequence.absent, [False, False, False, True, False])
    assert sequence.image_size == (64, 48)
    assert dataset.protocol.skip_first_frame and dataset.protocol.clip_to_image


def test_got10k_test_knows_only_the_first_box():
    sequence = read_got10k(FIXTURES / "got10k", "test")["GOT-10k_Test_000001"]
    assert len(sequence) == 3
    np.testing.assert_allclose(sequence.initial_box, [30, 10, 10, 10])
    assert np.isnan(sequence.ground_truth[1:]).all()
    assert not sequence.has_full_ground_truth


def test_trackingnet_orders_frames_numerically_and_reads_test_first_boxes():
    train = read_trackingnet(FIXTURES / "trackingnet", chunks=("TRAIN_0",))["seqA"]
    assert [p.name for p in train.frame_paths][-3:] == ["8.jpg", "9.jpg", "10.jpg"]
    np.testing.assert_allclose(train.ground_truth[10], [14, 9, 10, 8])
    test = read_trackingnet(FIXTURES / "trackingnet")        # TEST is the default chunk
    assert [s.name for s in test] == ["seqB"] and not test["seqB"].has_full_ground_truth


def test_vot_polygons_become_bounding_boxes_and_init_box_keeps_area():
    dataset = read_vot(FIXTURES / "vot")
    ball = dataset["ball"]
    polygon = np.loadtxt(FIXTURES / "vot" / "ball" / "groundtruth.txt", delimiter=",")[0]
    xs, ys = polygon[0::2], polygon[1::2]
    np.testing.assert_allclose(ball.ground_truth[0],
                               [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()])
    init = ball.initial_box
    np.testing.assert_allclose((init[2] - 1) * (init[3] - 1), 16 * 8, rtol=1e-6)
    np.testing.assert_allclose(init[:2] + (init[2:] - 1) / 2, [xs.mean(), ys.mean()])
    assert ball.attributes == ["camera_motion"]
    assert dataset["bag"].frame_paths[0].parent.name == "bag"      # images beside the gt


def test_polygon_bounding_box_of_an_axis_aligned_square():
    square = np.array([[1, 2, 5, 2, 5, 7, 1, 7]], float)
    np.testing.assert_allclose(polygon_bounding_box(square), [[1, 2, 4, 5]])


def test_open_dataset_rejects_an_unknown_layout_name():
    with pytest.raises(DatasetError, match="unknown dataset layout 'imagenet'.*otb"):
        open_dataset("imagenet", FIXTURES)


def test_missing_ground_truth_file_is_named(tmp_path):
    shutil.copytree(FIXTURES / "lasot", tmp_path / "lasot")
    (tmp_path / "lasot" / "airplane" / "airplane-1" / "out_of_view.txt").unlink()
    with pytest.raises(DatasetError, match="out_of_view.txt: file not found"):
        read_lasot(tmp_path / "lasot")


def test_malformed_ground_truth_line_is_named_with_its_line_number(tmp_path):
    shutil.copytree(FIXTURES / "otb" / "Basketball", tmp_path / "Basketball")
    gt = tmp_path / "Basketball" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    lines[2] = "12,abc,12,16"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"groundtruth_rect.txt:3: expected numbers"):
        read_otb(tmp_path)
    lines[2] = "12,9,12"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"groundtruth_rect.txt:3: expected 4 values, got 3"):
        read_otb(tmp_path)


def test_box_count_that_disagrees_with_the_frames_is_reported(tmp_path):
    shutil.copytree(FIXTURES / "got10k", tmp_path / "got10k")
    (tmp_path / "got10k" / "val" / "GOT-10k_Val_000001" / "00000005.jpg").unlink()
    with pytest.raises(DatasetError, match="groundtruth.txt: 5 boxes for 4 frames"):
        read_got10k(tmp_path / "got10k", "val")


def test_folder_without_the_layout_is_reported(tmp_path):
    with pytest.raises(DatasetError, match="no OTB sequences"):
        read_otb(tmp_path)
    with pytest.raises(DatasetError, match="list.txt: GOT-10k sequence list not found"):
        read_got10k(tmp_path, "val")
    with pytest.raises(DatasetError, match="root folder not found"):
        read_vot(tmp_path / "nowhere")
