"""Search strategies: one contract suite over every registered strategy (generated from the
registry) on a tiny space and on NB201, plus the rules specific to each strategy."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesRegressor
from tiny_space import BEST, TinySpace, tiny_oracle  # tests/ is on sys.path (rootdir-less)

from naslib_zero.analysis.evaluation import write_scores
from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.restricted import RestrictedSpace
from strategies import get_strategy, list_strategies
from strategies.evolution import AgingEvolution
from strategies.experiment import (
    SearchConfig,
    best_curves,
    run_seeds,
    summarize,
    write_trajectories,
)
from strategies.loop import SearchResult, run_search
from strategies.oracle import TableOracle
from strategies.predictor import PredictorSearch
from strategies.random_search import RandomSearch
from strategies.reinforce import Reinforce, proxy_ranks
from strategies.zero_cost import ProxyScorer, random_pool

TINY = TinySpace()
NB201 = get_space("nb201")


def fake_proxy(value: float, i: int) -> float:
    """A noisy, partly -inf stand-in for a proxy column (deterministic in the row)."""
    if value < 55.0:
        return -math.inf
    return value + 3.0 * math.sin(7.0 * i)


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    archs = list(TINY.enumerate())
    path = tmp_path_factory.mktemp("tiny") / "scores.csv"
    write_scores(path, [TINY.to_str(a) for a in archs],
                 {"synflow": [fake_proxy(tiny_oracle(a), i) for i, a in enumerate(archs)]})
    return TINY, tiny_oracle, ProxyScorer(TINY, "synflow", table=path)


@pytest.fixture(scope="module")
def nb201_setup(data_dir: Path, tmp_path_factory):
    truth = load_ground_truth("nb201", "cifar10", "test", data_dir=data_dir)
    path = tmp_path_factory.mktemp("nb201") / "scores.csv"
    write_scores(path, list(truth.archs),
                 {"synflow": [fake_proxy(v, i) for i, v in enumerate(truth.values)]})
    return NB201, TableOracle(NB201, truth), ProxyScorer(NB201, "synflow", table=path)


@pytest.fixture(scope="module")
def nb101_setup(data_dir: Path, tmp_path_factory):
    """NB101 restricted to its 30k table: the search space is what the table holds."""
    truth = load_ground_truth("nb101", "cifar10", "val", data_dir=data_dir)
    space = RestrictedSpace(get_space("nb101"), truth)
    path = tmp_path_factory.mktemp("nb101") / "scores.csv"
    write_scores(path, list(truth.archs),
                 {"synflow": [fake_proxy(v, i) for i, v in enumerate(truth.values)]})
    return space, TableOracle(space, truth), ProxyScorer(space, "synflow", table=path)


SETUPS = {"tiny": ("tiny_setup", 30), "nb201": ("nb201_setup", 40),
          "nb101-restricted": ("nb101_setup", 30)}
MODES = {"plain": (0, False), "warm": (100, False), "move": (0, True), "warm+move": (100, True)}
CONTRACT_OPTIONS = {  # keep the contract runs small and fast (defaults are tested below)
    "re": {"population": 16, "tournament": 4},
    "predictor": {"estimator": ExtraTreesRegressor(n_estimators=10, n_jobs=1)},
}


def fresh(scorer: ProxyScorer) -> ProxyScorer:
    """A scorer sharing the loaded table, with its own evaluation count."""
    out = copy.copy(scorer)
    out.evaluations = 0
    return out


def search(name, setup, budget, warmup=0, move=False, seed=3, **kwargs) -> SearchResult:
    space, oracle, scorer = setup
    strategy = get_strategy(name, space, seed=seed, **kwargs)
    use = fresh(scorer) if warmup or move else None
    return run_search(space, strategy, oracle, budget=budget, seed=seed, scorer=use,
                      warmup=warmup, move=move)


def trajectory(result: SearchResult) -> list[tuple]:
    return [(q.query, q.arch, q.value, q.best_so_far, q.proxy_evals) for q in result.queries]


# --------------------------------------------------------------------------------- registry


def test_registry_names():
    assert {"rs", "re", "rl", "predictor"} <= set(list_strategies())
    assert list_strategies("r?") == ["re", "rl", "rs"]
    assert isinstance(get_strategy("rs", TINY), RandomSearch)
    assert get_strategy("re", TINY).name == "re"
    with pytest.raises(UnknownNameError, match="available: .*predictor"):
        get_strategy("bogus", TINY)


@pytest.mark.parametrize("name, kwargs", [
    ("rs", {"proposals": 0}),
    ("re", {"population": 5, "tournament": 10}),
    ("re", {"move_prob": 1.5}),
    ("rl", {"learning_rate": 0.0}),
    ("rl", {"momentum": 1.0}),
    ("predictor", {"initial": 0}),
    ("predictor", {"estimator": object()}),
])
def test_bad_arguments_rejected_early(name, kwargs):
    with pytest.raises(InvalidArgumentError):
        get_strategy(name, TINY, **kwargs)


def test_constructors_are_keyword_only():
    with pytest.raises(TypeError):
        AgingEvolution(TINY, 0)  # type: ignore[misc]


# --------------------------------------------------------------------------------- contract


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("space_name", list(SETUPS))
@pytest.mark.parametrize("name", list_strategies())
def test_contract(request, name, space_name, mode):
    """Reproducible from the seed, exactly ``budget`` paid queries, no class queried twice,
    best-so-far is the running maximum; with and without warm-start and move proposal."""
    fixture, budget = SETUPS[space_name]
    setup = request.getfixturevalue(fixture)
    space = setup[0]
    warmup, move = MODES[mode]
    options = CONTRACT_OPTIONS.get(name, {})
    first = search(name, setup, budget, warmup, move, **options)
    again = search(name, setup, budget, warmup, move, **options)
    assert trajectory(first) == trajectory(again)
    assert len(first.queries) == budget
    assert [q.query for q in first.queries] == list(range(1, budget + 1))
    keys = [space.to_str(space.canonical(space.from_str(q.arch))) for q in first.queries]
    assert len(set(keys)) == budget
    values = [q.value for q in first.queries]
    assert [q.best_so_far for q in first.queries] == list(np.maximum.accumulate(values))
    if move:
        assert first.queries[-1].proxy_evals > 0
    if mode == "plain":
        other = search(name, setup, budget, seed=4, **options)
        assert trajectory(other) != trajectory(first)


@pytest.mark.parametrize("name", list_strategies())
def test_non_finite_values(tiny_setup, name):
    """A proxy used as the oracle (zero-shot search) can return -inf: no strategy breaks."""
    space, oracle, _ = tiny_setup

    def harsh(arch):
        return -math.inf if sum(arch) % 3 == 0 else oracle(arch)

    result = run_search(space, get_strategy(name, space, seed=0), harsh, budget=30)
    assert len(result.queries) == 30
    assert math.isfinite(result.best.value)


# ----------------------------------------------------------------------------- random search


def expected_warm_queries(space, scorer, warmup, seed, count):
    """The loop's warm-start pool, best first, canonical repeats dropped, first ``count``."""
    pool = random_pool(space, warmup, np.random.default_rng([seed, 1]))
    scores = fresh(scorer)(pool)
    ordered = [pool[i] for i in np.argsort(-scores, kind="stable")][:count]
    seen, out = set(), []
    for arch in ordered:
        key = space.to_str(space.canonical(arch))
        if key not in seen:
            seen.add(key)
            out.append(space.to_str(arch))
    return out


