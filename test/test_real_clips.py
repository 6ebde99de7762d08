"""The real-video check set: the annotation file, key-frame interpolation, the OTB folder it
is rebuilt into, and (when scripts/get_real_clips.sh has fetched them) the real source videos."""
import hashlib

import cv2
import numpy as np
import pytest
import yaml

from siamcar_ros.data import DatasetError, open_dataset
from siamcar_ros.data import real_clips
from siamcar_ros.data.real_clips import (check_key_boxes, find_source, interpolate_key_boxes,
                                         load_annotations, write_contact_sheets,
                                         write_real_clips)

EXPECTED_FRAMES = {"carphone_face": 120, "bikes_shot3_cyclist": 61,
                   "bikes_shot5_parked_bicycle": 55, "megamind_shot1_roxanne": 97,
                   "megamind_shot2_bernard": 56, "megamind_shot3_roxanne": 46,
                   "megamind_shot4_bernard": 70}


def _sources_present() -> bool:
    return all((real_clips.DEFAULT_SOURCES_DIR / file).is_file()
               for file in load_annotations().sources)


needs_sources = pytest.mark.skipif(
    not _sources_present(),
    reason=f"source videos not in {real_clips.DEFAULT_SOURCES_DIR} (scripts/get_real_clips.sh)")


# ----------------------------------------------------------------------------- annotation file

def test_annotation_file_parses_into_the_expected_sequences():
    clip_set = load_annotations()
    assert {clip.name: len(clip) for clip in clip_set.clips} == EXPECTED_FRAMES
    assert set(clip_set.sources) == {"carphone_pristine.mp4", "bikes.mp4", "Megamind.avi"}
    for clip in clip_set.clips:
        assert clip.target and clip.source in clip_set.sources
        assert len(clip.key_boxes) >= len(clip) / 12   # a key frame every ~5-10 frames


def test_every_box_has_positive_size_and_lies_inside_its_frame():
    clip_set = load_annotations()
    for clip in clip_set.clips:
        source = clip_set.sources[clip.source]
        boxes, absent = clip.ground_truth()
        shown = boxes[~absent]
        assert np.all(shown[:, 2:] > 0), clip.name
        assert np.all(shown[:, :2] >= 0), clip.name
        assert np.all(shown[:, 0] + shown[:, 2] <= source.width), clip.name
        assert np.all(shown[:, 1] + shown[:, 3] <= source.height), clip.name
        assert not absent[0] and np.all(boxes[absent] == 0), clip.name


def test_the_cyclist_is_marked_absent_while_the_van_and_car_pass():
    clip = next(c for c in load_annotations().clips if c.name == "bikes_shot3_cyclist")
    _, absent = clip.ground_truth()
    assert np.flatnonzero(absent).tolist() == list(range(83 - 76, 103 - 76))


# ----------------------------------------------------------------------------- interpolation

def test_interpolation_between_key_frames_is_linear():
    boxes, absent = interpolate_key_boxes({10: (0, 0, 10, 20), 14: (8, 4, 14, 20)}, 10, 14)
    assert not absent.any()
    np.testing.assert_allclose(boxes, [[0, 0, 10, 20], [2, 1, 11, 20], [4, 2, 12, 20],
                                       [6, 3, 13, 20], [8, 4, 14, 20]])


def test_an_absent_key_lasts_until_the_next_key_frame():
    keys = {0: (0, 0, 4, 4), 2: (2, 0, 4, 4), 3: None, 6: (10, 10, 4, 4), 7: (11, 10, 4, 4)}
    boxes, absent = interpolate_key_boxes(keys, 0, 7)
    assert absent.tolist() == [False, False, False, True, True, True, False, False]
    np.testing.assert_allclose(boxes[:3, 0], [0, 1, 2])
    assert np.all(boxes[3:6] == 0)
    np.testing.assert_allclose(boxes[6:, 0], [10, 11])


@pytest.mark.parametrize("keys, message", [
    ({1: (0, 0, 4, 4), 5: (0, 0, 4, 4)}, "first frame"),
    ({0: (0, 0, 4, 4), 4: (0, 0, 4, 4)}, "last frame"),
    ({0: (0, 0, 4, 4), 3: None, 5: (0, 0, 4, 4)}, "needs a key box at frame 2"),
    ({0: (0, 0, 4, 4), 5: (0, 0, 0, 4)}, "has no area"),
    ({0: (0, 0, 4, 4), 5: (30, 0, 4, 4)}, "leaves the 32x24 image"),
])
def test_bad_key_frames_are_rejected_naming_the_sequence(keys, message):
    with pytest.raises(DatasetError, match=message) as error:
        check_key_boxes("demo", keys, 0, 5, size=(32, 24))
    assert "demo" in str(error.value)


# ----------------------------------------------------------------------------- OTB folder

