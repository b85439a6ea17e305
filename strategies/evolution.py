"""Aging (regularised) evolution, Real et al., AAAI 2019, with the zero-cost rules of
Abdelfattah et al., ICLR 2021 (Sec. 5; their released NB201 notebook ``nas_examples.ipynb``).

* Population ``population`` (64) and tournament ``tournament`` (10), the NB201 settings of the
  zero-cost paper. Until the population is full, ``ask`` returns random architectures; after
  ``warm_start`` the initial population is instead the pool's ``population`` best, in order.
  These are real queries: they cost budget, as in the paper.
* Then each step: ``tournament`` distinct members are drawn uniformly (without replacement),
  the fittest is the parent, the child is one random edit of it (``space.mutate``); the child
  joins the population and the oldest member dies.
* Move proposal (the loop's ``chooser``, a proxy): with probability ``move_prob`` (0.75) the
  child is the proxy's best of *all* one-edit neighbours of the parent (``space.neighbors``,
  24 on NB201), otherwise a random edit -- the paper's rule. The proxy is only consulted when
  its choice is used. While the population is being filled at random, each query is the
  proxy's best of ``proposals`` random samples, as for the other strategies. The paper's
  notebook fills at random, which makes RE+M identical to RE for the first ``population``
  queries; ``proposals=1`` restores that rule. Warm-start queries are not pruned.
* A repeat (the loop tells a known value for free) is treated like any other child: it joins
  the population and ages it, exactly as if it had been queried again. A NaN value counts as
  -inf (the worst).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from naslib_zero.core.errors import InvalidArgumentError
from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.registry import register_strategy


@register_strategy("re")
class AgingEvolution(Strategy):
    """Regularised evolution: tournament selection, one-edit mutation, oldest removed."""

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10,
                 population: int = 64, tournament: int = 10, move_prob: float = 0.75) -> None:
        super().__init__(space, seed=seed, proposals=proposals)
        if tournament < 1:
            raise InvalidArgumentError(f"tournament must be >= 1, got {tournament}")
        if population < tournament:
            raise InvalidArgumentError(
                f"population ({population}) must be >= tournament ({tournament})")
        if not 0.0 <= move_prob <= 1.0:
            raise InvalidArgumentError(f"move_prob must be in [0, 1], got {move_prob}")
        self.population_size, self.tournament_size, self.move_prob = (
            population, tournament, move_prob)
        self.population: deque[tuple[Arch, float]] = deque()  # oldest first
        self._queue: deque[Arch] = deque()

    @property
    def initial_queries(self) -> int:
        return self.population_size

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:
        self._queue = deque(archs[: self.population_size])

    @property
    def filling(self) -> bool:
        """True while the initial population is being queried."""
        return len(self.population) < self.population_size

    def parent(self) -> Arch:
        """Tournament selection: the fittest of ``tournament`` distinct random members
        (the oldest of them on ties)."""
        picks = sorted(self.rng.choice(len(self.population), self.tournament_size,
                                       replace=False).tolist())
        best = max(picks, key=lambda i: self.population[i][1])
        return self.population[best][0]

    def ask(self) -> Arch:
        if self.chooser is None or (self.filling and self._queue):
            return self.propose()
        if self.filling:
            return super().ask()
        parent = self.parent()
        if self.rng.random() < self.move_prob:
            neighbors = self.space.neighbors(parent)
            if neighbors:  # NB101's 2-vertex cell has none: fall back to a mutation
                return self.chooser(neighbors)
        return self.space.mutate(parent, self.rng)

    def propose(self) -> Arch:
        if self.filling:
            return self._queue.popleft() if self._queue else self.space.sample(self.rng)
        return self.space.mutate(self.parent(), self.rng)

    def tell(self, arch: Arch, value: float) -> None:
        self.population.append((arch, -math.inf if math.isnan(value) else value))
        if len(self.population) > self.population_size:
            self.population.popleft()
