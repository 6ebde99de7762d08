"""Markdown tables, JSON and success/precision plots for one dataset and several trackers."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from siamcar_ros.tracking.confidence import DEFAULT_LOST_THRESHOLD

from .metrics import (NORM_PRECISION_THRESHOLDS, PRECISION_INDEX, PRECISION_THRESHOLDS,
                      SUCCESS_THRESHOLDS, ConfidenceSummary, SequenceScore, Summary, summarise,
                      summarise_by_attribute, summarise_confidence)


@dataclasses.dataclass
class TrackerReport:
    name: str
    summary: Summary
    by_attribute: dict[str, Summary]
    sequences: list[SequenceScore]
    confidence: ConfidenceSummary | None = None


def build_reports(scores_by_tracker: dict[str, list[SequenceScore]],
                  lost_threshold: float = DEFAULT_LOST_THRESHOLD) -> list[TrackerReport]:
    """Summaries per tracker, best success AUC first; the confidence summary counts the
    frames under ``lost_threshold``."""
    reports = [TrackerReport(name, summarise(scores), summarise_by_attribute(scores), scores,
                             summarise_confidence(scores, lost_threshold))
               for name, scores in scores_by_tracker.items()]
    return sorted(reports, key=lambda r: r.summary.success_auc, reverse=True)


def _fps(summary: Summary) -> str:
    return "-" if summary.fps is None else f"{summary.fps:.1f}"


def markdown_table(dataset: str, reports: list[TrackerReport]) -> str:
    """The overall table, then success AUC per attribute when sequences carry attributes."""
    lines = [f"### {dataset}: {reports[0].summary.num_sequences} sequences, "
             f"{reports[0].summary.num_frames} evaluated frames", "",
             "| Tracker | Success AUC | Precision (20 px) | Norm. precision (0.2) | AO | SR0.5 "
             "| SR0.75 | FPS |",
             "|---|---|---|---|---|---|---|---|"]
    for report in reports:
        s = report.summary
        lines.append(f"| {report.name} | {s.success_auc:.3f} | {s.precision:.3f} | "
                     f"{s.norm_precision:.3f} | {s.ao:.3f} | {s.sr50:.3f} | {s.sr75:.3f} | "
                     f"{_fps(s)} |")
    lines += confidence_table(reports)
    attributes = sorted({a for r in reports for a in r.by_attribute})
    if attributes:
        lines += ["", "Success AUC per attribute (sequences with the attribute):", "",
                  "| Attribute | Sequences | " + " | ".join(r.name for r in reports) + " |",
                  "|---|---|" + "---|" * len(reports)]
        for attribute in attributes:
            cells = [f"{r.by_attribute[attribute].success_auc:.3f}"
                     if attribute in r.by_attribute else "-" for r in reports]
            count = next(r.by_attribute[attribute].num_sequences for r in reports
                         if attribute in r.by_attribute)
            lines.append(f"| {attribute} | {count} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def confidence_table(reports: list[TrackerReport]) -> list[str]:
    """Rows on how each tracker's confidence separates on-target (IoU > 0.5) from off-target
    frames (IoU < 0.1 or target absent); empty when no tracker reports a confidence."""
    carrying = [r for r in reports if r.confidence is not None]
    if not carrying:
        return []
    threshold = carrying[0].confidence.threshold
    lines = ["", f"Confidence: on-target frames (IoU > 0.5) against off-target frames (IoU < 0.1 "
             f"or target absent); shares under the loss threshold {threshold:g}:", "",
             "| Tracker | On-target frames | Off-target frames | ROC AUC | Off-target under "
             "| On-target under |", "|---|---|---|---|---|---|"]
    for report in carrying:
        c = report.confidence
        auc = "-" if c.roc_auc is None else f"{c.roc_auc:.3f}"
        lines.append(f"| {report.name} | {c.on_target_frames} | {c.off_target_frames} | {auc} | "
                     f"{_share(c.off_below)} | {_share(c.on_below)} |")
    return lines


def report_json(dataset: str, reports: list[TrackerReport]) -> dict:
    return {"dataset": dataset, "trackers": {
        r.name: {"overall": r.summary.as_dict(),
                 "confidence": None if r.confidence is None else r.confidence.as_dict(),
                 "attributes": {a: s.as_dict() for a, s in r.by_attribute.items()},
                 "sequences": {s.name: {"success_auc": float(np.mean(s.success_curve)),
                                        "precision": float(s.precision_curve[PRECISION_INDEX]),
                                        "frames": s.num_frames} for s in r.sequences}}
        for r in reports}}


def plot_curves(dataset: str, reports: list[TrackerReport], out_dir: Path) -> list[Path]:
    """success_plot.png, precision_plot.png and norm_precision_plot.png in out_dir."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # (file, title, x label, thresholds, curve, score the legend ranks by, score's label prefix)
    panels = [
        ("success_plot.png", "Success plot", "Overlap threshold", SUCCESS_THRESHOLDS,
         lambda s: s.success_curve, lambda s: s.success_auc, "AUC "),
        ("precision_plot.png", "Precision plot", "Location error threshold (px)",
         PRECISION_THRESHOLDS, lambda s: s.precision_curve, lambda s: s.precision, ""),
        ("norm_precision_plot.png", "Normalised precision plot",
         "Normalised location error threshold", NORM_PRECISION_THRESHOLDS,
         lambda s: s.norm_precision_curve, lambda s: s.norm_precision, ""),
    ]
    written = []
    for filename, title, xlabel, thresholds, curve, score, prefix in panels:
        figure, axes = plt.subplots(figsize=(6, 4.5), dpi=100)
        for report in sorted(reports, key=lambda r: score(r.summary), reverse=True):
            axes.plot(thresholds, curve(report.summary), linewidth=2,
                      label=f"{report.name} [{prefix}{score(report.summary):.3f}]")
        axes.set(title=f"{title} of OPE on {dataset}", xlabel=xlabel, ylabel="Success rate"
                 if filename.startswith("success") else "Precision",
                 xlim=(thresholds[0], thresholds[-1]), ylim=(0, 1.02))
        axes.grid(True, alpha=0.4)
        axes.legend(loc="lower left" if filename.startswith("success") else "lower right")
        figure.tight_layout()
        figure.savefig(out_dir / filename)
        plt.close(figure)
        written.append(out_dir / filename)
    return written