@pytest.mark.parametrize("cls, budget, seed, warmup, first", [
    (RandomSearch, 40, 5, 30, 30),  # random search: the whole pool, best first
    (AgingEvolution, 70, 6, 200, 64),  # evolution: the pool's top 64 are the population
])
def test_warm_start_queries_the_pools_best_first(nb201_setup, cls, budget, seed, warmup, first):
    space, oracle, scorer = nb201_setup
    result = run_search(space, cls(space, seed=0), oracle, budget=budget, seed=seed,
                        scorer=fresh(scorer), warmup=warmup)
    expected = expected_warm_queries(space, scorer, warmup, seed, first)
    assert [q.arch for q in result.queries[: len(expected)]] == expected


# ------------------------------------------------------------------------------- evolution


def test_re_population_is_bounded_and_loses_its_oldest(tiny_setup):
    space, oracle, _ = tiny_setup
    re = AgingEvolution(space, seed=1, population=8, tournament=3)
    told = []
    for _ in range(40):
        arch = re.ask()
        re.tell(arch, oracle(arch))
        told.append(arch)
        assert len(re.population) <= 8
        assert [a for a, _ in re.population] == told[-8:]
    assert len(re.population) == 8


def test_re_defaults_follow_the_paper():
    re = AgingEvolution(NB201)
    assert (re.population_size, re.tournament_size, re.move_prob) == (64, 10, 0.75)


