"""Search strategies: each module registers one or more strategies with ``register_strategy``.

``get_strategy("re", space, seed=0)`` builds a strategy by name; ``list_strategies()`` lists the
names (tests are generated from it, so a newly registered strategy is tested at once).
Constructors are keyword-only after ``space`` and validate their arguments early.
"""

from strategies import evolution, nsga2, predictor, random_search, reinforce  # noqa: F401
from strategies.base import Strategy
from strategies.evolution import AgingEvolution
from strategies.nsga2 import NSGA2Search
from strategies.predictor import PredictorSearch
from strategies.random_search import RandomSearch
from strategies.registry import get_strategy, list_strategies, register_strategy, strategy_class
from strategies.reinforce import Reinforce

__all__ = [
    "AgingEvolution",
    "NSGA2Search",
    "PredictorSearch",
    "RandomSearch",
    "Reinforce",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "register_strategy",
    "strategy_class",
]
