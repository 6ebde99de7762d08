"""Evaluation: one-pass evaluation, metrics, plots and baselines over the datasets of
``siamcar_ros.data`` (benchmark readers and the procedural benchmarks live there).

- ``metrics``: success / precision / normalised precision curves, GOT-10k AO and SR, computed
  as the got10k toolkit and pysot-toolkit do; the confidence report (ROC AUC of on- against
  off-target frames, shares under a loss threshold).
- ``ope``: runs trackers over a dataset (worker processes, resumable), stores result files
  (boxes, times, per-frame confidence).
- ``report``: Markdown table, JSON and success / precision plots.
- ``baselines``: OpenCV CSRT and KCF with the SiamCARTracker interface.
- ``cli``: the ``siamcar-eval`` command.

Submodules are imported on use, so reading a dataset does not load torch.
"""