def test_re_children_are_one_edit_mutations(tiny_setup):
    space, oracle, _ = tiny_setup
    re = AgingEvolution(space, seed=2, population=8, tournament=3)
    for _ in range(8):
        arch = re.ask()
        re.tell(arch, oracle(arch))
    members = {a for a, _ in re.population}
    for _ in range(20):
        parents = {a for a, _ in re.population}
        child = re.ask()
        assert any(sum(x != y for x, y in zip(child, p)) == 1 for p in parents)
        re.tell(child, oracle(child))
    assert members != {a for a, _ in re.population}


def test_re_move_picks_the_choosers_best_neighbour(tiny_setup):
    space, oracle, _ = tiny_setup
    re = AgingEvolution(space, seed=3, population=8, tournament=3, proposals=5)
    calls = []

    def chooser(candidates):
        best = max(candidates, key=oracle)
        calls.append((list(candidates), best))
        return best

    re.chooser = chooser
    for i in range(8):  # filling: the best of `proposals` random samples
        arch = re.ask()
        assert len(calls) == i + 1 and len(calls[-1][0]) == 5 and arch == calls[-1][1]
        re.tell(arch, oracle(arch))
    calls.clear()
    asks, chosen = 200, 0
    for _ in range(asks):
        parents = [a for a, _ in re.population]
        before = len(calls)
        child = re.ask()
        if len(calls) > before:
            candidates, best = calls[-1]
            assert child == best
            assert any(sorted(candidates) == sorted(space.neighbors(p)) for p in parents)
            chosen += 1
        re.tell(child, oracle(child))
    assert 0.65 < chosen / asks < 0.85  # move_prob = 0.75


def test_re_move_counts_a_proxy_evaluation_per_candidate(nb201_setup):
    space, oracle, scorer = nb201_setup
    s = fresh(scorer)
    re = AgingEvolution(space, seed=0, population=10, tournament=3, proposals=4)
    result = run_search(space, re, oracle, budget=30, seed=0, scorer=s, move=True)
    assert result.queries[0].proxy_evals == 4  # best of 4 random samples
    fill = result.queries[9].proxy_evals  # 4 per ask while filling, repeats included
    assert fill % 4 == 0 and fill >= 40
    assert (s.evaluations - fill) % 24 == 0 and s.evaluations - fill >= 24 * 5


def test_one_proposal_turns_pruning_off(nb201_setup):
    """``proposals=1``: the paper notebook's random fill; RE+M equals RE until it is full."""
    space, oracle, scorer = nb201_setup
    plain = run_search(space, AgingEvolution(space, seed=4, population=10, tournament=3),
                       oracle, budget=10, seed=4)
    s = fresh(scorer)
    moved = run_search(space, AgingEvolution(space, seed=4, population=10, tournament=3,
                                             proposals=1),
                       oracle, budget=10, seed=4, scorer=s, move=True)
    assert [q.arch for q in moved.queries] == [q.arch for q in plain.queries]
    assert s.evaluations == 0


