"""``generate_sequence``: a seeded sequence with lazily rendered frames and exact ground truth."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from .attributes import choose_attributes, validated_attributes
from .geometry import box_of, visible_fraction
from .photos import photo_set
from .plan import SequencePlan, plan_sequence
from .render import render_frame

ABSENT_VISIBLE_FRACTION = 0.1


class ProceduralFrames(Sequence):
    """Frames of a procedural sequence, rendered on access (BGR uint8, H x W x 3)."""

    def __init__(self, plan: SequencePlan):
        self._plan = plan

    @property
    def plan(self) -> SequencePlan:
        return self._plan

    def __len__(self) -> int:
        return len(self._plan.target)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"frame {index} out of range for a {len(self)}-frame sequence")
        return render_frame(self._plan, index % len(self))


@dataclasses.dataclass
class ProceduralSequence:
    """One generated sequence: lazily rendered frames plus exact ground truth."""

    name: str
    frames: ProceduralFrames
    ground_truth: np.ndarray   # N x 4 float64 x, y, w, h (see the package docstring)
    absent: np.ndarray         # N bool, True where the target is fully occluded
    attributes: list[str]
    seed: int

    def __len__(self) -> int:
        return len(self.ground_truth)

    def distractor_centers(self, index: int) -> list[tuple[float, float]]:
        """Centres (pixel-centre coords) of the look-alike distractors in frame ``index``."""
        return [(placements[index].cx, placements[index].cy)
                for _, placements in self.frames.plan.distractors]

    def distractor_boxes(self, index: int) -> list[np.ndarray]:
        """Boxes (x, y, w, h, clipped to the frame) of the look-alike distractors in frame
        ``index``, in the ground truth's convention."""
        return [box_of(placements[index], self.frames.plan.size)
                for _, placements in self.frames.plan.distractors]


def generate_sequence(seed: int, length: int = 150, size: tuple[int, int] = (480, 640),
                      attributes: Iterable[str] | None = None,
                      name: str | None = None, photos: str = "standard") -> ProceduralSequence:
    """Plan a sequence from seed; frames render lazily. size is (height, width).

    attributes None draws a random subset of ATTRIBUTES from the seed; otherwise exactly
    the given attributes are used. photos names the photograph pool (``photo_set``).
    """
    if length < 2:
        raise ValueError(f"length must be at least 2 frames, got {length}")
    height, width = (int(v) for v in size)
    if height < 64 or width < 64:
        raise ValueError(f"size (height, width) must be at least 64 x 64, got {size}")
    rng = np.random.default_rng(int(seed))
    chosen = choose_attributes(rng) if attributes is None else validated_attributes(attributes)
    plan = plan_sequence(rng, int(length), (height, width), set(chosen), photo_set(photos))
    ground_truth = np.stack([box_of(p, plan.size) for p in plan.target])
    absent = np.zeros(length, bool)
    for i, placement in enumerate(plan.target):
        boxes = [occ.boxes[i] for occ in plan.occluders if i in occ.boxes]
        if boxes:
            absent[i] = visible_fraction(placement, plan.size, boxes) < ABSENT_VISIBLE_FRACTION
    return ProceduralSequence(name=name or f"procedural_{seed}", frames=ProceduralFrames(plan),
                              ground_truth=ground_truth, absent=absent, attributes=chosen,
                              seed=int(seed))
