"""Seeded procedural tracking sequences with exact ground truth.

A sequence is a textured target patch (cut from a photograph bundled with scikit-image or
drawn procedurally) moving over a background photograph or texture. Everything about a
sequence (background, target, trajectory, scale, rotation, occluders, distractors,
lighting, camera shake) is planned up front from one integer seed, and frames are rendered
lazily on demand, so a training loop can sample two frames of a sequence without rendering
the rest, and the same seed always gives the same frames.

Ground truth conventions (``ProceduralSequence.ground_truth``, N x 4 float ``x, y, w, h``):

- Pixel-edge coordinates, 0-based: a box ``(10, 20, 30, 40)`` covers pixel columns
  10..39 and rows 20..59; its centre in pixel-centre coordinates is ``x + (w - 1) / 2``.
- The box is the axis-aligned extent of the whole target (also of its occluded part),
  clipped to the image. Rotated targets get the extent of the rotated rectangle.
- The target never leaves the image completely. A frame where less than
  ``ABSENT_VISIBLE_FRACTION`` of the target's in-image area is visible (full occlusion)
  keeps the box of where the target is and is flagged in ``ProceduralSequence.absent``;
  on disk it is a ``1`` in ``absence.label`` (GOT-10k style, one line per frame).
- Frame 0 always shows the target unoccluded and entirely inside the image.

The standing regression benchmark is ``write_benchmark(root)``: 30 sequences of 150 frames
written in the OTB layout. Its sequence seeds come from ``benchmark_sequence_seeds`` and
lie at or above ``BENCHMARK_SEED_BASE``; training should draw seeds below that.
Frames depend on the pinned scikit-image images and OpenCV's resampling, so a checksum is
only stable for the pinned versions in ``requirements.txt``.

Modules, each importing only those listed before it:

- ``attributes``: the attribute names, drawn from a seed or named by the caller;
- ``photos``: the photograph pools; ``textures``: appearances cut or drawn from them;
- ``geometry``: placements and their boxes; ``motion``: target and camera paths;
- ``events``: occluders, distractors, blur, lighting; ``plan``: a whole sequence's plan;
- ``render``: a frame of a plan; ``sequence``: ``generate_sequence``;
- ``long_term``: ``generate_long_term_sequence``; ``benchmark``: the benchmarks on disk;
- ``calibration``: search crops for bf16 and int8 tracking (needs torch; not imported here).

The names below are re-exported here.
"""
from __future__ import annotations

from .attributes import ATTRIBUTE_PROBABILITY, ATTRIBUTES, choose_attributes
from .benchmark import (BENCHMARK_SEED_BASE, GENERATOR_VERSION, benchmark_manifest,
                        benchmark_sequence_seeds, write_benchmark, write_sequence)
from .long_term import LONG_TERM_LENGTH, generate_long_term_sequence
from .photos import HELDOUT_PHOTOS, PHOTO_POOLS, PhotoPoolError, PhotoSet, photo_set
from .sequence import ABSENT_VISIBLE_FRACTION, ProceduralFrames, ProceduralSequence, generate_sequence

__all__ = ["ABSENT_VISIBLE_FRACTION", "ATTRIBUTES", "ATTRIBUTE_PROBABILITY", "BENCHMARK_SEED_BASE",
           "GENERATOR_VERSION", "HELDOUT_PHOTOS", "LONG_TERM_LENGTH", "PHOTO_POOLS", "PhotoPoolError",
           "PhotoSet", "ProceduralFrames", "ProceduralSequence", "benchmark_manifest",
           "benchmark_sequence_seeds", "choose_attributes", "generate_long_term_sequence",
           "generate_sequence", "photo_set", "write_benchmark", "write_sequence"]