# ------------------------------------------------------------------------------- reinforce


def policy_mean(rl: Reinforce, space, oracle) -> float:
    return sum(rl.arch_probability(a) * oracle(a) for a in space.enumerate())


def test_rl_policy_concentrates_on_the_best_arch(tiny_setup):
    space, oracle, _ = tiny_setup
    rl = Reinforce(space, seed=0, max_tries=1)  # default learning rate, plain policy draws
    start = rl.arch_probability(BEST)
    assert start == pytest.approx(1 / 256, rel=0.01)
    for _ in range(1500):
        arch = rl.ask()
        rl.tell(arch, oracle(arch))
    assert rl.arch_probability(BEST) > 0.5
    assert sum(rl.arch_probability(a) for a in space.enumerate()) == pytest.approx(1.0)


def test_rl_warm_start_moves_the_policy_towards_the_proxy(tiny_setup):
    space, oracle, _ = tiny_setup
    archs = list(space.enumerate())
    rl = Reinforce(space, seed=0)
    before = policy_mean(rl, space, oracle)
    rl.warm_start(archs, [oracle(a) for a in archs])
    after = policy_mean(rl, space, oracle)
    assert after > before + 5.0
    assert rl.arch_probability(BEST) < 0.5  # a prior, not a collapse
    assert rl.baseline.denominator == 0.0  # the search starts with a fresh baseline


def test_proxy_ranks():
    r = proxy_ranks([3.0, -math.inf, 1.0, 3.0, float("nan")])
    assert r.tolist() == [0.875, 0.125, 0.5, 0.875, 0.125]
    assert proxy_ranks([2.0]).tolist() == [0.5]


# ------------------------------------------------------------------------------- predictor


def test_predictor_records_fit_time(tiny_setup):
    space, oracle, _ = tiny_setup
    p = PredictorSearch(space, seed=0, initial=5)
    run_search(space, p, oracle, budget=25)
    assert p.fit_seconds > 0
    assert 1 <= p.fits <= 25 - 5 + 1  # refitted only when new data arrived


def test_predictor_beats_its_random_start(tiny_setup):
    space, oracle, _ = tiny_setup
    result = run_search(space, PredictorSearch(space, seed=0, initial=10), oracle, budget=30)
    first = max(q.value for q in result.queries[:10])
    assert result.best.value >= first
    assert result.best.value >= sorted(map(oracle, space.enumerate()))[-5]  # top-5 of 256


def test_predictor_warm_start_and_proxy_features(nb201_setup):
    space, oracle, scorer = nb201_setup
    s = fresh(scorer)
    p = PredictorSearch(space, seed=0, initial=5, proxy_features=s, pool_size=50)
    result = run_search(space, p, oracle, budget=15, seed=1, scorer=s, warmup=60)
    assert p.prior is not None
    expected = expected_warm_queries(space, scorer, 60, 1, 5)
    assert [q.arch for q in result.queries[: len(expected)]] == expected
    x = p.features([space.sample(np.random.default_rng(0))])
    assert x.shape == (1, 30 + 2 + 1)  # one-hot, proxy (value, finite), prior prediction
    assert p.fits == 1 + (15 - 5)  # the prior, then one fit per new point


def test_predictor_accepts_any_estimator(tiny_setup):
    from sklearn.linear_model import Ridge

    space, oracle, _ = tiny_setup
    p = PredictorSearch(space, seed=0, estimator=Ridge(alpha=1.0), initial=5)
    result = run_search(space, p, oracle, budget=15)
    assert len(result.queries) == 15 and p.fits > 0


# ------------------------------------------------------- the loop's end, summaries, settings


def tiny_classes() -> set[str]:
    return {TINY.to_str(TINY.canonical(a)) for a in TINY.enumerate()}


