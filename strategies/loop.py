"""The one search loop: owns the budget, de-duplicates by canonical form, records everything.

Ground-truth queries (``oracle`` calls) are the expensive resource and are what ``budget``
counts; proxy evaluations are counted separately by the scorer. An architecture whose
canonical form was already evaluated is never paid for again: the strategy is told the known
value and asked for another one. A strategy that proposes only evaluated architectures
(``max_repeats`` in a row: the space ran out, or the strategy is stuck) ends the search early;
:attr:`SearchResult.stopped` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from naslib_zero.core.errors import InvalidArgumentError
from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.zero_cost import ProxyScorer, random_pool

COUNTED_CLASSES = 100_000  # spaces up to this size have their distinct networks counted


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
    stopped: str | None = None  # why the search ended before its budget (None: it did not)

    @property
    def best(self) -> Query:
        return max(self.queries, key=lambda q: q.value)


def run_search(space: SearchSpace, strategy: Strategy, oracle: Callable[[Arch], float], *,
               budget: int, seed: int = 0, scorer: ProxyScorer | None = None,
               warmup: int = 0, move: bool = False, max_repeats: int = 10_000,
               on_query: Callable[[], object] | None = None) -> SearchResult:
    """Run ``strategy`` until ``budget`` ground-truth queries are spent, or until it proposes
    ``max_repeats`` already evaluated architectures in a row (``result.stopped`` says so).

    ``warmup``: score that many random architectures with ``scorer`` and hand them to
    ``strategy.warm_start``, best first. ``move``: the strategy prunes its proposals with
    ``scorer`` (best of several candidates). Both need a ``scorer``. ``on_query`` is called
    after each paid query (progress display).
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
                result.stopped = _stop_reason(space, strategy, len(seen), max_repeats)
                break
            continue
        repeats_in_a_row = 0
        value = float(oracle(arch))
        seen[key] = value
        strategy.tell(arch, value)
        best = max(best, value)
        result.queries.append(Query(
            len(result.queries) + 1, space.to_str(arch), value, best,
            scorer.evaluations if scorer else 0, time.perf_counter() - start))
        if on_query is not None:
            on_query()
    return result


def distinct_networks(space: SearchSpace) -> int | None:
    """The number of canonical forms of a finite space of at most ``COUNTED_CLASSES``
    architectures (None for a larger or infinite one)."""
    size = space.size()
    if size is None or size > COUNTED_CLASSES:
        return None
    return len({space.to_str(space.canonical(arch)) for arch in space.enumerate()})


def _stop_reason(space: SearchSpace, strategy: Strategy, distinct: int, repeats: int) -> str:
    total = distinct_networks(space)
    if distinct == total:
        return f"the space ran out after {distinct} distinct networks"
    of = f" of the space's {total}" if total else ""
    return (f"{type(strategy).__name__} proposed only already evaluated networks ({repeats} in "
            f"a row) after {distinct}{of} distinct networks")
