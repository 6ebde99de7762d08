"""siamcar-eval end to end: procedural benchmark, workers, resume, layouts, bad inputs."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from siamcar_ros.evaluation.cli import main
from siamcar_ros.evaluation.ope import ResultStore, TrackerSpec, run_trackers, score_tracker
from siamcar_ros.data import DatasetError, read_got10k, read_otb

FIXTURES = Path(__file__).parent / "fixtures"
PROCEDURAL = ["--procedural-sequences", "2", "--procedural-length", "6",
              "--procedural-size", "120x160", "--quiet"]


@pytest.fixture(scope="module")
def benchmark_root(tmp_path_factory):
    return tmp_path_factory.mktemp("procedural")


def _result_files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*.txt"))
            if "times" not in p.parts}


def test_csrt_and_kcf_on_two_procedural_sequences_print_the_table_and_write_plots(
        benchmark_root, tmp_path, capsys):
    results = tmp_path / "results"
    code = main(["--root", str(benchmark_root), "--results", str(results),
                 "--trackers", "csrt", "kcf", "--workers", "1", *PROCEDURAL])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| Tracker | Success AUC | Precision (20 px)" in printed
    assert "| csrt |" in printed and "| kcf |" in printed
    out = results / "procedural"
    for name in ("success_plot.png", "precision_plot.png", "norm_precision_plot.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.md").read_text() in printed
    names = (benchmark_root / "list.txt").read_text().split()
    for tracker in ("csrt", "kcf"):
        for name in names:
            boxes = np.loadtxt(out / tracker / f"{name}.txt", delimiter=",")
            assert boxes.shape == (6, 4)
            assert len(np.loadtxt(out / tracker / "times" / f"{name}_time.txt")) == 6


def test_nanotrack_runs_beside_the_others_given_its_files(benchmark_root, nanotrack_onnx, tmp_path, capsys,
                                                          monkeypatch):
    for variable in ("SIAMCAR_NANOTRACK_BACKBONE", "SIAMCAR_NANOTRACK_HEAD"):
        monkeypatch.delenv(variable, raising=False)
    backbone, head = nanotrack_onnx
    code = main(["--root", str(benchmark_root), "--results", str(tmp_path / "r"), "--trackers",
                 "nanotrack", "kcf", "--nanotrack-backbone", str(backbone), "--nanotrack-head",
                 str(head), *PROCEDURAL])
    assert code == 0
    assert "| nanotrack |" in capsys.readouterr().out
    assert main(["--root", str(benchmark_root), "--results", str(tmp_path / "r2"), "--trackers",
                 "nanotrack", *PROCEDURAL]) == 2
    assert "SIAMCAR_NANOTRACK_BACKBONE" in capsys.readouterr().err


def test_two_workers_give_the_same_results_as_one(benchmark_root, tmp_path):
    args = ["--root", str(benchmark_root), "--trackers", "csrt", "kcf", *PROCEDURAL]
    assert main([*args, "--results", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert main([*args, "--results", str(tmp_path / "two"), "--workers", "2"]) == 0
    one = _result_files(tmp_path / "one" / "procedural")
    assert one and one == _result_files(tmp_path / "two" / "procedural")


def test_resume_skips_sequences_with_results_and_redoes_missing_ones(benchmark_root, tmp_path):
    dataset = read_otb(benchmark_root, "procedural", use_list=True)
    specs = [TrackerSpec("kcf")]
    assert len(run_trackers(dataset, specs, tmp_path, progress=False)) == 2
    assert run_trackers(dataset, specs, tmp_path, progress=False) == []
    store = ResultStore(tmp_path, "procedural")
    store.box_path("kcf", dataset.sequences[1].name).unlink()
    redone = run_trackers(dataset, specs, tmp_path, progress=False)
    assert [item[1] for item in redone] == [dataset.sequences[1].name]


def test_siamcar_with_an_untrained_small_model_runs_through_the_harness(benchmark_root,
                                                                       tmp_path, capsys):
    import torch

    from siamcar_ros.model import build_model
    from siamcar_ros.model.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = build_model("alexnet", width_mult=0.25, neck_channels=16, head_channels=16,
                        head_num_convs=1)
    checkpoint = save_checkpoint(tmp_path / "tiny.pth", model)
    code = main(["--root", str(benchmark_root), "--results", str(tmp_path / "r"),
                 "--trackers", "siamcar", "--checkpoint", str(checkpoint), "--device", "cpu",
                 "--strategy", "reference", "--preset", "OTB100", "--limit", "1", *PROCEDURAL])
    assert code == 0
    assert "| siamcar |" in capsys.readouterr().out
    boxes = np.loadtxt(next((tmp_path / "r" / "procedural" / "siamcar").glob("*.txt")),
                       delimiter=",")
    assert boxes.shape == (6, 4) and np.all(np.isfinite(boxes)) and np.all(boxes[:, 2:] > 0)


def test_got10k_results_use_the_submission_layout(tmp_path, capsys):
    results = tmp_path / "results"
    assert main(["--dataset", "got10k-val", "--root", str(FIXTURES / "got10k"),
                 "--results", str(results), "--trackers", "kcf", "--quiet"]) == 0
    folder = results / "got10k-val" / "kcf" / "GOT-10k_Val_000001"
    assert np.loadtxt(folder / "GOT-10k_Val_000001_001.txt", delimiter=",").shape == (5, 4)
    assert (folder / "GOT-10k_Val_000001_time.txt").is_file()
    assert "| kcf |" in capsys.readouterr().out
    assert main(["--dataset", "got10k-test", "--root", str(FIXTURES / "got10k"),
                 "--results", str(results), "--trackers", "kcf", "--quiet"]) == 0
    assert "no ground truth beyond the first frame" in capsys.readouterr().out
    assert (results / "got10k-test" / "kcf" / "GOT-10k_Test_000001" /
            "GOT-10k_Test_000001_001.txt").is_file()


def _otb_results(tmp_path):
    dataset = read_otb(FIXTURES / "otb")
    dataset.sequences = dataset.sequences[:1]
    run_trackers(dataset, [TrackerSpec("kcf")], tmp_path, progress=False)
    return dataset, ResultStore(tmp_path, "otb").box_path("kcf", "Basketball")


def test_result_file_with_the_wrong_number_of_lines_is_named(tmp_path):
    dataset, path = _otb_results(tmp_path)
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(DatasetError, match=r"Basketball.txt: 3 boxes for 4 frames"):
        score_tracker(dataset, "kcf", tmp_path)


def test_result_file_with_nan_is_named_with_its_line(tmp_path):
    dataset, path = _otb_results(tmp_path)
    lines = path.read_text().splitlines()
    lines[2] = "nan,1,2,3"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"Basketball.txt:3: NaN"):
        score_tracker(dataset, "kcf", tmp_path)


def test_cli_reports_bad_datasets_and_options_clearly(tmp_path, capsys):
    broken = tmp_path / "otb"
    shutil.copytree(FIXTURES / "otb" / "Basketball", broken / "Basketball")
    (broken / "Basketball" / "groundtruth_rect.txt").write_text("1,2,3,4\n1,2,x,4\n")
    assert main(["--dataset", "otb", "--root", str(broken), "--trackers", "kcf"]) == 2
    assert "groundtruth_rect.txt:2: expected numbers" in capsys.readouterr().err
    assert main(["--dataset", "lasot", "--trackers", "kcf"]) == 2
    assert "--root is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--dataset", "imagenet"])
    assert "invalid choice: 'imagenet'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--trackers", "kcf", "--checkpoint", "x.pth"])
    assert "need 'siamcar'" in capsys.readouterr().err


def test_missing_sequence_names_are_reported(tmp_path, capsys):
    assert main(["--dataset", "got10k-val", "--root", str(FIXTURES / "got10k"), "--trackers",
                 "kcf", "--sequences", "nope", "--results", str(tmp_path), "--quiet"]) == 2
    assert "no sequence(s) ['nope']" in capsys.readouterr().err


def test_got10k_reader_and_store_agree_on_the_layout():
    dataset = read_got10k(FIXTURES / "got10k", "val")
    store = ResultStore(Path("r"), dataset.name, dataset.protocol.submission)
    assert store.box_path("t", "s") == Path("r/got10k-val/t/s/s_001.txt")
    assert store.time_path("t", "s") == Path("r/got10k-val/t/s/s_time.txt")


def test_trackingnet_submission_folder_holds_only_the_box_files(tmp_path):
    assert main(["--dataset", "trackingnet", "--root", str(FIXTURES / "trackingnet"),
                 "--results", str(tmp_path), "--trackers", "kcf", "--quiet"]) == 0
    folder = tmp_path / "trackingnet" / "kcf"
    assert [p.name for p in folder.iterdir()] == ["seqB.txt"]
    assert np.loadtxt(folder / "seqB.txt", delimiter=",").shape == (3, 4)


def test_missing_checkpoint_is_reported_before_anything_runs(tmp_path, capsys):
    code = main(["--dataset", "otb", "--root", str(FIXTURES / "otb"), "--results",
                 str(tmp_path), "--trackers", "kcf", "siamcar", "--checkpoint",
                 str(tmp_path / "missing.pth"), "--quiet"])
    assert code == 2
    assert "missing.pth does not exist" in capsys.readouterr().err
    assert not (tmp_path / "otb").exists()


def test_the_look_alike_judgement_and_its_camera_motion_can_each_be_left_out_to_compare():
    from siamcar_ros.evaluation.cli import _tracker_specs, build_parser

    def specs(*flags):
        return _tracker_specs(build_parser().parse_args(["--trackers", "siamcar", "siamcar-lt", *flags]))

    assert all(s.distractor_aware and s.camera_motion for s in specs())
    assert all(s.distractor_aware and not s.camera_motion for s in specs("--no-camera-motion"))
    assert all(not s.distractor_aware for s in specs("--no-distractor-aware"))
