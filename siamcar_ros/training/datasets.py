"""Training sources: readers of the usual tracking/detection dataset layouts, the procedural
generator, and in-memory sequences. Each is a SequenceSource (see sampling.py): a list of
sequences with frame(i, k) -> BGR image and box(i, k) -> (x, y, w, h) or None.

Layouts (paths relative to a source's `root`):
- got10k:        <split>/list.txt, <split>/<seq>/00000001.jpg, groundtruth.txt (x,y,w,h),
                 absence.label (1 = target absent)
- lasot:         <class>/<class>-<n>/img/00000001.jpg, groundtruth.txt, full_occlusion.txt,
                 out_of_view.txt (comma-separated 0/1)
- coco:          annotations/instances_<split>.json, <split>/<file_name>; every non-crowd
                 instance is a still image
- imagenet_vid:  Annotations/VID/<split>/**/<snippet>/<frame>.xml and Data/VID/<split>/... JPEG;
                 every track id of a snippet is one sequence
- imagenet_det:  Annotations/DET/<split>/**/<image>.xml and Data/DET/<split>/... JPEG; every
                 object is a still image
- youtube_bb:    <annotations> csv (youtube_id, timestamp_ms, class_id, class_name, object_id,
                 object_presence, xmin, xmax, ymin, ymax; coordinates as fractions of the frame)
                 and frames/<youtube_id>/<timestamp_ms>.jpg, extracted beforehand
"""
from __future__ import annotations

import csv
import json
import logging
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]


class DatasetError(ValueError):
    """A dataset directory or annotation file is missing or malformed."""


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"cannot read image {path} (missing or not an image)")
    return image


def _valid_box(values) -> Box | None:
    x, y, w, h = (float(v) for v in values)
    if not np.isfinite([x, y, w, h]).all() or w <= 0 or h <= 0:
        return None
    return (x, y, w, h)


class FileSequences:
    """Sequences of image files with per-frame boxes (None = absent): the common shape
    of every disk reader."""

    def __init__(self, name: str, frame_paths: list[list[Path]], boxes: list[list[Box | None]]):
        if len(frame_paths) != len(boxes):
            raise DatasetError(f"{name}: {len(frame_paths)} sequences but {len(boxes)} box lists")
        self.name = name
        self.frame_paths = frame_paths
        self.boxes = boxes

    def __len__(self) -> int:
        return len(self.frame_paths)

    def sequence_length(self, index: int) -> int:
        return len(self.frame_paths[index])

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return read_image(self.frame_paths[index][frame_index])

    def box(self, index: int, frame_index: int) -> Box | None:
        return self.boxes[index][frame_index]


class InMemorySequences:
    """Sequences held as arrays: frames (list of lists of BGR images) and boxes."""

    def __init__(self, frames: list[list[np.ndarray]], boxes: list[list[Box | None]]):
        if len(frames) != len(boxes) or any(len(f) != len(b) for f, b in zip(frames, boxes)):
            raise ValueError("frames and boxes must have the same number of sequences and frames")
        self.frames, self.boxes = frames, boxes

    def __len__(self) -> int:
        return len(self.frames)

    def sequence_length(self, index: int) -> int:
        return len(self.frames[index])

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return self.frames[index][frame_index]

    def box(self, index: int, frame_index: int) -> Box | None:
        return self.boxes[index][frame_index]


class ProceduralSequences:
    """Sequences from siamcar_ros.evaluation.procedural, a rotating pool of them.

    Epoch e uses the pool_size seeds first_seed + e * refresh_per_epoch + k; sequences are
    planned when first used and kept while they stay in the pool (frames render on access).
    Seeds must stay below the benchmark's so that training never sees benchmark sequences.
    ``photos``: the photograph pool, ``standard`` or ``training`` (a directory pool, e.g. the
    held-out benchmark's photographs, is refused).
    """

    def __init__(self, first_seed: int = 1, pool_size: int = 64, refresh_per_epoch: int = 16,
                 length: int = 150, size: tuple[int, int] = (480, 640), photos: str = "standard"):
        from siamcar_ros.evaluation.procedural import BENCHMARK_SEED_BASE, PHOTO_POOLS
        if photos not in PHOTO_POOLS:
            raise ValueError(f"procedural training photos must be one of {PHOTO_POOLS}, got "
                             f"{photos!r} (held-out photographs are for evaluation only)")
        self.photos = photos
        if pool_size < 1 or refresh_per_epoch < 0 or length < 2:
            raise ValueError(f"procedural source needs pool_size >= 1, refresh_per_epoch >= 0, "
                             f"length >= 2; got {pool_size}, {refresh_per_epoch}, {length}")
        if first_seed < 0 or first_seed + pool_size > BENCHMARK_SEED_BASE:
            raise ValueError(f"procedural training seeds must lie in [0, {BENCHMARK_SEED_BASE}) "
                             f"(the benchmark's start there); got first_seed {first_seed}")
        self.first_seed, self.pool_size = int(first_seed), int(pool_size)
        self.refresh_per_epoch, self.length = int(refresh_per_epoch), int(length)
        self.size = tuple(int(v) for v in size)
        self.limit = BENCHMARK_SEED_BASE
        self.epoch = 0
        self._cache: OrderedDict[int, object] = OrderedDict()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def seed_of(self, index: int) -> int:
        seed = self.first_seed + self.epoch * self.refresh_per_epoch + index
        return self.first_seed + (seed - self.first_seed) % (self.limit - self.first_seed)

    def _sequence(self, index: int):
        from siamcar_ros.evaluation.procedural import generate_sequence
        seed = self.seed_of(index)
        if seed not in self._cache:
            self._cache[seed] = generate_sequence(seed, self.length, self.size, photos=self.photos)
            while len(self._cache) > self.pool_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(seed)
        return self._cache[seed]

    def __len__(self) -> int:
        return self.pool_size

    def sequence_length(self, index: int) -> int:
        return self.length

    def frame(self, index: int, frame_index: int) -> np.ndarray:
        return self._sequence(index).frames[frame_index]

    def box(self, index: int, frame_index: int) -> Box | None:
        sequence = self._sequence(index)
        if sequence.absent[frame_index]:
            return None
        return _valid_box(sequence.ground_truth[frame_index])


