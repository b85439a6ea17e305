"""How well a proxy ranks architectures against benchmark ground truth.

Definitions follow the evaluation study of one-shot and zero-shot estimators (Ning et al.,
"Evaluating Efficient Performance Estimators of Neural Architectures", NeurIPS 2021):

* Pearson (linear correlation, LC), Kendall tau-b (KD) and Spearman rho, from scipy.
* ``K`` is a fraction of the N architectures; ``k = max(1, floor(K * N))`` architectures.
* True rank 0 is the most accurate architecture; tied accuracies share the best rank of their
  group (rank = number of strictly more accurate architectures).
* P@topK: share of the k best-scored architectures whose true rank is ``< k``.
* P@bottomK: share of the k worst-scored architectures whose true rank is ``>= N - k``.
* BR@K / WR@K: (best / worst true rank among the k best-scored architectures + 1) / N, so
  lower is better and BR@K = 1/N means the very best architecture was among them.

Behaviour on awkward input, identical for every function:

* pairs whose score or truth is NaN are left out, with a :class:`MetricWarning` saying how
  many; ``-inf``/``+inf`` scores (proxies use ``-inf`` for "worst") are kept and ranked at the
  ends, except by Pearson, which uses the finite pairs only (and warns);
* score ties are broken by input order (a stable sort) for the top/bottom-K metrics; the
  correlations use scipy's tie handling (average ranks, tau-b);
* fewer than two usable pairs or a constant score or truth vector gives NaN with a
  :class:`MetricWarning`, never an exception.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

ArrayLike = Sequence[float] | np.ndarray


class MetricWarning(UserWarning):
    """A metric was computed on fewer pairs than given, or is undefined (NaN)."""


def _clean(scores: ArrayLike, truth: ArrayLike) -> tuple[np.ndarray, np.ndarray] | None:
    """Aligned float arrays without NaN pairs, or None (with a warning) if degenerate."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(truth, dtype=np.float64).ravel()
    if s.shape != t.shape:
        raise ValueError(f"scores and truth differ in length: {s.size} vs {t.size}")
    keep = ~(np.isnan(s) | np.isnan(t))
    dropped = int(s.size - keep.sum())
    if dropped:
        warnings.warn(f"{dropped} of {s.size} pairs contain NaN and were left out",
                      MetricWarning, stacklevel=3)
        s, t = s[keep], t[keep]
    if s.size < 2 or np.all(s == s[0]) or np.all(t == t[0]):
        warnings.warn("metric undefined for fewer than 2 pairs or constant input; returning NaN",
                      MetricWarning, stacklevel=3)
        return None
    return s, t


def _correlation(fn: Callable[..., object], scores: ArrayLike, truth: ArrayLike) -> float:
    pair = _clean(scores, truth)
    if pair is None:
        return math.nan
    s, t = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # our own checks above report degenerate input
        return float(fn(s, t)[0])


def spearman(scores: ArrayLike, truth: ArrayLike) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    return _correlation(stats.spearmanr, scores, truth)


def kendall(scores: ArrayLike, truth: ArrayLike) -> float:
    """Kendall tau-b (accounts for ties in both vectors)."""
    return _correlation(lambda s, t: stats.kendalltau(s, t, variant="b"), scores, truth)


