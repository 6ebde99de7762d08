"""Readers for the standard single-object tracking benchmark layouts.

Every reader returns a ``TrackingDataset``: named sequences with frame paths, ground truth
as N x 4 float ``x, y, w, h`` (NaN rows where no box is known: absent targets in UAV123,
all frames after the first in test splits) and a per-frame ``absent`` mask holding what the
benchmark's own toolkit leaves out of the scores. Layouts:

- OTB-100 / procedural: ``<root>/<seq>/img/0001.jpg`` + ``groundtruth_rect.txt``
  (comma, tab or space separated; ``groundtruth_rect.<k>.txt`` for sequences with several
  targets, read as ``<seq>-<k>``). Optional ``absence.label`` and ``attributes.txt`` (written
  by the procedural benchmark).
- UAV123: ``<root>/anno/UAV123/<seq>.txt`` + ``<root>/data_seq/UAV123/<folder>/000001.jpg``;
  split sequences (``bird1_2``) start part-way into their folder; NaN rows are absent.
- LaSOT: ``<root>/<category>/<seq>/img/00000001.jpg``, ``groundtruth.txt``,
  ``full_occlusion.txt`` and ``out_of_view.txt`` (absent = either); ``testing_set.txt`` at the
  root, when present, selects the test sequences.
- GOT-10k: ``<root>/<split>/list.txt``, ``<seq>/00000001.jpg``, ``groundtruth.txt`` (test: first
  line only), ``absence.label``, ``cover.label`` (absent where cover is 0), ``meta_info.ini``.
- TrackingNet: ``<root>/<chunk>/frames/<seq>/0.jpg`` and ``<root>/<chunk>/anno/<seq>.txt``
  (``TRAIN_<k>`` chunks: full boxes; ``TEST``: first box only).
- VOT short-term: ``<root>/list.txt``, ``<seq>/groundtruth.txt`` with rectangles or 8-value
  polygons, images in ``<seq>/color/`` or ``<seq>/``, per-frame ``*.tag`` attribute files.
  Polygons become their min/max bounding rectangle (the VOT toolkit's conversion) for the
  ground truth; the initial box uses the area-preserving rectangle that SiamRPN-family
  trackers are initialised with (same centre, same area as the polygon).
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
# Split UAV123 sequences live in one image folder; these are the first frames (1-based) of
# each part. The part's last frame follows from the number of lines in its annotation.
UAV123_SPLIT_STARTS = {
    "bird1": (1, 775, 1573), "car1": (1, 751, 1627), "car6": (1, 487, 1807, 2953, 3925),
    "car8": (1, 1357), "car16": (1, 415), "group1": (1, 1333, 2515, 3925),
    "group2": (1, 907, 1771), "group3": (1, 1567, 2827, 4369), "person2": (1, 1189),
    "person4": (1, 1501), "person5": (1, 877), "person7": (1, 1249), "person8": (1, 1075),
    "person12": (1, 601), "person14": (1, 847, 1813), "person17": (1, 1501),
    "person19": (1, 1243, 2791), "truck4": (1, 577), "uav1": (1, 1555, 2473),
}

# OTB-100 sequences whose annotation starts part-way into the image folder (1-based frame).
OTB_FIRST_FRAMES = {"David": 300, "Tiger1": 6, "BlurCar1": 247, "BlurCar3": 3, "BlurCar4": 18}


class DatasetError(ValueError):
    """A benchmark file is missing or malformed; the message names the file (and line)."""


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


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DatasetError(f"{folder}: image folder not found")
    images = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    # numeric order: TrackingNet names frames 0.jpg, 1.jpg, ..., 10.jpg
    return sorted(images, key=lambda p: (int(p.stem) if p.stem.isdigit() else float("inf"),
                                         p.name))


def _check_frame_count(frames: list[Path], boxes: np.ndarray, gt_path: Path) -> None:
    if len(frames) != len(boxes):
        raise DatasetError(f"{gt_path}: {len(boxes)} boxes for {len(frames)} frames in "
                           f"{frames[0].parent if frames else 'the image folder'}")


def _absent_where_unknown(boxes: np.ndarray) -> np.ndarray:
    return ~np.all(np.isfinite(boxes), axis=1) | np.any(boxes[:, 2:] <= 0, axis=1)


def _require_dir(root: Path, what: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: {what} root folder not found")
    return root


# ----------------------------------------------------------------------------- OTB

def read_otb(root: Path, name: str = "otb", use_list: bool = False) -> TrackingDataset:
    """OTB-100 layout (also the procedural benchmark written by write_benchmark).

    use_list: read only the sequences named in ``<root>/list.txt`` (the procedural benchmark
    writes one, so stale folders of an earlier, larger benchmark are ignored).
    """
    root = _require_dir(root, "OTB")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if use_list:
        list_path = root / "list.txt"
        if not list_path.is_file():
            raise DatasetError(f"{list_path}: sequence list not found")
        folders = [root / n for n in list_path.read_text().split()]
    sequences = []
    for folder in folders:
        gt_files = sorted(folder.glob("groundtruth_rect*.txt"))
        if not gt_files and use_list:
            raise DatasetError(f"{folder / 'groundtruth_rect.txt'}: file not found")
        if not gt_files:
            continue
        for gt_path in gt_files:
            suffix = gt_path.name[len("groundtruth_rect"):-len(".txt")].strip(".")
            sequences.append(_otb_sequence(folder, gt_path, suffix, len(gt_files) > 1))
    if not sequences:
        raise DatasetError(f"{root}: no OTB sequences (expected <seq>/img/ and "
                           "<seq>/groundtruth_rect.txt)")
    return TrackingDataset(name, root, sequences)


def _otb_sequence(folder: Path, gt_path: Path, suffix: str, several_targets: bool):
    boxes = read_boxes(gt_path)
    frames = _images_in(folder / "img")
    if len(frames) > len(boxes):
        # several OTB annotations end early (Football1, Freeman3, ...) or start late (David)
        first = OTB_FIRST_FRAMES.get(folder.name, 1)
        frames = frames[first - 1:first - 1 + len(boxes)]
    _check_frame_count(frames, boxes, gt_path)
    name = f"{folder.name}-{suffix}" if several_targets and suffix else folder.name
    absent = _absent_where_unknown(boxes)
    if (folder / "absence.label").is_file():
        absent |= read_flags(folder / "absence.label", len(boxes)).astype(bool)
    attributes = []
    if (folder / "attributes.txt").is_file():
        attributes = (folder / "attributes.txt").read_text().split()
    return TrackingSequence(name, frames, boxes, absent, attributes)


# ----------------------------------------------------------------------------- UAV123

def read_uav123(root: Path, version: str = "UAV123",
                split_starts: dict[str, tuple[int, ...]] | None = None) -> TrackingDataset:
    """UAV123 (or UAV20L with version="UAV20L"); split_starts overrides UAV123_SPLIT_STARTS."""
    root = _require_dir(root, "UAV123")
    split_starts = UAV123_SPLIT_STARTS if split_starts is None else split_starts
    anno_dir = root / "anno" / version
    if not anno_dir.is_dir():
        raise DatasetError(f"{anno_dir}: UAV123 annotation folder not found "
                           f"(expected {root}/anno/{version}/<seq>.txt)")
    sequences = []
    for gt_path in sorted(anno_dir.glob("*.txt")):
        boxes = read_boxes(gt_path, allow_nan=True)
        folder, start = _uav123_folder_and_start(gt_path, split_starts)
        frames = _images_in(root / "data_seq" / version / folder)
        frames = frames[start - 1:start - 1 + len(boxes)]
        _check_frame_count(frames, boxes, gt_path)
        sequences.append(TrackingSequence(gt_path.stem, frames, boxes,
                                          _absent_where_unknown(boxes)))
    if not sequences:
        raise DatasetError(f"{anno_dir}: no annotation files")
    return TrackingDataset(version.lower(), root, sequences)


def _uav123_folder_and_start(gt_path: Path, split_starts: dict) -> tuple[str, int]:
    match = re.fullmatch(r"(.+)_(\d+)", gt_path.stem)
    if not match or match.group(1) not in split_starts:
        return gt_path.stem, 1
    folder, part = match.group(1), int(match.group(2))
    starts = split_starts[folder]
    if not 1 <= part <= len(starts):
        raise DatasetError(f"{gt_path}: {folder} has parts 1..{len(starts)}, not {part}")
    return folder, starts[part - 1]


# ----------------------------------------------------------------------------- LaSOT

def read_lasot(root: Path) -> TrackingDataset:
    root = _require_dir(root, "LaSOT")
    wanted = None
    if (root / "testing_set.txt").is_file():
        wanted = set((root / "testing_set.txt").read_text().split())
    sequences = []
    for gt_path in sorted(root.glob("*/*/groundtruth.txt")):
        folder = gt_path.parent
        if wanted is not None and folder.name not in wanted:
            continue
        boxes = read_boxes(gt_path)
        frames = _images_in(folder / "img")
        _check_frame_count(frames, boxes, gt_path)
        occluded = read_flags(folder / "full_occlusion.txt", len(boxes)).astype(bool)
        out_of_view = read_flags(folder / "out_of_view.txt", len(boxes)).astype(bool)
        sequences.append(TrackingSequence(
            folder.name, frames, boxes, occluded | out_of_view | _absent_where_unknown(boxes),
            frame_attributes={"full_occlusion": occluded, "out_of_view": out_of_view}))
    if not sequences:
        raise DatasetError(f"{root}: no LaSOT sequences (expected "
                           "<category>/<seq>/groundtruth.txt)")
    return TrackingDataset("lasot", root, sequences)


# ----------------------------------------------------------------------------- GOT-10k

def read_got10k(root: Path, split: str = "val") -> TrackingDataset:
    if split not in ("val", "test", "train"):
        raise DatasetError(f"GOT-10k split must be val, test or train, got {split!r}")
    root = _require_dir(root, "GOT-10k")
    split_dir = root / split if (root / split / "list.txt").is_file() else root
    list_path = split_dir / "list.txt"
    if not list_path.is_file():
        raise DatasetError(f"{list_path}: GOT-10k sequence list not found (expected "
                           f"{root}/{split}/list.txt)")
    sequences = [_got10k_sequence(split_dir / name, split)
                 for name in list_path.read_text().split()]
    protocol = Protocol(skip_first_frame=True, clip_to_image=True, submission="got10k")
    return TrackingDataset(f"got10k-{split}", root, sequences, protocol)


def _got10k_sequence(folder: Path, split: str) -> TrackingSequence:
    gt_path = folder / "groundtruth.txt"
    frames = _images_in(folder)
    boxes = read_boxes(gt_path)
    if split == "test":
        known = boxes[:1]
        boxes = np.full((len(frames), 4), np.nan)
        boxes[0] = known[0]
        return TrackingSequence(folder.name, frames, boxes, np.zeros(len(frames), bool),
                                image_size=_got10k_resolution(folder))
    _check_frame_count(frames, boxes, gt_path)
    absent = _absent_where_unknown(boxes)
    frame_attributes = {}
    if (folder / "cover.label").is_file():
        cover = read_flags(folder / "cover.label", len(boxes))
        frame_attributes["cover"] = cover
        absent |= cover == 0
    if (folder / "absence.label").is_file():
        absence = read_flags(folder / "absence.label", len(boxes)).astype(bool)
        frame_attributes["absence"] = absence
        absent |= absence
    return TrackingSequence(folder.name, frames, boxes, absent,
                            image_size=_got10k_resolution(folder),
                            frame_attributes=frame_attributes)


def _got10k_resolution(folder: Path) -> tuple[int, int] | None:
    meta = folder / "meta_info.ini"
    if not meta.is_file():
        return None
    for line_number, line in enumerate(meta.read_text().splitlines(), start=1):
        if line.startswith("resolution:"):
            numbers = re.findall(r"\d+", line)
            if len(numbers) != 2:
                raise DatasetError(f"{meta}:{line_number}: expected 'resolution: (W, H)'")
            return int(numbers[0]), int(numbers[1])
    return None


# ----------------------------------------------------------------------------- TrackingNet

def read_trackingnet(root: Path, chunks: tuple[str, ...] | None = None) -> TrackingDataset:
    """TrackingNet; chunks default to TEST when present, otherwise every TRAIN_<k>."""
    root = _require_dir(root, "TrackingNet")
    if chunks is None:
        chunks = ("TEST",) if (root / "TEST").is_dir() else tuple(
            sorted(p.name for p in root.glob("TRAIN_*") if p.is_dir()))
    if not chunks:
        raise DatasetError(f"{root}: no TEST or TRAIN_<k> folders (TrackingNet layout)")
    sequences = []
    for chunk in chunks:
        anno_dir = root / chunk / "anno"
        if not anno_dir.is_dir():
            raise DatasetError(f"{anno_dir}: TrackingNet annotation folder not found")
        for gt_path in sorted(anno_dir.glob("*.txt")):
            frames = _images_in(root / chunk / "frames" / gt_path.stem)
            boxes = read_boxes(gt_path)
            if len(boxes) == 1 and len(frames) > 1:   # test chunk: only the first box
                boxes = np.vstack([boxes, np.full((len(frames) - 1, 4), np.nan)])
                absent = np.zeros(len(frames), bool)
            else:
                _check_frame_count(frames, boxes, gt_path)
                absent = _absent_where_unknown(boxes)
            sequences.append(TrackingSequence(gt_path.stem, frames, boxes, absent))
    protocol = Protocol(submission="trackingnet")
    return TrackingDataset("trackingnet", root, sequences, protocol)


# ----------------------------------------------------------------------------- VOT

def polygon_bounding_box(polygons: np.ndarray) -> np.ndarray:
    """N x 8 corner lists -> N x 4 min/max rectangles (the VOT toolkit's conversion)."""
    xs, ys = polygons[:, 0::2], polygons[:, 1::2]
    left, top = xs.min(axis=1), ys.min(axis=1)
    return np.stack([left, top, xs.max(axis=1) - left, ys.max(axis=1) - top], axis=1)


def polygon_area_preserving_box(polygon: np.ndarray) -> np.ndarray:
    """One 8-value polygon -> x, y, w, h with the polygon's centre and area.

    The bounding rectangle of a rotated box overstates its size; SiamRPN-family trackers
    shrink it about its centre so that its area matches the rotated box's two side lengths.
    """
    xs, ys = polygon[0::2], polygon[1::2]
    cx, cy = xs.mean(), ys.mean()
    corners = polygon.reshape(4, 2)
    side_area = np.linalg.norm(corners[0] - corners[1]) * np.linalg.norm(corners[1] - corners[2])
    box_w, box_h = xs.max() - xs.min(), ys.max() - ys.min()
    shrink = np.sqrt(side_area / max(box_w * box_h, 1e-12))
    width, height = shrink * box_w + 1, shrink * box_h + 1
    return np.array([cx - (width - 1) / 2, cy - (height - 1) / 2, width, height])


def read_vot(root: Path) -> TrackingDataset:
    root = _require_dir(root, "VOT")
    list_path = root / "list.txt"
    if not list_path.is_file():
        raise DatasetError(f"{list_path}: VOT sequence list not found")
    sequences = [_vot_sequence(root / name) for name in list_path.read_text().split()]
    return TrackingDataset("vot", root, sequences)


def _vot_sequence(folder: Path) -> TrackingSequence:
    gt_path = folder / "groundtruth.txt"
    if gt_path.is_file():
        for line_number, line in enumerate(gt_path.read_text().splitlines(), start=1):
            if line.startswith("m"):
                raise DatasetError(f"{gt_path}:{line_number}: mask ground truth (VOT2020+) is "
                                   "not supported; use the rectangle/polygon annotations")
    rows = read_number_rows(gt_path, (4, 8), allow_nan=True)
    frames = _images_in(folder / "color" if (folder / "color").is_dir() else folder)
    if len({len(r) for r in rows}) != 1:
        raise DatasetError(f"{gt_path}: mixes 4-value rectangles and 8-value polygons")
    values = np.stack(rows)
    _check_frame_count(frames, values, gt_path)
    if values.shape[1] == 8:
        boxes = polygon_bounding_box(values)
        init_box = polygon_area_preserving_box(values[0])
    else:
        boxes, init_box = values, None
    tags = {p.stem: read_flags(p, len(frames)).astype(bool) for p in sorted(folder.glob("*.tag"))}
    attributes = [name for name, flags in tags.items() if flags.any()]
    return TrackingSequence(folder.name, frames, boxes, _absent_where_unknown(boxes),
                            attributes=attributes, init_box=init_box, frame_attributes=tags)


# ----------------------------------------------------------------------------- dispatch

DATASET_READERS = {
    "procedural": lambda root: read_otb(root, "procedural", use_list=True),
    "heldout": lambda root: read_otb(root, "heldout", use_list=True),
    "otb": read_otb,
    "uav123": read_uav123,
    "lasot": read_lasot,
    "got10k-val": lambda root: read_got10k(root, "val"),
    "got10k-test": lambda root: read_got10k(root, "test"),
    "trackingnet": read_trackingnet,
    "vot": read_vot,
}
DATASET_NAMES = tuple(DATASET_READERS)


def open_dataset(name: str, root: Path) -> TrackingDataset:
    """Read a dataset by the names siamcar-eval accepts (DATASET_NAMES)."""
    if name not in DATASET_READERS:
        raise DatasetError(f"unknown dataset layout {name!r}; known: {', '.join(DATASET_NAMES)}")
    return DATASET_READERS[name](Path(root))