# ----------------------------------------------------------------------------- text layouts

def _read_box_file(path: Path) -> list[Box | None]:
    if not path.is_file():
        raise DatasetError(f"ground-truth file {path} is missing")
    boxes = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        values = line.replace("\t", ",").replace(" ", ",").split(",")
        values = [v for v in values if v]
        try:
            boxes.append(_valid_box(values[:4]) if len(values) >= 4 else None)
        except ValueError as error:
            raise DatasetError(f"{path}:{number}: expected x,y,w,h numbers, got {line!r}") from error
    return boxes


def _read_flags(path: Path, count: int) -> list[bool]:
    """0/1 flags, one per line or comma-separated; all False when the file is absent."""
    if not path.is_file():
        return [False] * count
    values = [v for v in path.read_text().replace(",", "\n").split() if v]
    flags = [v.strip() not in ("0", "0.0") for v in values]
    if len(flags) != count:
        raise DatasetError(f"{path} has {len(flags)} flags, the ground truth has {count} frames")
    return flags


def _masked(boxes, *flag_lists):
    return [None if any(flags[k] for flags in flag_lists) else box for k, box in enumerate(boxes)]


def _sorted_images(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def read_got10k(root: str | Path, split: str = "train") -> FileSequences:
    """GOT-10k: <root>/<split>/list.txt names the sequence directories."""
    split_dir = Path(root) / split
    list_file = split_dir / "list.txt"
    if list_file.is_file():
        names = [n.strip() for n in list_file.read_text().splitlines() if n.strip()]
    elif split_dir.is_dir():
        names = sorted(p.name for p in split_dir.iterdir() if (p / "groundtruth.txt").is_file())
    else:
        raise DatasetError(f"GOT-10k split directory {split_dir} does not exist")
    frame_paths, all_boxes = [], []
    for name in names:
        directory = split_dir / name
        boxes = _read_box_file(directory / "groundtruth.txt")
        images = _sorted_images(directory)
        if len(images) < len(boxes):
            raise DatasetError(f"{directory}: {len(images)} images for {len(boxes)} boxes")
        absent = _read_flags(directory / "absence.label", len(boxes))
        frame_paths.append(images[:len(boxes)])
        all_boxes.append(_masked(boxes, absent))
    return FileSequences("got10k", frame_paths, all_boxes)


def read_lasot(root: str | Path, sequences: list[str] | None = None) -> FileSequences:
    """LaSOT: <root>/<class>/<class>-<n>/; `sequences` limits to those names (e.g. the
    training split)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"LaSOT root {root} does not exist")
    directories = sorted(p for p in root.glob("*/*") if (p / "groundtruth.txt").is_file())
    if sequences is not None:
        wanted = set(sequences)
        directories = [d for d in directories if d.name in wanted]
    frame_paths, all_boxes = [], []
    for directory in directories:
        boxes = _read_box_file(directory / "groundtruth.txt")
        images = _sorted_images(directory / "img")
        if len(images) < len(boxes):
            raise DatasetError(f"{directory}: {len(images)} images for {len(boxes)} boxes")
        occluded = _read_flags(directory / "full_occlusion.txt", len(boxes))
        out_of_view = _read_flags(directory / "out_of_view.txt", len(boxes))
        frame_paths.append(images[:len(boxes)])
        all_boxes.append(_masked(boxes, occluded, out_of_view))
    return FileSequences("lasot", frame_paths, all_boxes)


# ----------------------------------------------------------------------------- still images

def read_coco(root: str | Path, split: str = "train2017", min_size: float = 4.0) -> FileSequences:
    """COCO instances: one still-image sequence per non-crowd object."""
    root = Path(root)
    annotation_file = root / "annotations" / f"instances_{split}.json"
    if not annotation_file.is_file():
        raise DatasetError(f"COCO annotation file {annotation_file} does not exist")
    try:
        content = json.loads(annotation_file.read_text())
        images = {image["id"]: image["file_name"] for image in content["images"]}
        annotations = content["annotations"]
    except (ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{annotation_file} is not a COCO instances file: {error}") from error
    frame_paths, boxes = [], []
    for annotation in annotations:
        box = _valid_box(annotation["bbox"])
        if annotation.get("iscrowd") or box is None or min(box[2], box[3]) < min_size:
            continue
        if annotation["image_id"] not in images:
            raise DatasetError(f"{annotation_file}: annotation {annotation.get('id')} refers to "
                               f"unknown image {annotation['image_id']}")
        frame_paths.append([root / split / images[annotation["image_id"]]])
        boxes.append([box])
    return FileSequences("coco", frame_paths, boxes)


def _voc_objects(xml_path: Path) -> list[tuple[str, Box | None]]:
    """(track id or object number, box) of each object of an ImageNet XML annotation."""
    try:
        tree = ElementTree.parse(xml_path)
    except ElementTree.ParseError as error:
        raise DatasetError(f"{xml_path} is not valid XML: {error}") from error
    objects = []
    for number, element in enumerate(tree.getroot().iter("object")):
        box_element = element.find("bndbox")
        if box_element is None:
            raise DatasetError(f"{xml_path}: object {number} has no bndbox")
        try:
            x0, x1, y0, y1 = (float(box_element.findtext(tag)) for tag in ("xmin", "xmax", "ymin", "ymax"))
        except (TypeError, ValueError) as error:
            raise DatasetError(f"{xml_path}: object {number} has a malformed bndbox") from error
        track = element.findtext("trackid")
        objects.append((track if track is not None else str(number),
                        _valid_box((x0, y0, x1 - x0 + 1, y1 - y0 + 1))))
    return objects


def read_imagenet_vid(root: str | Path, split: str = "train") -> FileSequences:
    """ImageNet VID: one sequence per (snippet, track id); frames where the track has no
    box are kept as absent so frame gaps stay true."""
    root = Path(root)
    annotation_root = root / "Annotations" / "VID" / split
    if not annotation_root.is_dir():
        raise DatasetError(f"ImageNet VID annotation directory {annotation_root} does not exist")
    snippets = sorted({p.parent for p in annotation_root.rglob("*.xml")})
    frame_paths, all_boxes = [], []
    for snippet in snippets:
        xml_files = sorted(snippet.glob("*.xml"))
        relative = snippet.relative_to(annotation_root)
        images = [root / "Data" / "VID" / split / relative / (x.stem + ".JPEG") for x in xml_files]
        tracks: dict[str, list[Box | None]] = {}
        for k, xml_file in enumerate(xml_files):
            for track, box in _voc_objects(xml_file):
                tracks.setdefault(track, [None] * len(xml_files))[k] = box
        for track in sorted(tracks, key=lambda t: (len(t), t)):
            frame_paths.append(images)
            all_boxes.append(tracks[track])
    return FileSequences("imagenet_vid", frame_paths, all_boxes)


def read_imagenet_det(root: str | Path, split: str = "train") -> FileSequences:
    """ImageNet DET: one still-image sequence per object."""
    root = Path(root)
    annotation_root = root / "Annotations" / "DET" / split
    if not annotation_root.is_dir():
        raise DatasetError(f"ImageNet DET annotation directory {annotation_root} does not exist")
    frame_paths, boxes = [], []
    for xml_file in sorted(annotation_root.rglob("*.xml")):
        relative = xml_file.relative_to(annotation_root).with_suffix(".JPEG")
        for _, box in _voc_objects(xml_file):
            if box is not None:
                frame_paths.append([root / "Data" / "DET" / split / relative])
                boxes.append([box])
    return FileSequences("imagenet_det", frame_paths, boxes)


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
        return _valid_box((x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height))


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


# ----------------------------------------------------------------------------- from config

def build_source(spec: dict, seed: int = 0):
    """One source from its config entry ({type, root, weight, ...})."""
    options = {k: v for k, v in spec.items() if k not in ("type", "weight")}
    kind = spec["type"]
    try:
        if kind == "procedural":
            if "size" in options:
                options["size"] = tuple(options["size"])
            return ProceduralSequences(**options)
        readers = {"got10k": read_got10k, "lasot": read_lasot, "coco": read_coco,
                   "imagenet_vid": read_imagenet_vid, "imagenet_det": read_imagenet_det,
                   "youtube_bb": read_youtube_bb}
        return readers[kind](**options)
    except TypeError as error:
        raise DatasetError(f"source {kind!r} got unsupported options {sorted(options)}: {error}") from error


def build_sources(specs: list[dict], seed: int = 0) -> tuple[list, list[float]]:
    """All configured sources and their sampling weights (default: each source's size)."""
    sources, weights = [], []
    for spec in specs:
        source = build_source(spec, seed)
        if len(source) == 0:
            raise DatasetError(f"source {spec['type']!r} at {spec.get('root')} holds no sequences")
        logger.info("training source %s: %d sequences", spec["type"], len(source))
        sources.append(source)
        weights.append(float(spec.get("weight", len(source))))
    return sources, weights
