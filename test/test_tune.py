"""siamcar-tune: grid, validation set, ranking on real tracking runs, and the export record."""
import csv
from pathlib import Path

import pytest
import yaml

from siamcar_ros.model.checkpoint import read_checkpoint
from siamcar_ros.tracking import default_checkpoint_path, load_tracker
from siamcar_ros.training.package_model import main as export_main
from siamcar_ros.data import open_dataset
from siamcar_ros.training.tune import (BENCHMARK_SEED, build_grid, candidate_name, file_digest,
                                       main, read_best, read_tuning, tune, validation_set,
                                       write_outputs)

FIXTURES = Path(__file__).parent / "fixtures"


def test_grid_is_every_combination_with_distinct_names():
    combos = build_grid({"strategy": ("reference", "coarse_to_fine"),
                         "window_influence": (0.2, 0.4), "penalty_k": (0.1,), "lr": (0.3, 0.6)})
    assert len(combos) == 8
    assert len({candidate_name(combo) for combo in combos}) == 8
    assert candidate_name({"strategy": "reference", "window_influence": 0.4, "penalty_k": 0.1,
                           "lr": 0.3}) == "s-reference_wi0.4_pk0.1_lr0.3"


@pytest.mark.parametrize("grid, words", [
    ({"lr": (1.5,)}, "lr: must be within 0..1, got 1.5"),
    ({"context_amount": (0.5,)}, "cannot tune ['context_amount']"),
    ({"penalty_k": ()}, "no values given for ['penalty_k']"),
    ({"strategy": ("sideways",)}, "'sideways' is not one of 'coarse_to_fine', 'coarse_to_fine_box', 'reference'"),
])
def test_bad_grid_values_are_refused_before_any_run(grid, words):
    with pytest.raises(ValueError) as error:
        build_grid(grid)
    assert words in str(error.value)


def test_the_benchmark_seed_is_refused(tmp_path):
    with pytest.raises(ValueError, match="standing benchmark"):
        validation_set(tmp_path, BENCHMARK_SEED, 2, 10, (120, 160), progress=False)
    assert not any(tmp_path.iterdir())


def test_tuning_ranks_real_runs_and_export_records_the_winner(tmp_path, capsys):
    output = tmp_path / "tune"
    code = main([str(default_checkpoint_path()), "--output", str(output),
                 "--procedural-sequences", "2", "--procedural-length", "20",
                 "--strategy", "reference", "--window-influence", "0.0", "0.95",
                 "--penalty-k", "0.1", "--lr", "0.5", "--quiet"])
    assert code == 0, capsys.readouterr().err
    with open(output / "ranking.csv", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 2
    aucs = [float(row["success_auc"]) for row in rows]
    assert aucs == sorted(aucs, reverse=True)
    assert all(int(row["frames"]) > 0 for row in rows)
    best = read_best(output / "best.yaml")
    assert best["window_influence"] == float(rows[0]["window_influence"])
    assert best["strategy"] == "reference"
    # one result file per combination and sequence, filed under the checkpoint's digest
    assert len(list((output / "results").glob("*/procedural/*/*.txt"))) == 4

    model = tmp_path / "model.pth"
    stage = Path(__file__).resolve().parents[1] / "training_configs" / "train_mobilenet.yaml"
    assert export_main([str(default_checkpoint_path()), "--stages", str(stage), "--output",
                        str(model), "--params-file", str(output / "best.yaml")]) == 0
    assert read_checkpoint(model).extra["tracker_params"] == best
    record = yaml.safe_load(model.with_suffix(".yaml").read_text())
    assert record["tracker_params"] == best
    assert record["tuning"]["sequences"] == 2
    tracker = load_tracker(model)
    assert tracker.params.window_influence == best["window_influence"]


def test_a_second_validation_set_joins_the_ranking_and_the_record(tmp_path):
    procedural = validation_set(tmp_path / "validation", 3, 1, 12, (120, 160), progress=False)
    real = open_dataset("otb", FIXTURES / "otb")
    combos = build_grid({"strategy": ("coarse_to_fine",), "window_influence": (0.0, 0.9),
                         "penalty_k": (0.1,), "lr": (0.5,)})
    ranked = tune(default_checkpoint_path(), procedural, combos, tmp_path / "results",
                  progress=False, extra_datasets=[real])
    assert [name for name, _ in ranked[0].parts] == ["procedural", "otb"]
    means = [item.mean_auc for item in ranked]
    assert means == sorted(means, reverse=True)
    assert ranked[0].mean_auc == pytest.approx(
        (ranked[0].parts[0][1].success_auc + ranked[0].parts[1][1].success_auc) / 2)
    ranking, best = write_outputs(ranked, tmp_path / "out", "model.pth", 3, 1)
    with open(ranking, encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert float(rows[0]["mean_success_auc"]) == pytest.approx(ranked[0].mean_auc, abs=1e-4)
    assert "otb_success_auc" in rows[0]
    _, validation = read_tuning(best)
    assert validation["otb"]["sequences"] == len(real.sequences)
    assert "the otb set" in best.read_text().splitlines()[0]


def test_a_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope.pth"), "--output", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_best_file_without_settings_is_refused(tmp_path):
    path = tmp_path / "best.yaml"
    path.write_text("validation: {}\n")
    with pytest.raises(ValueError, match="no 'tracker_params'"):
        read_best(path)


def test_results_of_another_checkpoint_are_not_reused(tmp_path):
    import shutil

    import torch

    from siamcar_ros.model import load_checkpoint, save_checkpoint

    retrained = tmp_path / "retrained.pth"
    model = load_checkpoint(default_checkpoint_path())
    with torch.no_grad():
        next(model.parameters()).mul_(0.5)
    save_checkpoint(retrained, model)
    arguments = ["--output", str(tmp_path / "tune"), "--procedural-sequences", "1",
                 "--procedural-length", "8", "--strategy", "reference", "--window-influence",
                 "0.3", "--penalty-k", "0.1", "--lr", "0.5", "--quiet"]
    assert main([str(default_checkpoint_path()), *arguments]) == 0
    assert main([str(retrained), *arguments]) == 0
    folders = sorted(p.name for p in (tmp_path / "tune" / "results").iterdir())
    assert len(folders) == 2 and file_digest(retrained) in folders
    shutil.rmtree(tmp_path / "tune")