def write_report(dataset: str, reports: list[TrackerReport], out_dir: Path) -> str:
    """Write report.md, report.json and the plots into out_dir; return the Markdown."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = markdown_table(dataset, reports)
    (out_dir / "report.md").write_text(table)
    (out_dir / "report.json").write_text(json.dumps(report_json(dataset, reports), indent=1))
    plot_curves(dataset, reports, out_dir)
    return table


def long_term_table(dataset: str, by_tracker: dict, threshold: float) -> str:
    """The long-term measures per tracker: best F-score over confidence thresholds with its
    precision, recall and threshold; reappearances and the delay until the target is found
    again; re-acquisitions (reporting again after a silent gap, at ``threshold``) and how many
    were on something else."""
    from .metrics import LONG_TERM_THRESHOLDS, long_term_curves, reacquisition_summary

    lines = [f"### {dataset}: long-term measures (reporting threshold {threshold:g} for "
             "re-acquisitions)", "",
             "| Tracker | F-score | Precision | Recall | at confidence | Reappearances | "
             "Found again | Median delay (frames) | Re-acquisitions | False |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, sequences in by_tracker.items():
        precision, recall, f_score = long_term_curves(sequences)
        best = int(np.argmax(f_score))
        summary = reacquisition_summary(sequences, threshold)
        delay = "-" if summary.median_delay is None else f"{summary.median_delay:g}"
        false = "-" if summary.false_rate is None else \
            f"{summary.false_reacquisitions} ({100 * summary.false_rate:.1f} %)"
        lines.append(f"| {name} | {f_score[best]:.3f} | {precision[best]:.3f} | {recall[best]:.3f} | "
                     f"{LONG_TERM_THRESHOLDS[best]:.2f} | {len(summary.delays)} | "
                     f"{len(summary.delays) - summary.never} | {delay} | {summary.reacquisitions} | "
                     f"{false} |")
    return "\n".join(lines) + "\n"
