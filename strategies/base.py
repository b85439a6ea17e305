"""The ask/tell interface every search strategy implements.

The shared loop (:mod:`strategies.loop`) owns the budget and calls, in this order:

1. ``warm_start(archs, scores)`` once, before the first ``ask``, when zero-cost warm-start is on:
   ``archs`` is a pool of proxy-scored architectures, best first, ``scores`` their proxy scores
   (higher is better). The default ignores it.
2. ``ask()`` to get the next architecture to evaluate.
3. ``tell(arch, value)`` with its ground-truth value (higher is better). ``tell`` is also
   called, without spending budget, when ``ask`` proposed an architecture whose canonical form
   was evaluated before, so that strategies learn from repeats for free.

Move proposal / pruning is orthogonal to the strategy: when the loop gives a strategy a
``chooser`` (a function that picks the best of several candidates by a proxy), ``ask`` draws
``proposals`` candidates from ``propose()`` and returns the chosen one (``proposals=1`` turns
pruning off, without proxy evaluations). Strategies with their own
rule (aging evolution's neighbour pruning) override ``ask``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from naslib_zero.core.errors import InvalidArgumentError
from search_spaces.base import Arch, SearchSpace

Chooser = Callable[[Sequence[Arch]], Arch]


class Strategy(ABC):
    """Base class: keyword-only constructors, validated early; ``rng`` from ``seed``."""

    name: str = "strategy"

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10) -> None:
        if proposals < 1:
            raise InvalidArgumentError(f"proposals must be >= 1, got {proposals}")
        self.space = space
        self.rng = np.random.default_rng(seed)
        self.proposals = proposals
        self.chooser: Chooser | None = None
        self.rejected = 0  # decision vectors the space rejected (see SearchSpace.decode)

    @property
    def initial_queries(self) -> int:
        """Queries the strategy answers before it uses any told value (an initial random
        population, or the warm-start pool's best); a budget that does not exceed it makes
        the search random search (or the pool's best). 0 by default."""
        return 0

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:  # noqa: B027
        """Seed the strategy with proxy-scored architectures, best first (default: ignore)."""

    def ask(self) -> Arch:
        """The next architecture to evaluate."""
        if self.chooser is None or self.proposals == 1:
            return self.propose()
        return self.chooser([self.propose() for _ in range(self.proposals)])

    @abstractmethod
    def propose(self) -> Arch:
        """One candidate, as the strategy would ask for it without pruning."""

    @abstractmethod
    def tell(self, arch: Arch, value: float) -> None:
        """Report the ground-truth value (higher is better) of an asked architecture."""
