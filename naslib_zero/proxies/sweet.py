"""Sweetimator (Yang et al., Sweet Gradient Matters, Neural Networks 2023; ICLR 2023 submission):
the number of weights whose gradient magnitude lies in the "sweet" interval, and the authors'
training-free search for that interval (bins, per-cell fractions and the selection rule as in
their released ``cal_interval_param``).

The interval is module state: :func:`sweet_interval` reads it, :func:`set_sweet_interval`
replaces it (the default, :data:`DEFAULT_INTERVAL`, is the paper's NAS-Bench-201 interval). The
interval is part of the proxy's ``settings``, so cached scores are never reused across
intervals. :func:`naslib_zero.scoring.calibration.calibrate_sweet_interval` finds an
interval for any space and batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from naslib_zero.engine import WEIGHTED, Context
from naslib_zero.engine.registry import proxy

DEFAULT_INTERVAL = (1e-4, 5e-4)
# Candidate bin edges of the authors' interval search: 0, then 5e-10, 1e-9, 5e-9, ..., 1, 5.
DEFAULT_EDGES = (0.0, *[float(f"{m}e{e}") for e in range(-10, 1) for m in (1, 5)][1:])
_interval: tuple[float, float] = DEFAULT_INTERVAL

Groups = Callable[[nn.Module], list[list[nn.Module]]]


def sweet_interval() -> tuple[float, float]:
    """The current sweet interval [lo, hi) of |dL/dW| used by the ``sweet`` proxy."""
    return _interval


def set_sweet_interval(lo: float = DEFAULT_INTERVAL[0], hi: float = DEFAULT_INTERVAL[1]) -> None:
    """Replace the sweet interval (no arguments: back to :data:`DEFAULT_INTERVAL`)."""
    global _interval
    lo, hi = float(lo), float(hi)
    if not (0 <= lo < hi and math.isfinite(hi)):
        raise ValueError(f"the sweet interval needs 0 <= lo < hi < inf; got [{lo}, {hi})")
    _interval = (lo, hi)


def count_in_interval(grads: Sequence[torch.Tensor], lo: float, hi: float) -> int:
    """Number of gradient entries g with lo <= |g| < hi."""
    return int(sum(((g.abs() >= lo) & (g.abs() < hi)).sum() for g in grads))


@proxy("sweet", needs=["ce_grads"], uses_labels=True,
       settings=lambda: {"interval": list(sweet_interval())},
       reference="Yang et al., Sweet Gradient Matters: Designing Consistent and Efficient "
                 "Estimator for Zero-Shot Architecture Search, Neural Networks 2023")
def sweet(ctx: Context) -> float:
    """#{w in Conv/Linear weights : lo <= |dL/dw| < hi} for the current :func:`sweet_interval`
    [lo, hi) (default [1e-4, 5e-4), the paper's NAS-Bench-201 interval), dL/dW from the shared
    mean cross-entropy backward (one minibatch, train-mode BN, float32). Labels used; higher is
    better."""
    lo, hi = sweet_interval()
    return float(count_in_interval(ctx["ce_grads"], lo, hi))


# --------------------------------------------------------------------------- interval search


def cell_groups(model: nn.Module) -> list[list[nn.Module]]:
    """The Conv/Linear layers of each depth position, shallow to deep.

    A model with a ``cells`` attribute that is an ``nn.ModuleList``/``nn.Sequential`` (the
    NAS-Bench-201 and DARTS networks) is grouped by cell, as the authors' code does: one group per
    element of ``model.cells`` (for NB201 the 15 cells and the 2 residual blocks), the stem and
    the classifier left out. Any other model: one group per Conv/Linear layer, in definition
    order.
    """
    cells = getattr(model, "cells", None)
    if isinstance(cells, (nn.ModuleList, nn.Sequential)):
        return [[m for m in cell.modules() if isinstance(m, WEIGHTED)] for cell in cells]
    return [[m] for m in model.modules() if isinstance(m, WEIGHTED)]


def bin_fractions(groups: Sequence[Sequence[torch.Tensor]], edges: Sequence[float]) -> np.ndarray:
    """(depth, bins) array: per depth position, the fraction of its weights whose |gradient| lies
    in each bin [edges[i], edges[i+1]). Layers whose gradient is all zero (not reaching the loss)
    are left out; a position without weights has fraction 0 everywhere (as the authors' code)."""
    out = np.zeros((len(groups), len(edges) - 1))
    for d, grads in enumerate(groups):
        live = [g.detach().abs().cpu().double().flatten() for g in grads if bool(g.any())]
        if not live:
            continue
        a = torch.cat(live)
        edges_t = torch.tensor(list(edges), dtype=torch.float64)
        at_least = (a[None, :] >= edges_t[:, None]).sum(1).numpy()  # entries >= each edge
        out[d] = (at_least[:-1] - at_least[1:]) / a.numel()
    return out


def choose_interval(fractions: Sequence[np.ndarray], edges: Sequence[float],
                    top: int = 3) -> tuple[float, float]:
    """The bin whose in-bin fraction grows most consistently with depth.

    ``fractions``: one (depth, bins) array per architecture (:func:`bin_fractions`). Per
    architecture and bin, growth = fraction of consecutive depth positions where the in-bin
    fraction increases, and mass = the sum of the in-bin fractions over depth (the authors'
    ``cal_score``). Both are averaged over architectures; among the ``top`` bins of largest mean
    mass, the bin of highest mean growth wins, ties going to the larger mass.
    """
    growth, mass = [], []
    for f in fractions:
        steps = max(1, f.shape[0] - 1)
        growth.append((np.diff(f, axis=0) > 0).sum(0) / steps)
        mass.append(f.sum(0))
    growth_m, mass_m = np.mean(growth, axis=0), np.mean(mass, axis=0)
    candidates = np.argsort(-mass_m, kind="stable")[:top]
    best = max(candidates, key=lambda i: (growth_m[i], mass_m[i]))
    return float(edges[best]), float(edges[best + 1])
