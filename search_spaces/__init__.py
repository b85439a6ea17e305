"""Search spaces: each module registers one or more spaces with ``register_space``."""

from search_spaces import (  # noqa: F401  (each registers its spaces)
    darts,
    nats_sss,
    nb101,
    nb201,
    nds,
    nds_cells,
)
from search_spaces.base import Arch, SearchSpace, get_space, list_spaces, register_space

__all__ = ["Arch", "SearchSpace", "get_space", "list_spaces", "register_space"]
