"""What every dataset reader shares: one error type, the sequence and dataset types, and one
parser for the text files tracking datasets keep their boxes and per-frame flags in.

Two shapes of dataset come out of the readers:

- ``TrackingDataset`` (evaluation): named ``TrackingSequence`` objects with frame paths,
  ground truth as N x 4 float ``x, y, w, h`` (NaN rows where no box is known) and a per-frame
  ``absent`` mask holding what the benchmark's own toolkit leaves out of its scores;
- ``FileSequences`` (training sources): frame paths and per-frame boxes, None where the target
  is absent (``FileSequences.from_dataset`` turns the first shape into the second).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_SEPARATORS = re.compile(r"[,\t ]+")

Box = tuple[float, float, float, float]


class DatasetError(ValueError):
    """A dataset file or folder is missing or malformed; the message names the file (and line)."""


@dataclasses.dataclass
class TrackingSequence:
    """One annotated sequence on disk."""

    name: str
    frame_paths: list[Path]
    ground_truth: np.ndarray          # N x 4 float x, y, w, h; NaN rows where unknown
    absent: np.ndarray                # N bool: frames the benchmark leaves out of its scores
    attributes: list[str] = dataclasses.field(default_factory=list)
    image_size: tuple[int, int] | None = None   # (width, height) when the layout states it
    init_box: np.ndarray | None = None          # first-frame box when not ground_truth[0]
    frame_attributes: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame_paths)

    @property
    def initial_box(self) -> np.ndarray:
        return self.ground_truth[0] if self.init_box is None else self.init_box

    @property
    def has_full_ground_truth(self) -> bool:
        """False for test splits whose boxes after the first frame are withheld."""
        return bool(np.isfinite(self.ground_truth[1:]).any()) or len(self) == 1

    def read_frame(self, index: int) -> np.ndarray:
        path = self.frame_paths[index]
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise DatasetError(f"{path}: cannot read image (missing or not an image file)")
        return frame

    def frames(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.read_frame(i)


@dataclasses.dataclass(frozen=True)
class Protocol:
    """How a benchmark's toolkit scores a sequence."""

    skip_first_frame: bool = False    # GOT-10k leaves the initialisation frame out
    clip_to_image: bool = False       # GOT-10k clips boxes to the image before the IoU
    submission: str = "pysot"         # result layout: "pysot", "got10k" or "trackingnet"


@dataclasses.dataclass
class TrackingDataset:
    name: str
    root: Path
    sequences: list[TrackingSequence]
    protocol: Protocol = Protocol()

    def __len__(self) -> int:
        return len(self.sequences)

    def __iter__(self):
        return iter(self.sequences)

    def __getitem__(self, name: str) -> TrackingSequence:
        for sequence in self.sequences:
            if sequence.name == name:
                return sequence
        raise KeyError(f"no sequence {name!r} in {self.name} at {self.root}")


# ----------------------------------------------------------------------------- file parsing

def read_number_rows(path: Path, allowed_columns: tuple[int, ...] = (4,),
                     allow_nan: bool = False) -> list[np.ndarray]:
    """Rows of numbers separated by commas, tabs or spaces; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    rows = []
    with path.open() as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            fields = _SEPARATORS.split(text)
            try:
                values = np.array([float(f) for f in fields], dtype=np.float64)
            except ValueError:
                raise DatasetError(f"{path}:{line_number}: expected numbers separated by commas, "
                                   f"tabs or spaces, got {text[:60]!r}") from None
            if len(values) not in allowed_columns:
                raise DatasetError(f"{path}:{line_number}: expected "
                                   f"{' or '.join(map(str, allowed_columns))} values, "
                                   f"got {len(values)}")
            if not allow_nan and not np.all(np.isfinite(values)):
                raise DatasetError(f"{path}:{line_number}: NaN or infinite value in {text[:60]!r}")
            rows.append(values)
    if not rows:
        raise DatasetError(f"{path}: file is empty")
    return rows


def read_boxes(path: Path, allow_nan: bool = False) -> np.ndarray:
    return np.stack(read_number_rows(path, (4,), allow_nan))


def read_flags(path: Path, length: int | None = None) -> np.ndarray:
    """Per-frame integer labels, one per line or all on one comma separated line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    values = []
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        for field in filter(None, _SEPARATORS.split(line.strip())):
            try:
                values.append(int(float(field)))
            except ValueError:
                raise DatasetError(f"{path}:{line_number}: expected integer labels, "
                                   f"got {field!r}") from None
    flags = np.asarray(values, dtype=np.int64)
    if length is not None and len(flags) != length:
        raise DatasetError(f"{path}: {len(flags)} labels for {length} frames")
    return flags


def images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DatasetError(f"{folder}: image folder not found")
    images = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    # numeric order: TrackingNet names frames 0.jpg, 1.jpg, ..., 10.jpg
    return sorted(images, key=lambda p: (int(p.stem) if p.stem.isdigit() else float("inf"),
                                         p.name))


def check_frame_count(frames: list[Path], boxes: np.ndarray, gt_path: Path) -> None:
    if len(frames) != len(boxes):
        raise DatasetError(f"{gt_path}: {len(boxes)} boxes for {len(frames)} frames in "
                           f"{frames[0].parent if frames else 'the image folder'}")


def absent_where_unknown(boxes: np.ndarray) -> np.ndarray:
    return ~np.all(np.isfinite(boxes), axis=1) | np.any(boxes[:, 2:] <= 0, axis=1)


def require_dir(root: Path, what: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: {what} root folder not found (does not exist)")
    return root


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"cannot read image {path} (missing or not an image)")
    return image


def valid_box(values) -> Box | None:
    x, y, w, h = (float(v) for v in values)
    if not np.isfinite([x, y, w, h]).all() or w <= 0 or h <= 0:
        return None
    return (x, y, w, h)


class FileSequences:
    """Sequences of image files with per-frame boxes (None = absent): the shape training
    sources take (``siamcar_ros.training.sampling.SequenceSource``)."""

    def __init__(self, name: str, frame_paths: list[list[Path]], boxes: list[list[Box | None]]):
        if len(frame_paths) != len(boxes):
            raise DatasetError(f"{name}: {len(frame_paths)} sequences but {len(boxes)} box lists")
        self.name = name
        self.frame_paths = frame_paths
        self.boxes = boxes

    @classmethod
    def from_dataset(cls, dataset: "TrackingDataset") -> "FileSequences":
        """A dataset's sequences with the absent frames' boxes set to None."""
        boxes = [[None if gone else valid_box(box) for box, gone in zip(s.ground_truth, s.absent)]
                 for s in dataset]
        return cls(dataset.name, [list(s.frame_paths) for s in dataset], boxes)

    def __len__(self) -> int:
        return len(self.frame_paths)

    def sequence_length(self, index: int) -> int:
        return len(self.frame_paths[index])

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return read_image(self.frame_paths[index][frame_index])

    def box(self, index: int, frame_index: int) -> Box | None:
        return self.boxes[index][frame_index]
