"""The one search loop: owns the budget, de-duplicates by canonical form, records everything.

Ground-truth queries (``oracle`` calls) are the expensive resource and are what ``budget``
counts; proxy evaluations are counted separately by the scorer. An architecture whose
canonical form was already evaluated is never paid for again: the strategy is told the known
value and asked for another one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from naslib_zero.errors import InvalidArgumentError, NaslibZeroError
from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.zero_cost import ProxyScorer, random_pool


class StrategyStuckError(NaslibZeroError, RuntimeError):
    """The strategy keeps proposing architectures that were already evaluated."""


@dataclass(frozen=True)
class Query:
    """One paid ground-truth query."""

    query: int  # 1-based
    arch: str
    value: float
    best_so_far: float
    proxy_evals: int
    seconds: float


@dataclass
class SearchResult:
    """The trajectory of one run."""

    seed: int
    strategy: Strategy
    queries: list[Query] = field(default_factory=list)
    repeats: int = 0  # proposals of already evaluated canonical forms (not paid for)

    @property
    def best(self) -> Query:
        return max(self.queries, key=lambda q: q.value)


def run_search(space: SearchSpace, strategy: Strategy, oracle: Callable[[Arch], float], *,
               budget: int, seed: int = 0, scorer: ProxyScorer | None = None,
               warmup: int = 0, move: bool = False, max_repeats: int = 10_000) -> SearchResult:
    """Run ``strategy`` until ``budget`` ground-truth queries are spent.

    ``warmup``: score that many random architectures with ``scorer`` and hand them to
    ``strategy.warm_start``, best first. ``move``: the strategy prunes its proposals with
    ``scorer`` (best of several candidates). Both need a ``scorer``.
    """
    if budget < 1:
        raise InvalidArgumentError(f"budget must be >= 1, got {budget}")
    if (warmup or move) and scorer is None:
        raise InvalidArgumentError("warm-start and move proposal need a proxy scorer")
    start = time.perf_counter()
    result = SearchResult(seed, strategy)
    if warmup:
        pool = random_pool(space, warmup, np.random.default_rng([seed, 1]))
        scores = scorer(pool)
        order = np.argsort(-scores, kind="stable")
        strategy.warm_start([pool[i] for i in order], scores[order])
    if move:
        strategy.chooser = scorer.best
    seen: dict[str, float] = {}
    best, repeats_in_a_row = -np.inf, 0
    while len(result.queries) < budget:
        arch = strategy.ask()
        key = space.to_str(space.canonical(arch))
        if key in seen:
            strategy.tell(arch, seen[key])
            result.repeats += 1
            repeats_in_a_row += 1
            if repeats_in_a_row > max_repeats:
                raise StrategyStuckError(
                    f"{type(strategy).__name__} proposed {max_repeats} already evaluated "
                    f"architectures in a row after {len(result.queries)} queries")
            continue
        repeats_in_a_row = 0
        value = float(oracle(arch))
        seen[key] = value
        strategy.tell(arch, value)
        best = max(best, value)
        result.queries.append(Query(
            len(result.queries) + 1, space.to_str(arch), value, best,
            scorer.evaluations if scorer else 0, time.perf_counter() - start))
    return result