def test_a_search_past_the_space_stops_when_it_runs_out(tiny_setup):
    space, oracle, _ = tiny_setup
    result = run_search(space, RandomSearch(space, seed=0), oracle, budget=200)
    assert len(result.queries) == len(tiny_classes()) == 160
    assert {TINY.to_str(TINY.canonical(TINY.from_str(q.arch))) for q in result.queries} \
        == tiny_classes()
    assert result.stopped == "the space ran out after 160 distinct networks"


def test_a_stuck_strategy_stops_without_claiming_the_space_ran_out(tiny_setup):
    space, oracle, _ = tiny_setup

    class Stubborn(RandomSearch):
        def propose(self):
            return BEST

    result = run_search(space, Stubborn(space), oracle, budget=5, max_repeats=3)
    assert [q.arch for q in result.queries] == [TINY.to_str(BEST)]
    assert result.stopped == ("Stubborn proposed only already evaluated networks (3 in a row) "
                              "after 1 of the space's 160 distinct networks")
    assert run_search(space, RandomSearch(space), oracle, budget=5).stopped is None


@pytest.mark.parametrize("budget, checkpoints", [
    (20, [10, 20]), (60, [10, 50, 60]), (100, [10, 50, 100]), (150, [10, 50, 100, 150])])
def test_summary_reports_the_checkpoints_within_the_budget_and_the_budget(
        tiny_setup, budget, checkpoints):
    space, oracle, _ = tiny_setup
    results = run_seeds(space, SearchConfig("rs", budget), [0, 1], oracle, show_progress=False)
    summary = summarize(results)
    assert [k for k in summary if k.startswith("best@")] == [f"best@{k}" for k in checkpoints]
    best = sorted(r.best.value for r in results)
    assert summary[f"best@{budget}"]["q25"] >= best[0]  # the last checkpoint is the budget's
    assert summary[f"best@{budget}"]["median"] == pytest.approx(np.mean(best))
    assert "stopped_early" not in summary


def test_a_seed_that_stopped_early_keeps_its_best_in_the_curves(tiny_setup):
    space, oracle, _ = tiny_setup
    full = run_search(space, RandomSearch(space, seed=0), oracle, budget=200)
    short = run_search(space, RandomSearch(space, seed=1), oracle, budget=200, seed=1,
                       max_repeats=0)
    assert len(short.queries) < len(full.queries) == 160  # max_repeats=0: the first repeat
    curves = best_curves([full, short])
    assert curves.shape == (2, 160)
    assert (curves[1, len(short.queries):] == short.queries[-1].best_so_far).all()
    stopped = summarize([full, short])["stopped_early"]
    assert [(s["seed"], s["queries"]) for s in stopped] == [(0, 160), (1, len(short.queries))]


def test_initial_queries_are_the_strategies_random_start():
    assert get_strategy("re", TINY, population=12, tournament=3).initial_queries == 12
    assert get_strategy("nsga2", TINY, pop_size=7).initial_queries == 7
    assert get_strategy("predictor", TINY, initial=4).initial_queries == 4
    assert get_strategy("rs", TINY).initial_queries == get_strategy("rl", TINY).initial_queries \
        == 0


@pytest.mark.parametrize("kwargs, match", [
    ({"budget": 0}, "budget must be >= 1, got 0"),
    ({"warmup": -1}, "warmup must be >= 0, got -1")])
def test_search_config_rejects_bad_values(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        SearchConfig("re", **kwargs)


def test_zero_shot_trajectories_name_their_value_column(tiny_setup, tmp_path):
    space, oracle, _ = tiny_setup
    results = run_seeds(space, SearchConfig("rs", 3), [0], oracle, show_progress=False)
    write_trajectories(tmp_path / "t.csv", results, value_name="proxy_value")
    header, *rows = (tmp_path / "t.csv").read_text().splitlines()
    assert header == "seed,query,arch,proxy_value,best_so_far,proxy_evals,seconds"
    assert [float(r.split(",")[3]) for r in rows] == [q.value for q in results[0].queries]
