"""Evaluation: benchmark readers, one-pass evaluation, metrics, plots, baselines, and the
procedural benchmark.

- ``readers``: OTB-100, UAV123, LaSOT, GOT-10k, TrackingNet and VOT layouts -> TrackingDataset.
- ``metrics``: success / precision / normalised precision curves, GOT-10k AO and SR, computed
  as the got10k toolkit and pysot-toolkit do.
- ``ope``: runs trackers over a dataset (worker processes, resumable), stores result files.
- ``report``: Markdown table, JSON and success / precision plots.
- ``baselines``: OpenCV CSRT and KCF with the SiamCARTracker interface.
- ``procedural``: seeded sequences with exact ground truth (``generate_sequence``) and the
  standing regression benchmark (``write_benchmark``).
- ``cli``: the ``siamcar-eval`` command.

Submodules are imported on use, so reading a dataset does not load torch.
"""