def _write_video(path, frames: int, size=(48, 32)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for k in range(frames):
        writer.write(np.full((size[1], size[0], 3), 20 * k, np.uint8))
    writer.release()


@pytest.fixture
def small_set(tmp_path):
    """A 6-frame video and an annotation file cutting two sequences from it."""
    sources = tmp_path / "sources"
    sources.mkdir()
    _write_video(sources / "tiny.avi", 6)
    annotations = {
        "sources": {"tiny.avi": {
            "package": "test", "member": "tiny.avi", "width": 48, "height": 32,
            "frame_count": 6,
            "sha256": hashlib.sha256((sources / "tiny.avi").read_bytes()).hexdigest()}},
        "sequences": [
            {"name": "first", "source": "tiny.avi", "first_frame": 0, "last_frame": 3,
             "target": "a square", "boxes": {0: [1, 1, 8, 8], 1: [3, 1, 8, 8], 2: "absent",
                                             3: [5, 1, 8, 8]}},
            {"name": "second", "source": "tiny.avi", "first_frame": 2, "last_frame": 5,
             "target": "a square", "boxes": {2: [0, 0, 10, 10], 5: [6, 3, 10, 10]}}]}
    annotation_path = tmp_path / "clips.yaml"
    annotation_path.write_text(yaml.safe_dump(annotations))
    return sources, annotation_path


def test_rebuilt_folder_reads_as_the_realclips_dataset(tmp_path, small_set):
    sources, annotation_path = small_set
    root = tmp_path / "realclips"
    names = write_real_clips(root, sources, annotation_path, progress=False)
    assert names == ["first", "second"] and (root / "list.txt").read_text().split() == names
    dataset = open_dataset("realclips", root)
    assert dataset.name == "realclips" and [len(s) for s in dataset] == [4, 4]
    first, second = dataset["first"], dataset["second"]
    assert first.absent.tolist() == [False, False, True, False]
    np.testing.assert_allclose(second.ground_truth[:, :2], [[0, 0], [2, 1], [4, 2], [6, 3]])
    # frame 2 of the video is the first frame of "second" (grey level 40)
    assert abs(float(second.read_frame(0).mean()) - 40) < 3
    assert abs(float(first.read_frame(2).mean()) - 40) < 3


def test_a_complete_folder_is_kept_and_sheets_are_drawn(tmp_path, small_set):
    sources, annotation_path = small_set
    root = tmp_path / "realclips"
    write_real_clips(root, sources, annotation_path, progress=False)
    first_image = root / "first" / "img" / "0001.jpg"
    stamp = first_image.stat().st_mtime_ns
    (sources / "tiny.avi").unlink()   # not needed again: nothing is rebuilt
    write_real_clips(root, sources, annotation_path, progress=False)
    assert first_image.stat().st_mtime_ns == stamp
    sheets = write_contact_sheets(root, tmp_path / "sheets", step=2,
                                  annotation_path=annotation_path)
    assert [p.name for p in sheets] == ["first.png", "second.png"]
    assert cv2.imread(str(sheets[0])) is not None


def test_a_missing_source_names_the_file_and_the_script(tmp_path, small_set, monkeypatch):
    _, annotation_path = small_set
    monkeypatch.setattr(real_clips, "DEFAULT_SOURCES_DIR", tmp_path / "nowhere")
    with pytest.raises(DatasetError, match=r"tiny\.avi.*scripts/get_real_clips\.sh"):
        write_real_clips(tmp_path / "out", tmp_path / "empty", annotation_path, progress=False)
    with pytest.raises(DatasetError, match="Megamind.avi"):
        find_source("Megamind.avi", tmp_path / "empty")


def test_a_different_source_file_is_refused(tmp_path, small_set):
    sources, annotation_path = small_set
    _write_video(sources / "tiny.avi", 7)
    with pytest.raises(DatasetError, match="sha256"):
        write_real_clips(tmp_path / "out", sources, annotation_path, progress=False)


# ----------------------------------------------------------------------------- real videos

@needs_sources
def test_source_videos_decode_to_the_annotated_size_and_length():
    for source in load_annotations().sources.values():
        capture = cv2.VideoCapture(str(find_source(source.file)))
        count, shape = 0, None
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            count, shape = count + 1, frame.shape
        capture.release()
        assert (count, shape) == (source.frame_count, (source.height, source.width, 3))


@needs_sources
def test_real_clip_set_rebuilds_with_the_expected_frame_counts(tmp_path):
    root = tmp_path / "realclips"
    write_real_clips(root, progress=False)
    dataset = open_dataset("realclips", root)
    assert {s.name: len(s) for s in dataset} == EXPECTED_FRAMES
    assert dataset["carphone_face"].read_frame(0).shape == (144, 176, 3)
    assert dataset["bikes_shot3_cyclist"].absent.sum() == 20
