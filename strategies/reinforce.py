"""REINFORCE (Williams, 1992) with a factorised categorical policy, in numpy.

Follows the REINFORCE baseline of NAS-Bench-201 / NATS-Bench (D-X-Y/AutoDL-Projects,
``exps/algos/reinforce.py`` and ``exps/NATS-algos/reinforce.py``):

* the policy is one logit vector per decision of ``space.decisions()`` (softmax), initialised
  to ``1e-3 * N(0, 1)``; an architecture is one independent draw per decision;
* after each query: the baseline (an exponential moving average of the rewards with
  ``momentum`` 0.9, bias-corrected like the reference's ``ExponentialMovingAverage``) is updated
  first, then one Adam step (betas 0.9/0.999, eps 1e-8) on ``-log p(arch) * (reward -
  baseline)``;
* ``learning_rate`` 0.01: the value in the NATS-Bench script's usage lines
  (``--learning_rate 0.01``). The older NAS-Bench-201 scripts used 0.001, with which a few
  hundred queries barely move the policy (each step moves a logit by at most ~lr);
* reward = ``value * reward_scale`` (0.01: accuracy in percent -> fraction). The reference
  uses the raw accuracy; with Adam the scale hardly matters, but a [0, 1] reward shares its
  scale with the warm-start ranks. A non-finite value (e.g. -inf from a proxy used as oracle)
  is replaced by the lowest finite reward seen so far (skipped while there is none);
* ``propose`` redraws (up to ``max_tries`` = 100 draws) until the class was not evaluated yet.
  The loop would not pay for a repeat, but a policy that has converged (or that the proxy's
  pick among ``proposals`` draws keeps sending to one class) would otherwise propose known
  architectures forever; with this rule the policy is sampled conditioned on "new". The
  update still uses ``log p`` of the told architecture.

Zero-cost warm-start: the pool's proxy scores become rewards ``r`` in [0, 1] (their ranks,
ties averaged, -inf lowest), and the policy climbs the expected pool reward
``J = sum_i w_i r_i``, with self-normalised importance weights ``w_i ~ p(a_i)`` (the pool is a
uniform sample, so this is the policy's expected proxy rank): ``warm_epochs`` (50) full-batch
gradient-ascent steps of size ``warm_lr`` (1.0) on the exact gradient
``sum_i w_i (r_i - J) grad log p(a_i)``. On NB201 with a 3000-architecture pool and a
synthetic proxy (accuracy rank plus noise, Spearman 0.76 with accuracy) this takes ``J`` from
0.50 to ~0.74 and the expected CIFAR-10 accuracy of a policy sample from 87.1 to ~92.3 %,
keeping 8.3 of the 9.7 nats of entropy: a prior, not a collapse onto the proxy's favourite.
The search then starts with a fresh baseline and Adam.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from naslib_zero.core.errors import InvalidArgumentError
from search_spaces.base import Arch, SearchSpace
from strategies.base import Strategy
from strategies.registry import register_strategy

MAX_REDRAWS = 10_000


def proxy_ranks(scores: Sequence[float]) -> np.ndarray:
    """Scores -> ranks in [0, 1] (ties averaged; -inf and NaN lowest; 0.5 for a single one)."""
    s = np.asarray(scores, dtype=np.float64)
    s = np.where(np.isnan(s), -np.inf, s)
    if s.size < 2:
        return np.full(s.size, 0.5)
    return (rankdata(s) - 1.0) / (s.size - 1.0)


class _EMA:
    """Bias-corrected exponential moving average (the reference's baseline)."""

    def __init__(self, momentum: float) -> None:
        self.momentum, self.numerator, self.denominator = momentum, 0.0, 0.0

    def update(self, value: float) -> None:
        self.numerator = self.momentum * self.numerator + (1 - self.momentum) * value
        self.denominator = self.momentum * self.denominator + (1 - self.momentum)

    @property
    def value(self) -> float:
        return self.numerator / self.denominator


@register_strategy("rl")
class Reinforce(Strategy):
    """REINFORCE on a factorised categorical policy with a moving-average baseline."""

    def __init__(self, space: SearchSpace, *, seed: int = 0, proposals: int = 10,
                 learning_rate: float = 0.01, momentum: float = 0.9, reward_scale: float = 0.01,
                 warm_epochs: int = 50, warm_lr: float = 1.0, max_tries: int = 100) -> None:
        super().__init__(space, seed=seed, proposals=proposals)
        if learning_rate <= 0:
            raise InvalidArgumentError(f"learning_rate must be > 0, got {learning_rate}")
        if not 0.0 <= momentum < 1.0:
            raise InvalidArgumentError(f"momentum must be in [0, 1), got {momentum}")
        if reward_scale <= 0:
            raise InvalidArgumentError(f"reward_scale must be > 0, got {reward_scale}")
        if warm_epochs < 0 or warm_lr < 0:
            raise InvalidArgumentError(
                f"warm_epochs and warm_lr must be >= 0, got {warm_epochs} and {warm_lr}")
        self.learning_rate, self.momentum, self.reward_scale = learning_rate, momentum, reward_scale
        if max_tries < 1:
            raise InvalidArgumentError(f"max_tries must be >= 1, got {max_tries}")
        self.warm_epochs, self.warm_lr, self.max_tries = warm_epochs, warm_lr, max_tries
        self._told: set[str] = set()  # canonical forms told
        sizes = np.asarray(space.decisions(), dtype=np.int64)
        if sizes.size == 0 or (sizes < 1).any():
            raise InvalidArgumentError(f"space {space.name!r} has invalid decisions {sizes}")
        self._rows = np.arange(sizes.size)
        self._mask = np.arange(sizes.max())[None, :] < sizes[:, None]  # padded (D, K)
        self.logits = np.where(self._mask, 1e-3 * self.rng.standard_normal(self._mask.shape),
                               -np.inf)
        self._reset_optimizer()

    def _reset_optimizer(self) -> None:
        self.baseline = _EMA(self.momentum)
        self._m = np.zeros(self._mask.shape)
        self._v = np.zeros(self._mask.shape)
        self._t = 0
        self._worst = math.inf  # lowest finite reward seen

    def probabilities(self) -> np.ndarray:
        """(decisions, max choices) softmax of the logits; 0 on padding."""
        z = np.exp(self.logits - self.logits.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def arch_probability(self, arch: Arch) -> float:
        """Probability that the policy samples exactly ``arch``."""
        choice = np.asarray(self.space.to_decisions(arch))
        return float(np.prod(self.probabilities()[self._rows, choice]))

    def sample(self) -> Arch:
        """One valid draw from the policy: draws the space rejects are redrawn (and counted
        in ``rejected``), at most ``MAX_REDRAWS`` times in a row."""
        cdf = np.cumsum(self.probabilities(), axis=1)
        for _ in range(MAX_REDRAWS):
            u = self.rng.random(len(self._rows))[:, None] * cdf[:, -1:]
            choice = np.minimum((cdf <= u).sum(axis=1), self._mask.sum(axis=1) - 1)
            arch = self.space.decode(choice.tolist())
            if arch is not None:
                return arch
            self.rejected += 1
        raise InvalidArgumentError(
            f"the policy drew {MAX_REDRAWS} invalid {self.space.name} architectures in a row")

    def propose(self) -> Arch:
        """A policy draw whose class was not told yet (up to ``max_tries`` draws)."""
        for _ in range(self.max_tries - 1):
            arch = self.sample()
            if self._key(arch) not in self._told:
                return arch
        return self.sample()

    def _key(self, arch: Arch) -> str:
        return self.space.to_str(self.space.canonical(arch))

    def tell(self, arch: Arch, value: float) -> None:
        self._told.add(self._key(arch))
        reward = float(value) * self.reward_scale
        if math.isfinite(reward):
            self._worst = min(self._worst, reward)
        elif math.isfinite(self._worst):
            reward = self._worst
        else:
            return
        self.baseline.update(reward)
        advantage = reward - self.baseline.value
        choice = np.asarray(self.space.to_decisions(arch))
        grad = self.probabilities()  # d(-log p)/d logits = p - onehot, times the advantage
        grad[self._rows, choice] -= 1.0
        grad *= advantage
        self._adam(grad)

    def _adam(self, grad: np.ndarray, beta1: float = 0.9, beta2: float = 0.999,
              eps: float = 1e-8) -> None:
        self._t += 1
        self._m = beta1 * self._m + (1 - beta1) * grad
        self._v = beta2 * self._v + (1 - beta2) * grad * grad
        m_hat = self._m / (1 - beta1**self._t)
        v_hat = self._v / (1 - beta2**self._t)
        step = np.where(self._mask, self.learning_rate * m_hat / (np.sqrt(v_hat) + eps), 0.0)
        self.logits = self.logits - step

    def warm_start(self, archs: Sequence[Arch], scores: Sequence[float]) -> None:
        if len(archs) == 0 or self.warm_epochs == 0:
            return
        choices = np.array([self.space.to_decisions(a) for a in archs], dtype=np.int64)
        rewards = proxy_ranks(scores)
        for _ in range(self.warm_epochs):
            log_p = np.log(self.probabilities()[self._rows[None, :], choices]).sum(axis=1)
            w = np.exp(log_p - log_p.max())
            w /= w.sum()
            weighted = w * (rewards - float(w @ rewards))
            grad = np.zeros(self._mask.shape)
            for d in self._rows:  # d J / d logits[d, c] = sum_i w_i (r_i - J) [a_id == c]
                grad[d] = np.bincount(choices[:, d], weights=weighted, minlength=grad.shape[1])
            self.logits = self.logits + self.warm_lr * grad
        self._reset_optimizer()
