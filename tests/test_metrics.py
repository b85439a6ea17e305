import math
import warnings

import numpy as np
import pytest
from scipy import stats

from naslib_zero.analysis import metrics as m


@pytest.fixture
def random_pairs():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=500)
    scores = truth + rng.normal(scale=2.0, size=500)
    return scores, truth


def test_correlations_equal_scipy(random_pairs):
    s, t = random_pairs
    assert m.spearman(s, t) == pytest.approx(stats.spearmanr(s, t)[0], abs=1e-12)
    assert m.kendall(s, t) == pytest.approx(stats.kendalltau(s, t)[0], abs=1e-12)
    assert m.pearson(s, t) == pytest.approx(stats.pearsonr(s, t)[0], abs=1e-12)


def test_kendall_is_tau_b_with_ties():
    s = np.array([1, 1, 2, 3, 3, 3, 4])
    t = np.array([1, 2, 2, 3, 4, 4, 5])
    assert m.kendall(s, t) == pytest.approx(stats.kendalltau(s, t, variant="b")[0])
    assert m.spearman(s, t) == pytest.approx(stats.spearmanr(s, t)[0])


# Hand-computed case. truth (accuracy) ranks: idx 0..9 with accuracies 90..81 -> true rank = idx.
TRUTH = np.array([90, 89, 88, 87, 86, 85, 84, 83, 82, 81], dtype=float)
SCORES = np.array([5.0, 1.0, 9.0, 3.0, 2.0, 8.0, 7.0, 4.0, 6.0, 0.0])
# best-scored order: idx 2 (9), 5 (8), 6 (7), 8 (6), 0 (5), 7 (4), 3, 4, 1, 9


def test_precision_at_top_hand_computed():
    # K=0.2 -> k=2: best-scored {2, 5}; true ranks 2 and 5; neither < 2
    assert m.precision_at_top(SCORES, TRUTH, 0.2) == 0.0
    # K=0.5 -> k=5: best-scored {2,5,6,8,0}: true ranks < 5 are {2, 0} -> 2/5
    assert m.precision_at_top(SCORES, TRUTH, 0.5) == pytest.approx(0.4)


def test_precision_at_bottom_hand_computed():
    # K=0.2 -> k=2: worst-scored {9, 1}; true bottom-2 = ranks >= 8 -> {8, 9}; only idx 9
    assert m.precision_at_bottom(SCORES, TRUTH, 0.2) == pytest.approx(0.5)
    # K=0.3 -> k=3: worst-scored {9, 1, 4}; ranks >= 7: only idx 9 -> 1/3
    assert m.precision_at_bottom(SCORES, TRUTH, 0.3) == pytest.approx(1 / 3)


def test_best_and_worst_ranking_hand_computed():
    # K=0.3 -> k=3: best-scored {2, 5, 6}: true ranks 2, 5, 6
    assert m.best_ranking_at(SCORES, TRUTH, 0.3) == pytest.approx((2 + 1) / 10)
    assert m.worst_ranking_at(SCORES, TRUTH, 0.3) == pytest.approx((6 + 1) / 10)
    # K smaller than 1/N still takes one architecture: idx 2, rank 2
    assert m.best_ranking_at(SCORES, TRUTH, 0.01) == pytest.approx(0.3)
    assert m.worst_ranking_at(SCORES, TRUTH, 0.01) == pytest.approx(0.3)


def test_perfect_proxy_has_ideal_values():
    t = np.arange(100, dtype=float)
    r = m.ranking_report(t * 3 + 1, t)
    assert r["spearman"] == pytest.approx(1) and r["kendall"] == pytest.approx(1)
    assert r["p@top5%"] == 1 and r["p@bottom5%"] == 1
    assert r["br@1%"] == pytest.approx(0.01) and r["wr@1%"] == pytest.approx(0.01)


def test_tied_accuracies_share_the_best_rank():
    truth = np.array([95.0, 95.0, 90.0, 80.0])
    scores = np.array([0.0, 3.0, 2.0, 1.0])  # best-scored is idx 1, tied for first
    assert m.best_ranking_at(scores, truth, 0.25) == pytest.approx(1 / 4)
    assert m.precision_at_top(scores, truth, 0.25) == 1.0


def test_nan_pairs_dropped_with_warning(random_pairs):
    s, t = random_pairs
    s = s.copy()
    s[:25] = np.nan
    with pytest.warns(m.MetricWarning, match="25 of 500"):
        value = m.spearman(s, t)
    assert value == pytest.approx(stats.spearmanr(s[25:], t[25:])[0])


def test_constant_or_tiny_input_gives_nan_and_warning():
    with pytest.warns(m.MetricWarning):
        assert math.isnan(m.spearman([1, 1, 1], [1, 2, 3]))
    with pytest.warns(m.MetricWarning):
        assert math.isnan(m.kendall([1.0], [2.0]))
    with pytest.warns(m.MetricWarning):
        assert math.isnan(m.precision_at_top([np.nan] * 4, [1, 2, 3, 4]))


def test_minus_inf_ranks_last_and_pearson_uses_finite_pairs():
    truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    scores = np.array([-np.inf, 2.0, 3.5, 4.0, 6.0])
    assert m.spearman(scores, truth) == pytest.approx(1.0)
    with pytest.warns(m.MetricWarning, match="infinite"):
        assert m.pearson(scores, truth) == pytest.approx(stats.pearsonr(scores[1:], truth[1:])[0])


def test_report_never_raises_on_degenerate_input():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = m.ranking_report([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])
    assert set(report) == set(m.REPORT_COLUMNS)
    assert all(math.isnan(v) for v in report.values())


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="differ in length"):
        m.spearman([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="fraction"):
        m.precision_at_top([1, 2, 3], [1, 2, 3], k=5)


def test_pairwise_accuracy_by_hand_and_against_kendall(random_pairs):
    # pairs: (0,1) right, (0,2) right, (1,2) wrong -> 2/3
    assert m.pairwise_accuracy([1.0, 2.0, 0.0], [1.0, 2.0, 3.0]) == pytest.approx(1 / 3)
    assert m.pairwise_accuracy([1.0, 2.0, 3.5], [1.0, 2.0, 3.0]) == 1.0
    # score tie counts one half; truth tie is left out
    assert m.pairwise_accuracy([1.0, 1.0, 2.0], [1.0, 2.0, 2.0]) == pytest.approx((0.5 + 1) / 2)
    s, t = random_pairs  # no ties: accuracy = (tau + 1) / 2
    assert m.pairwise_accuracy(s, t, chunk=64) == pytest.approx((m.kendall(s, t) + 1) / 2)


def test_pairwise_accuracy_treats_minus_inf_pairs_as_ties():
    # (0,1): both -inf -> tie, half; (0,2) and (1,2): -inf below 1.0, ordered like the truth
    assert m.pairwise_accuracy([-np.inf, -np.inf, 1.0], [1.0, 2.0, 3.0]) == pytest.approx(2.5 / 3)
