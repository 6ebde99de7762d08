"""How closely reduced-precision runs follow the fp32 run: per tracker result folder, the mean
IoU of its boxes against the reference run's boxes (frame by frame, first frame left out), the
share of frames where the two agree (IoU > 0.5), and each run's success AUC.

The runs come from siamcar-eval on the same dataset, e.g. on the standing benchmark:

    siamcar-eval --trackers siamcar --workers 2                              # fp32 (reference)
    siamcar-eval --trackers siamcar --precision bf16 --siamcar-name default-bf16 --workers 2
    siamcar-eval --trackers siamcar --precision int8 --siamcar-name default-int8 --workers 2
    python benchmarks/precision_fidelity.py --reference siamcar --runs default-bf16 default-int8
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from siamcar_ros.data import open_dataset
from siamcar_ros.evaluation.metrics import iou, score_sequence, summarise
from siamcar_ros.evaluation.ope import store_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="procedural")
    parser.add_argument("--root", default="out/procedural", help="the dataset's folder")
    parser.add_argument("--results", default="out/results", help="siamcar-eval's results root")
    parser.add_argument("--reference", default="siamcar", help="result folder of the fp32 run")
    parser.add_argument("--runs", nargs="+", required=True, help="result folders to compare")
    args = parser.parse_args(argv)
    dataset = open_dataset(args.dataset, Path(args.root))
    store = store_for(dataset, Path(args.results))
    sequences = list(dataset)
    print(f"{len(sequences)} sequences of {args.dataset}; reference run: {args.reference}")
    print(f"{'run':20s} {'mean IoU vs ref':>15s} {'agree (IoU>0.5)':>16s} {'AUC':>7s} {'ref AUC':>8s} {'delta':>7s}")
    for run in args.runs:
        overlaps, scores, reference_scores = [], [], []
        for sequence in sequences:
            count = len(sequence)
            boxes = store.read_boxes(run, sequence.name, count)
            reference = store.read_boxes(args.reference, sequence.name, count)
            overlaps.append(iou(boxes[1:], reference[1:]))
            for target, predicted in ((scores, boxes), (reference_scores, reference)):
                target.append(score_sequence(sequence.name, predicted, sequence.ground_truth,
                                             sequence.absent, image_size=sequence.image_size))
        overlaps = np.concatenate(overlaps)
        auc, reference_auc = summarise(scores).success_auc, summarise(reference_scores).success_auc
        print(f"{run:20s} {overlaps.mean():15.3f} {np.mean(overlaps > 0.5):16.3f} {auc:7.3f} "
              f"{reference_auc:8.3f} {auc - reference_auc:+7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
