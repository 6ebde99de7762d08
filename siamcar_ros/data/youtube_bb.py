"""YouTube-BB: the detection csv (youtube_id, timestamp_ms, class_id, class_name, object_id,
object_presence, xmin, xmax, ymin, ymax; coordinates as fractions of the frame) and
``frames/<youtube_id>/<timestamp_ms>.jpg``, extracted beforehand. A training source."""
from __future__ import annotations

import csv
from pathlib import Path

from .common import Box, DatasetError, FileSequences, read_image, valid_box


class YouTubeBBSequences(FileSequences):
    """YouTube-BB: boxes are stored as fractions and turned into pixels with the size of
    the sequence's first frame (read once)."""

    def __init__(self, frame_paths, fractional_boxes):
        super().__init__("youtube_bb", frame_paths, fractional_boxes)
        self._frame_sizes: dict[int, tuple[int, int]] = {}

    def box(self, index: int, frame_index: int) -> Box | None:
        fraction = self.boxes[index][frame_index]
        if fraction is None:
            return None
        if index not in self._frame_sizes:
            self._frame_sizes[index] = read_image(self.frame_paths[index][0]).shape[:2]
        height, width = self._frame_sizes[index]
        x0, x1, y0, y1 = fraction
        return valid_box((x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height))


def read_youtube_bb(root: str | Path, annotations: str = "yt_bb_detection_train.csv") -> YouTubeBBSequences:
    """YouTube-BB detection csv; one sequence per (video, class, object id)."""
    root = Path(root)
    csv_path = root / annotations
    if not csv_path.is_file():
        raise DatasetError(f"YouTube-BB annotation file {csv_path} does not exist")
    tracks: dict[tuple[str, str, str], list[tuple[int, tuple | None]]] = {}
    with open(csv_path, newline="", encoding="utf-8") as stream:
        for number, row in enumerate(csv.reader(stream), start=1):
            if not row or row[0].startswith("#"):
                continue
            if len(row) != 10:
                raise DatasetError(f"{csv_path}:{number}: expected 10 columns, got {len(row)}")
            video, timestamp, class_id, _, object_id, presence = row[:6]
            try:
                x0, x1, y0, y1 = (float(v) for v in row[6:])
                timestamp_ms = int(timestamp)
            except ValueError as error:
                raise DatasetError(f"{csv_path}:{number}: malformed numbers in {row}") from error
            present = presence.strip() == "present" and x1 > x0 and y1 > y0
            tracks.setdefault((video, class_id, object_id), []).append(
                (timestamp_ms, (x0, x1, y0, y1) if present else None))
    frame_paths, boxes = [], []
    for (video, _, _), rows in sorted(tracks.items()):
        rows.sort()
        frame_paths.append([root / "frames" / video / f"{ms}.jpg" for ms, _ in rows])
        boxes.append([box for _, box in rows])
    return YouTubeBBSequences(frame_paths, boxes)
