"""Ensembles of proxies over a set of architectures: majority vote and rank average.

Both turn several score columns (one per proxy, higher = better, ``-inf`` = worst) into one
score per architecture. They need the whole set, so they work on score tables, not inside
the per-architecture engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

DEFAULT_VOTE = ("synflow", "jacob_cov", "snip")


def _columns(scores: Mapping[str, Sequence[float]], names: Sequence[str]) -> np.ndarray:
    missing = [n for n in names if n not in scores]
    if missing:
        raise KeyError(f"ensemble needs scores for {missing}; have {sorted(scores)}")
    cols = np.array([np.asarray(scores[n], dtype=np.float64) for n in names])
    return np.where(np.isnan(cols), -np.inf, cols)  # an unscored architecture counts as worst


def vote(scores: Mapping[str, Sequence[float]], names: Sequence[str] = DEFAULT_VOTE,
         chunk: int = 1024) -> np.ndarray:
    """Majority vote (Abdelfattah et al. 2021): for every pair, the architecture preferred by
    more than half of the proxies wins; the score is the number of pairwise wins."""
    cols = _columns(scores, names)
    n = cols.shape[1]
    wins = np.zeros(n)
    for start in range(0, n, chunk):
        block = cols[:, start:start + chunk, None] > cols[:, None, :]  # (proxies, chunk, n)
        wins[start:start + chunk] = (block.sum(axis=0) * 2 > len(names)).sum(axis=1)
    return wins


def rank_average(scores: Mapping[str, Sequence[float]], names: Sequence[str]) -> np.ndarray:
    """Mean over proxies of each architecture's rank (1 = worst, ties share the average)."""
    cols = _columns(scores, names)
    return np.mean([stats.rankdata(c) for c in cols], axis=0)
