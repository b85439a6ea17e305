"""Random search: uniform samples of the space.

Zero-cost warm-start (Abdelfattah et al., ICLR 2021, Sec. 5 and their released NB201 notebook):
the first queries are the warm-start pool's architectures in proxy order, best first; random
samples follow once the pool is used up. Move proposal (the loop's ``chooser``): each random
query is the proxy's best of ``proposals`` random samples; warm-start queries are not pruned
(they are already the proxy's choice).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.registry import register_strategy


@register_strategy("rs")
class RandomSearch(Strategy):
    """Uniform random sampling; after ``warm_start``, the pool's best first, in order."""

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10) -> None:
        super().__init__(space, seed=seed, proposals=proposals)
        self._queue: deque[Arch] = deque()

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:
        self._queue = deque(archs)

    def ask(self) -> Arch:
        if self._queue:  # warm-start queries are already the proxy's choice: no pruning
            return self._queue.popleft()
        return super().ask()

    def propose(self) -> Arch:
        if self._queue:
            return self._queue.popleft()
        return self.space.sample(self.rng)

    def tell(self, arch: Arch, value: float) -> None:
        """Random search learns nothing."""
