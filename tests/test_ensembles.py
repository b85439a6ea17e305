import numpy as np
import pytest

from naslib_zero.analysis.ensembles import rank_average, vote


def test_vote_counts_majority_pairwise_wins():
    scores = {"a": [3.0, 2.0, 1.0], "b": [1.0, 3.0, 2.0], "c": [3.0, 1.0, 2.0]}
    # arch 0 beats 1 (a, c) and beats 2 (a, c); arch 1 beats 2 (a, b); arch 2 beats nobody
    # by majority (beats 1 only in c, beats 0 only in b)
    assert vote(scores, ["a", "b", "c"]).tolist() == [2, 1, 0]
    assert vote(scores, ["a", "b", "c"], chunk=1).tolist() == [2, 1, 0]


def test_vote_treats_nan_and_minus_inf_as_worst():
    scores = {"a": [np.nan, 1.0], "b": [-np.inf, 1.0], "c": [0.0, 1.0]}
    assert vote(scores, ["a", "b", "c"]).tolist() == [0, 1]


def test_rank_average():
    scores = {"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0], "c": [1.0, 3.0, 2.0]}
    assert rank_average(scores, ["a", "b", "c"]) == pytest.approx([5 / 3, 7 / 3, 2.0])


def test_missing_proxy_is_named():
    with pytest.raises(KeyError, match="snip"):
        vote({"synflow": [1.0], "jacob_cov": [1.0]})
