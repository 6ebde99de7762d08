"""What the demo writes: boxes per frame from the detections, success AUC, video, plot, CSV, summary."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .client import DemoClient, Received
from .footage import NOMINAL_FIELD_OF_VIEW_DEG


def boxes_per_frame(stamps: list[int], received: list[Received], first_box) -> tuple[np.ndarray, list]:
    """The newest detection at or before each frame's stamp (frame 0: the init box)."""
    by_stamp = sorted(received, key=lambda r: r.stamp_ns)
    boxes, states, cursor, current = [], [], 0, Received(stamps[0], tuple(first_box), True, 1.0)
    for stamp in stamps:
        while cursor < len(by_stamp) and by_stamp[cursor].stamp_ns <= stamp:
            current = by_stamp[cursor]
            cursor += 1
        boxes.append(current.bbox_xywh)
        states.append(current)
    return np.array(boxes, float), states


def write_video(path: Path, sequence, predicted: np.ndarray, states: list, rate_hz: float) -> Path:
    height, width = sequence.frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), rate_hz, (width, height))
    if not writer.isOpened():
        path = path.with_suffix(".avi")
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), rate_hz, (width, height))
    for index in tqdm(range(len(sequence)), desc="video", unit="frame"):
        frame = sequence.frames[index].copy()
        _draw_box(frame, sequence.ground_truth[index], (0, 200, 0))
        colour = (0, 220, 255) if states[index].tracking else (0, 0, 255)
        _draw_box(frame, predicted[index], colour)
        cv2.putText(frame, f"frame {index}  score {states[index].score:.2f}", (10, 24),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
        writer.write(frame)
    writer.release()
    return path


def _draw_box(frame: np.ndarray, box, colour) -> None:
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(frame, (x, y), (x + w, y + h), colour, 2)


def write_success_plot(path: Path, ious: np.ndarray, auc: float, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from siamcar_ros.evaluation.metrics import SUCCESS_THRESHOLDS, success_curve

    figure, axes = plt.subplots(figsize=(5, 4))
    axes.plot(SUCCESS_THRESHOLDS, success_curve(ious), label=f"siamcar_tracker node [{auc:.3f}]")
    axes.set(xlabel="overlap threshold", ylabel="success rate", title=title, xlim=(0, 1), ylim=(0, 1.02))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_outputs(args, sequence, stamps, client: DemoClient, elapsed: float) -> str:
    from siamcar_ros.evaluation.metrics import iou, success_curve

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    predicted, states = boxes_per_frame(stamps, client.received, sequence.ground_truth[0])
    scored = ~sequence.absent
    scored[0] = False  # the init frame is given, not tracked
    ious = iou(predicted[scored], sequence.ground_truth[scored])
    auc = float(np.mean(success_curve(ious)))
    title = (f"procedural seed {args.seed}" if args.source == "procedural" else sequence.name)
    write_success_plot(out / "success.png", ious, auc, f"{title}, {len(sequence)} frames")
    video = write_video(out / "demo.mp4", sequence, predicted, states, args.rate)
    with open(out / "detections.csv", "w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["stamp_ns", "x", "y", "w", "h", "tracking", "score"])
        for r in sorted(client.received, key=lambda r: r.stamp_ns):
            table.writerow([r.stamp_ns, *(f"{v:.2f}" for v in r.bbox_xywh), int(r.tracking), f"{r.score:.4f}"])
    status = client.last_status
    processed = status.processed_frames if status else len(client.received)
    dropped = status.dropped_frames if status else len(stamps) - 1 - len(client.received)
    summary = (f"success AUC {auc:.3f} | {processed / elapsed:.1f} frames/s tracked "
               f"({processed} of {len(stamps) - 1} frames at {args.rate:g} Hz) | dropped frames {dropped}")
    if client.step_ms:
        summary += f" | step median {float(np.median(client.step_ms)):.1f} ms"
    summary += f" | STALE statuses {client.stale_statuses}"
    if client.bearings:
        last = client.bearings[-1]
        summary += (f" | bearing on {len(client.bearings)} frames, last: azimuth "
                    f"{math.degrees(last.azimuth):+.1f} deg, elevation {math.degrees(last.elevation):+.1f} deg "
                    f"(nominal {NOMINAL_FIELD_OF_VIEW_DEG:g} deg lens)")
    states_seen = [m for m in client.messages if m.startswith(("target lost", "searching", "target re-acquired",
                                                                "target found again"))]
    if states_seen:
        summary += " | " + "; ".join(m.split(":")[0].split(" (")[0] for m in states_seen)
    (out / "summary.txt").write_text(summary + "\n")
    print(f"wrote {video}, {out / 'success.png'}, {out / 'detections.csv'}, {out / 'summary.txt'}")
    return summary

