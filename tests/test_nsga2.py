"""NSGA-II strategy (pymoo ask/tell): budget, reproducibility, front, warm start, hypervolume.

Objectives without models where possible: the NB201 table as oracle and the number of
convolutions of the cell as cost.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from strategies.loop import run_search
from strategies.nsga2 import (
    CategoricalMutation,
    NSGA2Search,
    flop_count,
    hypervolume,
    param_count,
    pareto_indices,
)
from strategies.oracle import TableOracle

CONVS = (2, 3)  # nor_conv_1x1, nor_conv_3x3


def n_convs(arch) -> float:
    return float(sum(op in CONVS for op in arch))


@pytest.fixture(scope="module")
def space():
    return get_space("nb201")


@pytest.fixture(scope="module")
def oracle(space, data_dir):
    return TableOracle(space, load_ground_truth("nb201", "cifar10", "test", data_dir=data_dir))


class Recorder:
    """Wraps an oracle and remembers what was paid for."""

    def __init__(self, oracle):
        self.oracle, self.calls = oracle, []

    def __call__(self, arch):
        self.calls.append(arch)
        return self.oracle(arch)


def search(space, oracle, *, seed=0, budget=50, pop_size=10, **kwargs):
    strategy = NSGA2Search(space, seed=seed, pop_size=pop_size, cost=n_convs, **kwargs)
    recorder = Recorder(oracle)
    result = run_search(space, strategy, recorder, budget=budget, seed=seed)
    return strategy, result, recorder


def dominates(a, b) -> bool:
    """(value, cost): a at least as good in both, strictly better in one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


# ------------------------------------------------------------------------------- search


def test_spends_exactly_the_budget(space, oracle):
    strategy, result, recorder = search(space, oracle, budget=45)
    assert len(result.queries) == len(recorder.calls) == 45
    keys = {space.to_str(space.canonical(a)) for a in recorder.calls}
    assert len(keys) == 45  # the loop never pays twice for a class
    assert len(strategy.evaluated) == 45


def test_reproducible_from_seed(space, oracle):
    first = search(space, oracle, seed=3)[1]
    again = search(space, oracle, seed=3)[1]
    other = search(space, oracle, seed=4)[1]
    assert [q.arch for q in first.queries] == [q.arch for q in again.queries]
    assert [q.arch for q in first.queries] != [q.arch for q in other.queries]


def test_front_is_the_non_dominated_set_of_everything_told(space, oracle):
    strategy, _, _ = search(space, oracle, budget=60)
    front = strategy.pareto_front()
    told = [(v, c) for _, v, c in strategy.evaluated]
    points = [(v, c) for _, v, c in front]
    assert front and len(points) <= len(told)
    for p in points:
        assert not any(dominates(q, p) for q in told)
    for q in told:
        assert q in points or any(dominates(p, q) for p in points)
    assert [c for _, c in points] == sorted(c for _, c in points)
    for arch, value, cost in front:
        assert value == oracle(arch) and cost == n_convs(space.canonical(arch))


def test_search_improves_on_its_initial_population(space, oracle):
    _, result, _ = search(space, oracle, budget=60, pop_size=10)
    first = max(q.value for q in result.queries[:10])
    assert result.best.value >= first


def test_warm_start_is_the_first_population(space, oracle):
    rng = np.random.default_rng(0)
    pool = [space.sample(rng) for _ in range(40)]
    pool.insert(3, space.canonical(pool[0]))  # a repeat of a class: skipped
    strategy = NSGA2Search(space, seed=0, pop_size=10, cost=n_convs)
    strategy.warm_start(pool, np.arange(len(pool))[::-1])
    distinct, seen = [], set()
    for arch in pool:
        key = space.to_str(space.canonical(arch))
        if key not in seen:
            seen.add(key)
            distinct.append(arch)
    asked = [strategy.ask() for _ in range(10)]
    assert asked == distinct[:10]
    for arch in asked:
        strategy.tell(arch, oracle(arch))
    assert len(strategy.ask()) == 6  # the next generation, bred by pymoo


def test_warm_start_through_the_loop_queries_the_pool_first(space, oracle):
    rng = np.random.default_rng(1)
    pool = [space.sample(rng) for _ in range(12)]
    strategy = NSGA2Search(space, seed=0, pop_size=6, cost=n_convs)
    strategy.warm_start(pool, np.linspace(1, 0, len(pool)))
    recorder = Recorder(oracle)
    run_search(space, strategy, recorder, budget=20, seed=0)
    assert recorder.calls[:6] == pool[:6]


def test_small_pool_is_filled_with_random_architectures(space):
    strategy = NSGA2Search(space, seed=0, pop_size=8, cost=n_convs)
    pool = [(3, 3, 3, 3, 3, 3), (2, 2, 2, 2, 2, 2)]
    strategy.warm_start(pool, [2.0, 1.0])
    asked = [strategy.ask() for _ in range(8)]
    assert asked[:2] == pool
    assert len({space.to_str(space.canonical(a)) for a in asked}) == 8


def test_move_proposal_queries_only_chosen_candidates(space, oracle):
    chosen = []

    def chooser(candidates):
        best = max(candidates, key=n_convs)
        chosen.append(best)
        return best

    strategy = NSGA2Search(space, seed=0, pop_size=8, proposals=4, cost=n_convs)
    strategy.chooser = chooser
    recorder = Recorder(oracle)
    run_search(space, strategy, recorder, budget=30, seed=0)
    assert len(recorder.calls) == 30
    assert all(arch in chosen for arch in recorder.calls)


