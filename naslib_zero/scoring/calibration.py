"""Sweetimator's interval, calibrated without training over a set of a space's architectures."""

from __future__ import annotations

from collections.abc import Sequence

from naslib_zero.engine import ce_weight_grads
from naslib_zero.proxies.sweet import (
    DEFAULT_EDGES,
    Groups,
    bin_fractions,
    cell_groups,
    choose_interval,
)
from naslib_zero.scoring.models import build_model
from search_spaces.base import DatasetSpec


def calibrate_sweet_interval(space, archs: Sequence, batch, bins: Sequence[float] = DEFAULT_EDGES,
                             seed: int = 0, *, top: int = 3, num_classes: int | None = None,
                             groups: Groups = cell_groups) -> tuple[float, float]:
    """Training-free sweet-interval search over a calibration set of architectures.

    Each architecture is built with ``space.to_model`` (weights from ``seed``, global RNG
    untouched), one mean cross-entropy backward on ``batch`` (a :class:`~naslib_zero.data.Batch`
    or an ``(inputs, targets)`` pair; train-mode BN) gives |dL/dW|, the weights are grouped by
    depth position with ``groups`` (:func:`cell_groups`), and :func:`choose_interval` picks the
    bin of ``bins`` (edges; default the authors' 0, 5e-10, 1e-9, ..., 1, 5) whose in-bin fraction
    grows most consistently with depth. Returns ``(lo, hi)``; pass it to
    :func:`set_sweet_interval` to use it.
    """
    if hasattr(batch, "inputs"):
        inputs, targets = batch.inputs, batch.targets
        num_classes = num_classes or getattr(batch, "num_classes", None)
    else:
        inputs, targets = batch
    targets = targets.long()
    num_classes = num_classes or int(targets.max()) + 1
    if len(bins) < 2 or any(a >= b for a, b in zip(bins, bins[1:])):
        raise ValueError("bins must be at least two increasing edges")
    fractions = []
    for arch in archs:
        model = build_model(space, arch, DatasetSpec("calibration", tuple(inputs.shape[1:]),
                                                       num_classes), seed)
        grouped = groups(model)
        flat = [m for group in grouped for m in group]
        grads = iter(ce_weight_grads(model.train(), inputs, targets, flat))
        fractions.append(bin_fractions([[next(grads) for _ in g] for g in grouped], bins))
    if not fractions:
        raise ValueError("calibrate_sweet_interval needs at least one architecture")
    return choose_interval(fractions, bins, top)
