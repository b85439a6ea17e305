"""Multi-objective search: pymoo's NSGA-II driven through its ask/tell interface.

Two objectives: maximise the value the loop tells (ground-truth accuracy, or a proxy value when
the oracle is a proxy) and minimise a cost of the architecture (``cost="params"`` by default,
``"flops"``, or any ``cost(arch) -> float``). pymoo minimises, so it sees ``(-value, cost)``.

How it maps onto the one-architecture-per-``ask()`` interface (:mod:`strategies.base`):

* The first ``ask()`` builds a pymoo :class:`~pymoo.core.problem.Problem` with one integer
  variable per ``space.decisions()`` (bounds ``0 .. choices - 1``) and calls
  ``NSGA2.setup(problem)``. Each generation is one ``algorithm.ask()`` population; ``ask()``
  hands its individuals out one at a time, ``tell()`` collects their values (in ask order) and
  once the whole population is told it is evaluated with a
  :class:`~pymoo.problems.static.StaticProblem` (the told objectives) and returned with
  ``algorithm.tell(infills=pop)``. An architecture whose canonical form was evaluated before is
  told its known value by the loop without spending budget, so duplicates cost nothing.
* Operators are categorical-aware, because op indices are labels with no order
  (``nor_conv_3x3`` is not "between" ``nor_conv_1x1`` and ``avg_pool_3x3``): pymoo's
  ``IntegerRandomSampling``, ``UniformCrossover`` (each gene copied from one parent, prob 0.9),
  and :class:`CategoricalMutation` (random reset of each gene with probability ``1 / n_var`` to
  a *different* choice). pymoo's binary tournament on rank and crowding, ``RankAndCrowding``
  survival and duplicate elimination (on the decision vector) are kept as they are; the
  termination is pymoo's ``NoTermination`` (the loop owns the budget).
* ``pop_size`` (default 20): the population and offspring count per generation. NB201 has six
  decisions and a budget of 100-ish queries, so 20 gives about five generations; pymoo's
  default of 100 would spend the whole budget on the random initial population.
* ``warm_start``: the initial population is the best ``pop_size`` distinct (canonical) members
  of the warm-start pool, best first, handed to pymoo as ``sampling=`` (an array of X);
  random architectures fill it up when the pool is smaller.
* Move proposal (the loop's ``chooser``): every generation pymoo is asked for ``pop_size *
  proposals`` offspring (the random initial population likewise draws ``proposals`` candidates
  per slot) and the chooser keeps one of each consecutive group of ``proposals``; only those
  are queried and told back to pymoo.
* Unscorable architectures (a non-finite value or cost, e.g. a proxy's ``-inf`` for a network
  whose output ignores its input) are marked infeasible with one inequality constraint
  (``G = 1``; feasible ones have ``G = -1``), so NSGA-II ranks them below every feasible one
  instead of seeing a made-up objective value. They never enter :meth:`pareto_front`.
* The cost is computed on ``space.canonical(arch)`` and cached per canonical string: ops on
  dead paths are not part of the function (and not part of the representative's model), and
  the loop already treats a class as one architecture. ``"params"`` counts the parameters of
  the representative's model on the strategy's ``dataset``; ``"flops"`` is the ``flops``
  proxy (multiply-accumulates per sample) on two synthetic images of that dataset's shape.

:func:`pareto_indices` and :func:`hypervolume` work on (value, cost) pairs; see there for the
reference point. pymoo is imported on first use (about half a second), not with the module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from search_spaces.base import Arch, DatasetSpec, SearchSpace
from strategies.base import Strategy
from strategies.registry import register_strategy

if TYPE_CHECKING:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.population import Population
    from pymoo.core.problem import Problem

CostFn = Callable[[Arch], float]
COSTS = ("params", "flops")

# ------------------------------------------------------------------------------------ costs

_COST_CACHE: dict[tuple, float] = {}


def param_count(space: SearchSpace, arch: Arch, dataset: str | DatasetSpec | None = None,
                ) -> float:
    """Parameters of the model of ``space.canonical(arch)`` on ``dataset`` (default: the
    space's; cached per canonical form). Lazy layers are materialised by one forward of a
    zero input of the dataset's shape."""
    import torch

    from naslib_zero.scoring import build_model  # torch models: only when a cost is computed

    spec = space.dataset(dataset)
    rep = space.canonical(arch)
    key = ("params", space.name, space.to_str(rep), spec)
    if key not in _COST_CACHE:
        with torch.device("meta"):  # shapes only: no weights are drawn
            model = build_model(space, rep, spec, 0)
            if any(isinstance(p, torch.nn.parameter.UninitializedParameter)
                   for p in model.parameters()):
                with torch.no_grad():
                    model.eval()(torch.zeros((1, *spec.input_shape)))
        _COST_CACHE[key] = float(sum(p.numel() for p in model.parameters()))
    return _COST_CACHE[key]


def flop_count(space: SearchSpace, arch: Arch, dataset: str | DatasetSpec | None = None,
               ) -> float:
    """Multiply-accumulates per sample of the model of ``space.canonical(arch)`` on
    ``dataset`` (the ``flops`` proxy on two synthetic images of its shape; cached per
    canonical form)."""
    from naslib_zero.data import synthetic_batch
    from naslib_zero.proxies import compute
    from naslib_zero.scoring import build_model

    spec = space.dataset(dataset)
    rep = space.canonical(arch)
    key = ("flops", space.name, space.to_str(rep), spec)
    if key not in _COST_CACHE:
        batch = synthetic_batch("gaussian", 2, spec.input_shape, spec.num_classes, 0)
        model = build_model(space, rep, spec, 0)
        _COST_CACHE[key] = float(compute(model, batch.inputs, batch.targets, ["flops"])["flops"])
    return _COST_CACHE[key]


# -------------------------------------------------------------------------- front and HV


def pareto_indices(values: Sequence[float], costs: Sequence[float]) -> list[int]:
    """Indices of the non-dominated points (maximise value, minimise cost), by cost ascending.

    ``a`` dominates ``b`` when it is at least as good in both and strictly better in one, so
    identical points are all kept. Points with a non-finite value or cost are ignored.
    """
    v, c = np.asarray(values, dtype=float), np.asarray(costs, dtype=float)
    if v.shape != c.shape or v.ndim != 1:
        raise InvalidArgumentError(f"need one cost per value, got {v.shape} and {c.shape}")
    ok = np.flatnonzero(np.isfinite(v) & np.isfinite(c))
    order = ok[np.lexsort((-v[ok], c[ok]))]  # cost ascending, then value descending
    front: list[int] = []
    best_v = best_c = None
    for i in order.tolist():
        if best_v is None or v[i] > best_v:
            front.append(i)
            best_v, best_c = v[i], c[i]
        elif v[i] == best_v and c[i] == best_c:  # a copy of the last front point
            front.append(i)
    return front


def hypervolume(points: Sequence[tuple[float, float]] | np.ndarray,
                ref: tuple[float, float] = (0.0, 1.0)) -> float:
    """Area dominated by ``points`` = (value to maximise, cost to minimise), bounded by ``ref``.

    ``ref`` = (worst value, worst cost) counted, default ``(0, 1)``: meant for normalised
    objectives (e.g. accuracy / 100 and cost / the largest cost of the space), where it is the
    worst corner. Points that are not strictly better than ``ref`` in both objectives add
    nothing. Computed with pymoo's ``HV`` indicator on ``(-value, cost)``.
    """
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    if not np.isfinite(ref).all():
        raise InvalidArgumentError(f"the reference point must be finite, got {ref}")
    ref_v, ref_c = float(ref[0]), float(ref[1])
    keep = np.isfinite(arr).all(axis=1) & (arr[:, 0] > ref_v) & (arr[:, 1] < ref_c)
    if not keep.any():
        return 0.0
    from pymoo.indicators.hv import HV

    F = np.column_stack([-arr[keep, 0], arr[keep, 1]])
    return float(HV(ref_point=np.array([-ref_v, ref_c]))(F))


# ------------------------------------------------------------------------- pymoo operator


@functools.cache
def _categorical_mutation() -> type:
    """Define the pymoo operator on first use (keeps pymoo out of the module import)."""
    from pymoo.core.mutation import Mutation

    class CategoricalMutation(Mutation):
        """Random reset for integer-coded categorical variables: each variable, with probability
        ``prob_var`` (default ``1 / n_var``), takes a different value drawn uniformly from the
        other choices of its bounds ``xl .. xu``."""

        def _do(self, problem, X, *args, random_state=None, **kwargs):
            X = np.rint(np.asarray(X, dtype=float)).astype(np.int64)
            xl, xu = (np.rint(b).astype(np.int64) for b in problem.bounds())
            choices = xu - xl + 1
            prob = np.asarray(self.get_prob_var(problem, size=len(X)), dtype=float).reshape(-1, 1)
            mask = (random_state.random(X.shape) < prob) & (choices > 1)
            shift = 1 + np.floor(random_state.random(X.shape) * np.maximum(choices - 1, 1))
            moved = xl + (X - xl + shift.astype(np.int64)) % choices
            return np.where(mask, moved, X)

    return CategoricalMutation


def __getattr__(name: str) -> Any:  # ``from strategies.nsga2 import CategoricalMutation``
    if name == "CategoricalMutation":
        return _categorical_mutation()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------------ strategy


@register_strategy("nsga2")
class NSGA2Search(Strategy):
    """NSGA-II (pymoo) on (told value, cost); see the module docstring for the details.

    ``pop_size``: individuals per generation (default 20, at least 2). ``cost``: ``"params"``
    (default), ``"flops"`` or a function ``arch -> float`` to minimise (called on the
    canonical representative). ``dataset``: the space's dataset whose model the built-in costs
    are computed on (default: the space's default dataset).
    """

    name = "nsga2"

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10,
                 pop_size: int = 20, cost: str | CostFn = "params",
                 dataset: str | None = None) -> None:
        super().__init__(space, seed=seed, proposals=proposals)
        if isinstance(pop_size, bool) or not isinstance(pop_size, int) or pop_size < 2:
            raise InvalidArgumentError(f"pop_size must be an int >= 2, got {pop_size!r}")
        if isinstance(cost, str):
            if cost not in COSTS:
                raise UnknownNameError(
                    f"unknown cost {cost!r}; available: {', '.join(COSTS)} or a callable")
        elif not callable(cost):
            raise InvalidArgumentError(f"cost must be a name or a callable, got {cost!r}")
        self.pop_size = pop_size
        self.cost_name = cost if isinstance(cost, str) else getattr(cost, "__name__", "custom")
        self._cost = cost
        self.dataset = space.dataset(dataset)
        self._bounds = np.asarray(space.decisions(), dtype=np.int64) - 1
        if self._bounds.ndim != 1 or (self._bounds < 0).any():
            raise InvalidArgumentError(f"{space.name} has no usable decisions() for NSGA-II")
        self._initial: np.ndarray | None = None
        self._algorithm: NSGA2 | None = None
        self._problem: Problem | None = None
        self._batch: Population | None = None
        self._batch_archs: list[Arch] = []
        self._told_values: list[float] = []
        self._told_costs: list[float] = []
        self._history: dict[str, tuple[Arch, float, float]] = {}
        self._own_cost_cache: dict[str, float] = {}

    # ---- objectives

    def cost(self, arch: Arch) -> float:
        """The cost to minimise of ``arch`` (computed on its canonical form, cached)."""
        if self._cost == "params":
            return param_count(self.space, arch, self.dataset)
        if self._cost == "flops":
            return flop_count(self.space, arch, self.dataset)
        rep = self.space.canonical(arch)
        key = self.space.to_str(rep)
        if key not in self._own_cost_cache:
            self._own_cost_cache[key] = float(self._cost(rep))
        return self._own_cost_cache[key]

    # ---- Strategy interface

    @property
    def initial_queries(self) -> int:
        return self.pop_size

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:
        """The initial population: the best ``pop_size`` distinct classes of ``archs``."""
        if self._algorithm is not None:
            raise InvalidArgumentError("warm_start() must come before the first ask()")
        chosen: dict[str, Arch] = {}
        for arch in archs:
            if len(chosen) == self.pop_size:
                break
            chosen.setdefault(self.space.to_str(self.space.canonical(arch)), arch)
        while len(chosen) < self.pop_size and len(chosen) < (self.space.size() or np.inf):
            arch = self.space.sample(self.rng)
            chosen.setdefault(self.space.to_str(self.space.canonical(arch)), arch)
        self._initial = np.array([self.space.to_decisions(a) for a in chosen.values()],
                                 dtype=np.int64)

    def ask(self) -> Arch:
        """The next individual of the current generation (pruning, if any, happened when the
        generation was built, so ``ask`` is ``propose``)."""
        return self.propose()

    def propose(self) -> Arch:
        if self._batch is None:
            self._new_generation()
        if len(self._batch_archs) == len(self._batch):
            raise InvalidArgumentError(
                "every architecture of this generation was asked for: tell() their values "
                "before asking for more")
        arch = self._arch_of(self._batch[len(self._batch_archs)].X)
        self._batch_archs.append(arch)
        return arch

    def tell(self, arch: Arch, value: float) -> None:
        """Record ``value`` for the oldest asked, untold individual (which must be ``arch``)."""
        i = len(self._told_values)
        if self._batch is None or i >= len(self._batch_archs):
            raise InvalidArgumentError("tell() without a matching ask()")
        if self.space.to_decisions(arch) != self.space.to_decisions(self._batch_archs[i]):
            raise InvalidArgumentError(
                f"tell() expected {self.space.to_str(self._batch_archs[i])} (values are told "
                f"in ask order), got {self.space.to_str(arch)}")
        value, cost = float(value), self.cost(arch)
        self._told_values.append(value)
        self._told_costs.append(cost)
        self._history.setdefault(self.space.to_str(self.space.canonical(arch)),
                                 (arch, value, cost))
        if len(self._told_values) == len(self._batch):
            self._finish_generation()

    # ---- results

    def pareto_front(self) -> list[tuple[Arch, float, float]]:
        """(arch, value, cost) of every told class that no other told class dominates, by
        cost ascending (non-finite values and costs excluded)."""
        entries = list(self._history.values())
        keep = pareto_indices([e[1] for e in entries], [e[2] for e in entries])
        return [entries[i] for i in keep]

    @property
    def evaluated(self) -> list[tuple[Arch, float, float]]:
        """(arch, value, cost) of every told class, first told member, in tell order."""
        return list(self._history.values())

    # ---- pymoo plumbing

    def _arch_of(self, x: np.ndarray) -> Arch:
        return self.space.from_decisions(np.rint(np.asarray(x, dtype=float)).astype(int).tolist())

    def _setup(self) -> NSGA2:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.core.termination import NoTermination
        from pymoo.operators.crossover.ux import UniformCrossover
        from pymoo.operators.sampling.rnd import IntegerRandomSampling

        n = len(self._bounds)
        self._problem = Problem(n_var=n, n_obj=2, n_ieq_constr=1, xl=np.zeros(n),
                                xu=self._bounds.astype(float), vtype=int)
        sampling = self._initial
        if sampling is None and self.chooser is not None:
            sampling = self._pruned_random_population()
        algorithm = NSGA2(
            pop_size=self.pop_size,
            sampling=IntegerRandomSampling() if sampling is None else sampling,
            crossover=UniformCrossover(prob=0.9),
            mutation=_categorical_mutation()(),
            eliminate_duplicates=True,
            seed=int(self.rng.integers(2**31 - 1)),
        )
        algorithm.termination = NoTermination()  # NSGA2.__init__ sets its own; the loop decides
        algorithm.setup(self._problem)
        return algorithm

    def _pruned_random_population(self) -> np.ndarray:
        rows = []
        for _ in range(self.pop_size):
            arch = self.chooser([self.space.sample(self.rng) for _ in range(self.proposals)])
            rows.append(self.space.to_decisions(arch))
        return np.array(rows, dtype=np.int64)

    def _new_generation(self) -> None:
        from pymoo.core.population import Population

        if self._algorithm is None:
            self._algorithm = self._setup()
        algorithm = self._algorithm
        prune = self.chooser is not None and algorithm.is_initialized and self.proposals > 1
        algorithm.n_offsprings = self.pop_size * (self.proposals if prune else 1)
        pop = algorithm.ask()
        if pop is not None and len(pop):
            self._repair(pop)
        if pop is not None and len(pop) and prune:
            archs = [self._arch_of(x) for x in pop.get("X")]
            keep = []
            for start in range(0, len(archs), self.proposals):
                group = archs[start:start + self.proposals]
                keep.append(start + group.index(self.chooser(group)))
            pop = pop[keep]
        if pop is None or len(pop) == 0:  # mating found no new offspring: random immigrants
            algorithm.termination.force_termination = False
            pop = Population.new(X=np.array(
                [self.space.to_decisions(self.space.sample(self.rng))
                 for _ in range(self.pop_size)], dtype=np.int64))
        self._batch, self._batch_archs = pop, []
        self._told_values, self._told_costs = [], []

    def _repair(self, pop) -> None:
        """Replace decision vectors that violate the space's constraints by random valid
        architectures' (counted in ``rejected``)."""
        X = pop.get("X")
        for i, x in enumerate(X):
            if self.space.decode(np.rint(np.asarray(x, dtype=float)).astype(int).tolist()) is None:
                X[i] = self.space.to_decisions(self.space.sample(self.rng))
                self.rejected += 1
        pop.set("X", X)

    def _finish_generation(self) -> None:
        from pymoo.core.evaluator import Evaluator
        from pymoo.problems.static import StaticProblem

        values, costs = np.array(self._told_values), np.array(self._told_costs)
        ok = np.isfinite(values) & np.isfinite(costs)
        F = np.column_stack([-values, costs])
        for j in range(2):  # unscorable individuals are infeasible; their F only needs to exist
            finite = F[np.isfinite(F[:, j]), j]
            F[~np.isfinite(F[:, j]), j] = finite.max() if finite.size else 0.0
        G = np.where(ok, -1.0, 1.0).reshape(-1, 1)
        Evaluator().eval(StaticProblem(self._problem, F=F, G=G), self._batch,
                         skip_already_evaluated=False)
        self._algorithm.tell(infills=self._batch)
        self._batch = None
