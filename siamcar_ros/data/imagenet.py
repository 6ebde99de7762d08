"""ImageNet VID and DET: ``Annotations/VID/<split>/**/<snippet>/<frame>.xml`` and
``Data/VID/<split>/...`` JPEG (every track id of a snippet is one sequence);
``Annotations/DET/<split>/**/<image>.xml`` and ``Data/DET/<split>/...`` JPEG (every object is a
still image). Training sources."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .common import Box, DatasetError, FileSequences, valid_box


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
                        valid_box((x0, y0, x1 - x0 + 1, y1 - y0 + 1))))
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