def pearson(scores: ArrayLike, truth: ArrayLike) -> float:
    """Pearson linear correlation over the pairs with a finite score."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(truth, dtype=np.float64).ravel()
    infinite = np.isinf(s) | np.isinf(t)
    if infinite.any():
        warnings.warn(f"Pearson leaves out {int(infinite.sum())} pairs with an infinite value",
                      MetricWarning, stacklevel=2)
        s, t = s[~infinite], t[~infinite]
    return _correlation(stats.pearsonr, s, t)


def _true_ranks(truth: np.ndarray) -> np.ndarray:
    """Rank 0 = most accurate; ties share the best rank of their group."""
    return stats.rankdata(-truth, method="min").astype(np.int64) - 1


def _count(fraction: float, n: int) -> int:
    if not 0 < fraction <= 1:
        raise ValueError(f"K must be a fraction in (0, 1], got {fraction}")
    return max(1, math.floor(fraction * n))


def _top_k(scores: ArrayLike, truth: ArrayLike, fraction: float):
    """(true ranks of the k best-scored, true ranks of the k worst-scored, k, n) or None."""
    pair = _clean(scores, truth)
    if pair is None:
        return None
    s, t = pair
    n = s.size
    k = _count(fraction, n)
    ranks = _true_ranks(t)
    order = np.argsort(-s, kind="stable")  # best score first, ties in input order
    worst_first = np.argsort(s, kind="stable")
    return ranks[order[:k]], ranks[worst_first[:k]], k, n


def precision_at_top(scores: ArrayLike, truth: ArrayLike, k: float = 0.05) -> float:
    """Share of the ``k``-fraction best-scored architectures that are truly in the top k."""
    res = _top_k(scores, truth, k)
    if res is None:
        return math.nan
    best, _, count, _ = res
    return float(np.mean(best < count))


def precision_at_bottom(scores: ArrayLike, truth: ArrayLike, k: float = 0.05) -> float:
    """Share of the ``k``-fraction worst-scored architectures that are truly in the bottom k."""
    res = _top_k(scores, truth, k)
    if res is None:
        return math.nan
    _, worst, count, n = res
    return float(np.mean(worst >= n - count))


def best_ranking_at(scores: ArrayLike, truth: ArrayLike, k: float = 0.01) -> float:
    """BR@K: (best true rank among the k best-scored + 1) / N; lower is better."""
    res = _top_k(scores, truth, k)
    if res is None:
        return math.nan
    best, _, _, n = res
    return float((best.min() + 1) / n)


def worst_ranking_at(scores: ArrayLike, truth: ArrayLike, k: float = 0.01) -> float:
    """WR@K: (worst true rank among the k best-scored + 1) / N; lower is better."""
    res = _top_k(scores, truth, k)
    if res is None:
        return math.nan
    best, _, _, n = res
    return float((best.max() + 1) / n)


REPORT_COLUMNS = ("spearman", "kendall", "pearson", "p@top5%", "p@top10%", "p@bottom5%", "br@1%",
                  "wr@1%")


def ranking_report(scores: ArrayLike, truth: ArrayLike) -> dict[str, float]:
    """The standard report: correlations, P@top 5 % and 10 %, P@bottom 5 %, BR/WR@1 %."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MetricWarning)
        report = {
            "spearman": spearman(scores, truth),
            "kendall": kendall(scores, truth),
            "pearson": pearson(scores, truth),
            "p@top5%": precision_at_top(scores, truth, 0.05),
            "p@top10%": precision_at_top(scores, truth, 0.10),
            "p@bottom5%": precision_at_bottom(scores, truth, 0.05),
            "br@1%": best_ranking_at(scores, truth, 0.01),
            "wr@1%": worst_ranking_at(scores, truth, 0.01),
        }
    for message in {str(w.message) for w in caught}:  # one warning per distinct problem
        warnings.warn(message, MetricWarning, stacklevel=2)
    return report


def pairwise_accuracy(scores: ArrayLike, truth: ArrayLike, chunk: int = 2048) -> float:
    """Share of architecture pairs that the scores order like the truth.

    This is the ranking accuracy that the zero-cost proxies paper reports for its ``vote``
    ensemble. Pairs with equal truth are left out; a pair with equal scores counts one half.
    """
    pair = _clean(scores, truth)
    if pair is None:
        return math.nan
    s, t = pair
    right = total = 0.0
    for start in range(0, s.size, chunk):  # chunks keep memory at chunk x N
        # comparisons, not differences: -inf against -inf is a tie, not NaN
        block_s, block_t = s[start:start + chunk, None], t[start:start + chunk, None]
        ds = (block_s > s[None, :]).astype(np.int8) - (block_s < s[None, :])
        dt = (block_t > t[None, :]).astype(np.int8) - (block_t < t[None, :])
        valid = dt != 0
        right += np.sum((ds == dt) & valid) + 0.5 * np.sum((ds == 0) & valid)
        total += np.sum(valid)
    return float(right / total) if total else math.nan
