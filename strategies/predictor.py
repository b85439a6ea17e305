"""Predictor-based search: a scikit-learn surrogate picks the next architecture to query.

* Features: ``space.encode(arch)``; with ``proxy_features`` (a :class:`ProxyScorer`), also each
  proxy's raw score as ``sign(s) * log1p(|s|)`` (0 when not finite) plus a finite/not-finite
  indicator. Raw per-proxy scores are used even for vote/rank scorers, whose combined score is
  relative to the set scored together and would not mean the same thing across steps. Each
  architecture is scored once (cached by canonical form), so ``scorer.evaluations`` counts
  distinct architectures.
* Surrogate: ``estimator`` (anything with ``fit``/``predict``; cloned with
  :func:`sklearn.base.clone`, its ``random_state`` set from ``seed`` when it has one that is
  None). Default ``ExtraTreesRegressor(n_estimators=50, n_jobs=1)``: a fit on 300 NB201 points
  takes ~0.05 s on one core, so all fits of a budget-300 run take ~15 s; ``fit_seconds``
  accumulates the time spent fitting (and ``fits`` counts them). The surrogate is refitted only
  when new data arrived.
* Search: ``initial`` (10) random queries, then each step the candidate pool is ``pool_size``
  (200) random samples plus ``mutations`` (10) random one-edit mutations of each of the
  ``top_k`` (10) best evaluated architectures, de-duplicated by canonical form and without
  already evaluated classes; the query is the candidate with the best prediction. If every
  candidate was already evaluated, a random sample is returned.
* Targets: the told values; a non-finite value (e.g. -inf from a proxy used as oracle) counts
  as the lowest finite value told so far. Repeats (known values told again) add no data.
* Zero-cost warm-start: the first ``initial`` queries are the pool's best, in proxy order
  (instead of random ones), and a *prior* surrogate is fitted once on the whole pool, with the
  proxy rank in [0, 1] as target (ties averaged, -inf lowest). Its prediction is then an extra
  input feature of the surrogate fitted on real data: the prior carries the proxy's knowledge
  to every candidate (not only the scored pool), and the real-data surrogate decides from the
  evidence how far to trust it -- the tree analogue of pre-training on the proxy and
  fine-tuning on accuracies, at the cost of one extra fit.
* Move proposal (the loop's ``chooser``): the proxy picks among the ``proposals`` best predicted
  candidates of one pool (the base rule, best of ``proposals`` calls of ``propose``, would
  build ``proposals`` pools for the same effect); during the initial random queries it picks
  among ``proposals`` random samples; the warm-start queries are not pruned.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone

from naslib_zero.core.errors import InvalidArgumentError
from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.registry import register_strategy
from strategies.reinforce import proxy_ranks
from strategies.zero_cost import ProxyScorer


def default_estimator(seed: int = 0) -> Any:
    """The default surrogate: 50 extremely randomised trees, single-threaded."""
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(n_estimators=50, min_samples_leaf=1, n_jobs=1, random_state=seed)


@register_strategy("predictor")
class PredictorSearch(Strategy):
    """Query the best predicted of random and locally mutated candidates (see module doc)."""

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10,
                 estimator: Any = None, proxy_features: ProxyScorer | None = None,
                 initial: int = 10, pool_size: int = 200, top_k: int = 10,
                 mutations: int = 10) -> None:
        super().__init__(space, seed=seed, proposals=proposals)
        for arg, value, low in (("initial", initial, 1), ("pool_size", pool_size, 0),
                                ("top_k", top_k, 0), ("mutations", mutations, 0)):
            if value < low:
                raise InvalidArgumentError(f"{arg} must be >= {low}, got {value}")
        if pool_size == 0 and (top_k == 0 or mutations == 0):
            raise InvalidArgumentError("the candidate pool is empty: pool_size, top_k and "
                                       "mutations give no candidates")
        if estimator is None:
            estimator = default_estimator(seed)
        elif not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise InvalidArgumentError(
                f"estimator must have fit and predict, got {type(estimator).__name__}")
        else:
            estimator = clone(estimator, safe=False)
            params = estimator.get_params() if hasattr(estimator, "get_params") else {}
            if "random_state" in params and params["random_state"] is None:
                estimator.set_params(random_state=seed)
        self.estimator, self.scorer = estimator, proxy_features
        self.initial, self.pool_size, self.top_k, self.mutations = (
            initial, pool_size, top_k, mutations)
        self.fit_seconds, self.fits = 0.0, 0
        self.model: Any = None
        self.prior: Any = None  # surrogate of the proxy rank, after warm_start
        self._keys: set[str] = set()  # canonical forms told
        self._archs: list[Arch] = []
        self._values: list[float] = []
        self._dirty = False
        self._queue: deque[Arch] = deque()
        self._proxy: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------------------ features

    def _key(self, arch: Arch) -> str:
        return self.space.to_str(self.space.canonical(arch))

    def _base_features(self, archs: Sequence[Arch]) -> np.ndarray:
        x = np.stack([np.asarray(self.space.encode(a), dtype=np.float64) for a in archs])
        if self.scorer is None:
            return x
        keys = [self._key(a) for a in archs]
        todo = {k: a for k, a in zip(keys, archs) if k not in self._proxy}
        if todo:
            raw = self.scorer.values(list(todo.values()))
            s = np.column_stack([raw[n] for n in self.scorer.names])
            finite = np.isfinite(s)
            scaled = np.where(finite, np.sign(s) * np.log1p(np.abs(np.where(finite, s, 0.0))),
                              0.0)
            rows = np.concatenate([scaled, finite.astype(np.float64)], axis=1)
            self._proxy.update(zip(todo, rows))
        return np.concatenate([x, np.stack([self._proxy[k] for k in keys])], axis=1)

    def features(self, archs: Sequence[Arch]) -> np.ndarray:
        """The surrogate's input rows for ``archs`` (with the prior's prediction when warm)."""
        x = self._base_features(archs)
        if self.prior is None:
            return x
        return np.concatenate([x, self.prior.predict(x)[:, None]], axis=1)

    def _fit(self, model: Any, x: np.ndarray, y: np.ndarray) -> Any:
        start = time.perf_counter()
        model.fit(x, y)
        self.fit_seconds += time.perf_counter() - start
        self.fits += 1
        return model

    # --------------------------------------------------------------------------- ask / tell

    @property
    def initial_queries(self) -> int:
        return self.initial

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:
        if len(archs) == 0:
            return
        self._queue = deque(archs[: self.initial])
        self.prior = self._fit(clone(self.estimator, safe=False), self._base_features(archs),
                               proxy_ranks(scores))

    def ask(self) -> Arch:
        if self._queue:  # warm-start queries are already the proxy's choice: no pruning
            return self._queue.popleft()
        if self.chooser is None or self._exploring:
            return super().ask()
        return self.chooser(self.ranked(self.proposals))

    def propose(self) -> Arch:
        if self._queue:
            return self._queue.popleft()
        if self._exploring:
            return self.space.sample(self.rng)
        return self.ranked(1)[0]

    @property
    def _exploring(self) -> bool:
        """True during the initial random queries (or while no finite value was told)."""
        return len(self._values) < self.initial or not any(map(math.isfinite, self._values))

    def ranked(self, count: int) -> list[Arch]:
        """The ``count`` best predicted of a fresh candidate pool (a random sample if the pool
        is empty); refits the surrogate first if new data arrived."""
        if self._dirty or self.model is None:
            worst = min(v for v in self._values if math.isfinite(v))
            y = np.array([v if math.isfinite(v) else worst for v in self._values])
            self.model = self._fit(clone(self.estimator, safe=False), self.features(self._archs),
                                   y)
            self._dirty = False
        candidates = self.candidates()
        if not candidates:
            return [self.space.sample(self.rng)]
        predicted = self.model.predict(self.features(candidates))
        return [candidates[i] for i in np.argsort(-predicted, kind="stable")[:count]]

    def candidates(self) -> list[Arch]:
        """Random samples and mutations of the best, distinct classes not yet evaluated."""
        pool = [self.space.sample(self.rng) for _ in range(self.pool_size)]
        order = np.argsort([-v if not math.isnan(v) else math.inf for v in self._values],
                           kind="stable")
        for i in order[: self.top_k]:
            pool.extend(self.space.mutate(self._archs[i], self.rng)
                        for _ in range(self.mutations))
        fresh: dict[str, Arch] = {}
        for arch in pool:
            key = self._key(arch)
            if key not in self._keys:
                fresh.setdefault(key, arch)
        return list(fresh.values())

    def tell(self, arch: Arch, value: float) -> None:
        key = self._key(arch)
        if key in self._keys:
            return
        self._keys.add(key)
        self._archs.append(arch)
        self._values.append(float(value))
        self._dirty = True
