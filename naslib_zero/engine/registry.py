"""The proxy registry: one decorated function per proxy, listed with wildcards.

A proxy is ``fn(ctx: Context) -> float``. The decorator records what the function reads
from the engine (``needs``: names of passes, see :mod:`naslib_zero.engine`), whether a higher
score predicts a better architecture, whether it uses labels, and the paper it follows.
Registering never touches the engine: the engine plans its passes from ``needs``.
``naslib-zero proxies`` lists the registry; a user's module registers from the command line as
a plug-in (``--plugins``, see :mod:`naslib_zero.core.plugins`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from naslib_zero.core.errors import UnknownNameError

ProxyFn = Callable[..., float]  # fn(ctx: naslib_zero.engine.Context) -> float


@dataclass(frozen=True)
class ProxySpec:
    """A registered proxy and its metadata."""

    name: str
    fn: ProxyFn
    needs: frozenset[str]
    higher_is_better: bool
    uses_labels: bool
    reference: str
    settings: Callable[[], dict] = dict  # values besides the batch that change the score

    @property
    def worst(self) -> float:
        """The documented value for 'cannot be scored': -inf, or +inf if lower is better."""
        return float("-inf") if self.higher_is_better else float("inf")


_REGISTRY: dict[str, ProxySpec] = {}


def proxy(name: str, *, needs: Iterable[str] = (), higher_is_better: bool = True,
          uses_labels: bool = False, reference: str = "",
          settings: Callable[[], dict] = dict) -> Callable[[ProxyFn], ProxyFn]:
    """Register ``fn(ctx) -> float`` as the proxy ``name``.

    ``settings`` returns the proxy's own configuration (e.g. Sweetimator's interval); it
    becomes part of the score-cache key, so changing it never reuses stale scores.

    Example, in a user's own module::

        from naslib_zero.proxies import proxy

        @proxy("grad_max", needs=["ce_grads"], uses_labels=True)
        def grad_max(ctx):
            return max(float(g.abs().max()) for g in ctx["ce_grads"])
    """

    def wrap(fn: ProxyFn) -> ProxyFn:
        if name in _REGISTRY:
            raise ValueError(f"proxy {name!r} is already registered")
        _REGISTRY[name] = ProxySpec(name, fn, frozenset(needs), higher_is_better,
                                    uses_labels, reference, settings)
        return fn

    return wrap


def unregister(name: str) -> None:
    """Remove a proxy (for tests and interactive experiments)."""
    _REGISTRY.pop(name, None)


def list_proxies(pattern: str = "*") -> list[str]:
    """Registered proxy names matching a shell-style wildcard, e.g. ``"*grad*"``."""
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get_proxy(name: str) -> ProxySpec:
    """The spec of one registered proxy."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown proxy {name!r}; available: {', '.join(list_proxies())}") from None


def resolve(names: str | Iterable[str]) -> list[str]:
    """Expand ``"all"``, comma lists and wildcards into registered proxy names (in order)."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out: list[str] = []
    for item in (i.strip() for i in items):
        matches = list_proxies() if item == "all" else list_proxies(item)
        if not matches:
            get_proxy(item)  # raises with the list of valid names
        out.extend(m for m in matches if m not in out)
    return out