def test_unscorable_values_are_infeasible_not_on_the_front(space, oracle):
    def partly_broken(arch):
        return -math.inf if arch[0] == 0 else oracle(arch)

    strategy = NSGA2Search(space, seed=5, pop_size=10, cost=n_convs)
    result = run_search(space, strategy, partly_broken, budget=50, seed=5)
    assert len(result.queries) == 50
    assert any(math.isinf(q.value) for q in result.queries)
    assert all(math.isfinite(v) for _, v, _ in strategy.pareto_front())


def test_tell_must_follow_ask_in_order(space):
    strategy = NSGA2Search(space, seed=0, pop_size=4, cost=n_convs)
    with pytest.raises(InvalidArgumentError):
        strategy.tell((0,) * 6, 1.0)
    a, b = strategy.ask(), strategy.ask()
    with pytest.raises(InvalidArgumentError):
        strategy.tell(b if b != a else (4,) * 6, 1.0)
    strategy.tell(a, 1.0)
    strategy.tell(b, 2.0)
    rest = [strategy.ask(), strategy.ask()]
    with pytest.raises(InvalidArgumentError):
        strategy.ask()  # the whole generation is out
    for arch in rest:
        strategy.tell(arch, 0.5)
    strategy.ask()  # the next generation
    with pytest.raises(InvalidArgumentError):
        strategy.warm_start([(0,) * 6], [1.0])


@pytest.mark.parametrize("kwargs, error", [
    ({"pop_size": 1}, InvalidArgumentError),
    ({"pop_size": 2.5}, InvalidArgumentError),
    ({"cost": "latency"}, UnknownNameError),
    ({"cost": 3}, InvalidArgumentError),
    ({"proposals": 0}, InvalidArgumentError),
])
def test_constructor_validates(space, kwargs, error):
    with pytest.raises(error):
        NSGA2Search(space, **kwargs)


def test_registered_as_nsga2(space):
    from strategies import get_strategy, list_strategies

    assert "nsga2" in list_strategies()
    strategy = get_strategy("nsga2", space, seed=1, pop_size=6)
    assert isinstance(strategy, NSGA2Search) and strategy.name == "nsga2"
    assert strategy.pop_size == 6 and strategy.cost_name == "params"


# --------------------------------------------------------------------------------- costs


def test_builtin_costs(space):
    big, small = (3,) * 6, (1,) * 6
    assert param_count(space, big) == 1_531_546  # NB201's largest network, 10 classes
    assert param_count(space, small) < param_count(space, big)
    dead = (0, 0, 0, 1, 3, 3)  # convs on edges out of nodes 1 and 2, which are ZERO
    assert param_count(space, dead) == param_count(space, space.canonical(dead))
    assert flop_count(space, small) < flop_count(space, big)
    assert NSGA2Search(space, cost="params").cost(big) == param_count(space, big)


def test_custom_cost_sees_the_canonical_form(space):
    strategy = NSGA2Search(space, cost=n_convs)
    dead = (0, 0, 0, 1, 3, 3)
    assert strategy.cost(dead) == n_convs(space.canonical(dead)) == 0.0


# -------------------------------------------------------------------------- front and HV


def test_pareto_indices_by_hand():
    values = [0.9, 0.6, 0.5, 0.9, 0.95, float("nan"), 0.6]
    costs = [0.5, 0.2, 0.3, 0.5, 0.9, 0.1, 0.2]
    # 2 is dominated by 1; 0 and 3 are copies (both kept); 5 is not finite
    assert pareto_indices(values, costs) == [1, 6, 0, 3, 4]
    assert pareto_indices([], []) == []
    with pytest.raises(InvalidArgumentError):
        pareto_indices([1.0], [1.0, 2.0])


def test_hypervolume_by_hand():
    # [0, 0.9] x [0.5, 1] and [0, 0.6] x [0.2, 1]: 0.45 + 0.48 - 0.30
    assert hypervolume([(0.9, 0.5), (0.6, 0.2)]) == pytest.approx(0.63)
    # dominated points and points outside the reference box add nothing
    assert hypervolume([(0.9, 0.5), (0.6, 0.2), (0.5, 0.6), (1.2, 1.5), (-0.1, 0.1)]) == (
        pytest.approx(0.63))
    assert hypervolume([(0.9, 0.5)], ref=(0.4, 0.8)) == pytest.approx(0.5 * 0.3)
    assert hypervolume([]) == 0.0
    assert hypervolume([(0.5, 1.0)]) == 0.0


def test_categorical_mutation_changes_values_within_bounds():
    from pymoo.core.problem import Problem

    problem = Problem(n_var=6, n_obj=2, xl=0, xu=4, vtype=int)
    X = np.zeros((200, 6), dtype=np.int64)
    out = CategoricalMutation(prob_var=1.0)._do(problem, X, random_state=np.random.default_rng(0))
    assert out.dtype.kind == "i" and (out >= 1).all() and (out <= 4).all()
    assert set(np.unique(out)) == {1, 2, 3, 4}
    out = CategoricalMutation()._do(problem, X, random_state=np.random.default_rng(0))
    assert 0.08 < (out != 0).mean() < 0.25  # about 1 / n_var of the genes
