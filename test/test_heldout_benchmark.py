"""The held-out benchmark: procedural sequences cut only from OpenCV's sample photographs
(here stand-in pictures under the same file names), in the layout siamcar-eval reads."""
import importlib.util
import json

import cv2
import numpy as np
import pytest

from siamcar_ros.evaluation.cli import main as eval_main
from siamcar_ros.data.procedural import (HELDOUT_PHOTOS, PhotoPoolError, generate_sequence,
                                               photo_set, write_benchmark)
from siamcar_ros.data import open_dataset
from siamcar_ros.training.datasets import ProceduralSequences

SMALL = (96, 128)


@pytest.fixture
def photo_dir(tmp_path):
    """Pictures under the held-out file names: each a flat colour, so any pixel shows its pool."""
    directory = tmp_path / "opencv-samples"
    directory.mkdir()
    for k, name in enumerate(HELDOUT_PHOTOS):
        cv2.imwrite(str(directory / name), np.full((60, 80, 3), (k * 9 % 256, 30, 200), np.uint8))
    return directory


def test_held_out_benchmark_has_its_own_names_manifest_and_reads_as_a_dataset(tmp_path, photo_dir):
    root = tmp_path / "heldout"
    names = write_benchmark(root, seed=5, num_sequences=2, length=4, size=SMALL, progress=False,
                            photos=str(photo_dir), prefix="heldout")
    assert names == ["heldout5_000", "heldout5_001"]
    manifest = json.loads((root / "benchmark.json").read_text())
    assert manifest["photos"] == list(HELDOUT_PHOTOS) and str(photo_dir) not in json.dumps(manifest)
    dataset = open_dataset("heldout", root)
    assert dataset.name == "heldout" and [s.name for s in dataset] == names
    assert dataset[names[0]].read_frame(3).shape == (*SMALL, 3)


def test_the_photo_pool_changes_the_pictures_not_the_plan(photo_dir):
    differing = 0
    for seed in range(6):
        standing = generate_sequence(seed, length=3, size=SMALL)
        heldout = generate_sequence(seed, length=3, size=SMALL, photos=str(photo_dir))
        assert standing.attributes == heldout.attributes
        differing += not np.array_equal(standing.frames[0], heldout.frames[0])
    assert differing >= 3      # most sequences show a photograph somewhere


def test_a_directory_without_the_photographs_is_refused_naming_the_script(tmp_path):
    with pytest.raises(PhotoPoolError, match=r"lacks \['fruits.jpg'.*get_heldout_photos.sh"):
        photo_set(str(tmp_path))
    with pytest.raises(PhotoPoolError, match="neither one of"):
        photo_set(str(tmp_path / "nowhere"))


def test_training_never_takes_a_directory_pool(photo_dir):
    with pytest.raises(ValueError, match="held-out photographs are for evaluation only"):
        ProceduralSequences(photos=str(photo_dir))


def test_the_training_pool_adds_photographs_to_the_standard_one():
    if importlib.util.find_spec("sklearn") is None:
        pytest.skip("the training pool needs requirements-train.txt")
    standard, training = photo_set("standard"), photo_set("training")
    assert len(training[0]) > len(standard[0]) and training[1] == standard[1]


def test_eval_cli_without_held_out_photographs_says_how_to_get_them(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = eval_main(["--dataset", "heldout", "--trackers", "kcf", "--quiet",
                      "--root", str(tmp_path / "h")])
    assert code == 2
    assert "scripts/get_heldout_photos.sh" in capsys.readouterr().err
