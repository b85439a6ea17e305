"""The SearchSpace contract every space implements, and the name -> space registry.

An architecture (``Arch``) is a small immutable, hashable value owned by its space (NB201: a
tuple of six op indices; NB101: a pruned cell spec). Everything else -- strings, graphs, torch
models, feature vectors, benchmark keys -- is derived from it by the space, so strategies,
proxies and the CLI never look inside an ``Arch``.

A space module declares, next to its class, everything the rest of the toolkit needs to know
about it: the datasets it has models for (:class:`DatasetSpec`: input shape, classes; the first
is the default), its benchmark tables (``naslib_zero.tables.register_benchmark``), and its
``key`` (what those tables are keyed by). Nothing outside the module knows a space's input
shape, class count or table layout.

What the toolkit calls, and what a space must provide:

* always: ``from_str``/``to_str``, ``sample``, ``mutate``, ``neighbors``, ``decisions`` /
  ``from_decisions`` / ``to_decisions``, ``encode``, ``canonical``, ``to_graph`` and
  ``make_model`` (the hook behind :meth:`SearchSpace.to_model`);
* with defaults: ``key`` (``to_str``), ``is_valid`` (the string form can be produced),
  ``decode`` (the rejection path, below), ``size`` (None: not enumerable);
* finite, indexable spaces only: ``index``/``from_index``/``enumerate`` (the defaults raise
  :class:`~naslib_zero.core.errors.NotIndexableError`, and ``indexable`` says which case holds).

Constraints. Decision vectors cover a product of choices that may contain invalid
architectures (NB101's 9-edge limit, DARTS' distinct inputs). ``from_decisions`` raises
:class:`~naslib_zero.core.errors.InvalidArchitectureError` for those; ``decode`` turns that into
``None``. REINFORCE redraws on ``None`` and NSGA-II replaces the individual with a random
valid one; both count the rejected draws (``strategy.rejected``).

Other processes. ``get_space`` records how it built each instance (``space.ref``, a
:class:`SpaceRef`: name, options and the defining module), so process-pool and Ray workers
rebuild the space from that small value instead of receiving a pickled instance.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import (
    InvalidArchitectureError,
    InvalidArgumentError,
    NotIndexableError,
    UnknownNameError,
)
from search_spaces.parsing import is_int, show

Arch = Hashable

SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a space has models for: the model's input shape (C, H, W) and class count.

    ``name`` is the data reader's name (``naslib_zero.data``), e.g. ``cifar10``.
    """

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int

    def __post_init__(self) -> None:
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise InvalidArgumentError(f"input_shape must be (C, H, W), got {self.input_shape}")
        if isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) \
                or self.num_classes < 1:
            raise InvalidArgumentError(
                f"num_classes must be a positive int, got {self.num_classes!r}")


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


class SearchSpace(ABC):
    """A finite or infinite set of architectures with the operations NAS code needs.

    ``decisions()`` is the factorised view used by REINFORCE and pymoo: a list with the number
    of choices of each decision; ``from_decisions`` maps one choice per decision to an Arch.
    Subclasses set ``name`` and ``datasets`` (the first one is the default dataset).
    """

    name: str
    datasets: tuple[DatasetSpec, ...] = ()
    ref: SpaceRef | None = None  # set by get_space; None for an instance built directly

    # ---------------------------------------------------------------- strings and values

    @abstractmethod
    def from_str(self, s: str) -> Arch:
        """Parse the space's string form; raise InvalidArchitectureError on bad input."""

    @abstractmethod
    def to_str(self, arch: Arch) -> str:
        """The space's string form of ``arch`` (round-trips with ``from_str``)."""

    def key(self, arch: Arch) -> Hashable:
        """What the space's benchmark tables are keyed by (default: the string form)."""
        return self.to_str(arch)

    def is_valid(self, arch: Arch) -> bool:
        """Whether ``arch`` is an architecture of this space."""
        try:
            self.to_str(arch)
        except InvalidArchitectureError:
            return False
        return True

    # --------------------------------------------------------------- moves and features

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture drawn from the space's own sampling distribution."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A random one-edit neighbour of ``arch`` (never ``arch`` itself)."""

    @abstractmethod
    def neighbors(self, arch: Arch) -> list[Arch]:
        """All one-edit neighbours of ``arch`` (valid, distinct, without ``arch``)."""

    @abstractmethod
    def decisions(self) -> list[int]:
        """Number of choices of each categorical decision."""

    @abstractmethod
    def from_decisions(self, values: Sequence[int]) -> Arch:
        """The architecture with one choice per decision (InvalidArchitectureError if the
        choices violate the space's constraints)."""

    @abstractmethod
    def to_decisions(self, arch: Arch) -> list[int]:
        """Inverse of ``from_decisions``."""

    def decode(self, values: Sequence[int]) -> Arch | None:
        """``from_decisions(values)``, or None when the choices violate a constraint."""
        try:
            return self.from_decisions(values)
        except InvalidArchitectureError:
            return None

    @abstractmethod
    def encode(self, arch: Arch) -> np.ndarray:
        """A numeric feature vector (float32, the same length for every arch) for surrogates."""

    @abstractmethod
    def canonical(self, arch: Arch) -> Arch:
        """One representative of the class of architectures computing the same function."""

    @abstractmethod
    def to_graph(self, arch: Arch) -> nx.DiGraph:
        """The cell or network as a directed graph whose edges (or nodes) carry the ops."""

    # --------------------------------------------------------------------------- models

    def dataset(self, name: str | DatasetSpec | None = None) -> DatasetSpec:
        """The declared dataset ``name`` (case, '-' and '_' ignored; None: the default).

        ``"synthetic"`` (data-free inputs) is the default dataset's shape and classes.
        """
        if isinstance(name, DatasetSpec):
            return name
        if not self.datasets:
            raise UnknownNameError(f"search space {self.name!r} declares no dataset")
        if name is None or _norm(name) == SYNTHETIC:
            return self.datasets[0]
        for spec in self.datasets:
            if _norm(spec.name) == _norm(name):
                return spec
        raise UnknownNameError(
            f"search space {self.name!r} has no models for dataset {name!r}; available: "
            f"{', '.join(d.name for d in self.datasets)}")

    def to_model(self, arch: Arch, dataset: str | DatasetSpec | None = None) -> nn.Module:
        """The benchmark's reference torch network for ``arch`` on ``dataset`` (a declared
        name, a :class:`DatasetSpec`, or None for the default); forward returns logits."""
        return self.make_model(arch, self.dataset(dataset))

    @abstractmethod
    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """Hook behind :meth:`to_model`: build the network for a resolved dataset."""

    # --------------------------------------------------------------- finite spaces only

    @property
    def indexable(self) -> bool:
        """Whether ``index``/``from_index``/``enumerate`` are available."""
        return type(self).index is not SearchSpace.index

    def size(self) -> int | None:
        """Number of architectures, or None for spaces too large to enumerate."""
        return None

    def index(self, arch: Arch) -> int:
        """Position of ``arch`` in the space's official order (finite spaces only)."""
        raise NotIndexableError(f"search space {self.name!r} has no architecture index")

    def from_index(self, i: int) -> Arch:
        """The architecture at position ``i`` of the official order (finite spaces only)."""
        raise NotIndexableError(f"search space {self.name!r} has no architecture index")

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture, in the official order (finite spaces only)."""
        if not self.indexable:
            raise NotIndexableError(f"search space {self.name!r} cannot be enumerated")
        return (self.from_index(i) for i in range(self.size()))

    def benchmarks(self) -> list[str]:
        """Names of the benchmark tables declared for this space."""
        from naslib_zero.tables import list_benchmarks

        return list_benchmarks(self.name)


def check_index(i: Any, size: int, space: str) -> int:
    """``i`` as an int in ``[0, size)``, or InvalidArchitectureError naming the space."""
    if not is_int(i) or not 0 <= i < size:
        raise InvalidArchitectureError(
            f"{space} index must be an int in [0, {size}), got {show(i)}")
    return int(i)


_FACTORIES: dict[str, Callable[..., SearchSpace]] = {}
_INSTANCES: dict[tuple[str, tuple], SearchSpace] = {}


def register_space(name: str) -> Callable[[Callable[..., SearchSpace]], Callable[..., SearchSpace]]:
    """Decorator registering a factory (usually the class) under ``name``.

    The factory's keyword arguments are the space's options (``get_space(name, **options)``);
    it validates them and raises InvalidArgumentError on bad values.
    """

    def wrap(factory: Callable[..., SearchSpace]) -> Callable[..., SearchSpace]:
        if name in _FACTORIES:
            raise ValueError(f"search space {name!r} is already registered")
        _FACTORIES[name] = factory
        return factory

    return wrap


def list_spaces(pattern: str = "*") -> list[str]:
    """Registered space names matching a shell-style wildcard pattern."""
    return sorted(n for n in _FACTORIES if fnmatch.fnmatch(n, pattern))


MAX_SPEC = 1_000
"""Longest ``name:key=value,...`` string :func:`parse_space_spec` reads."""
_SPEC_NESTING = 8
_SPEC_NUMBER = re.compile(r"(0|[1-9][0-9]{0,19})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?")


def parse_space_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"name"`` or ``"name:key=value,key=value"`` (the CLI's ``--space``) as (name, options).

    Values are read as Python literals where they are one (``16``, ``0.2``, ``True``,
    ``'swap'``, ``('none', 'skip_connect')``; numbers in ASCII digits without underscore, sign
    or leading zero), else kept as strings (``preset=swap``). Items are split at the commas
    outside brackets and quotes. InvalidArgumentError for a spec longer than
    :data:`MAX_SPEC`, not printable ASCII, with brackets nested deeper than 8 or unbalanced,
    an item without ``=``, an option name that is not an identifier, or an option given twice.
    """
    if not isinstance(spec, str) or len(spec) > MAX_SPEC or not spec.isascii() \
            or not spec.isprintable():
        raise InvalidArgumentError(
            f"a search space spec is a str of at most {MAX_SPEC} printable ASCII characters, "
            f"got {show(spec)}")
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in _split_options(rest, spec))):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key.isidentifier():
            raise InvalidArgumentError(
                f"bad search space option {show(item)} in {show(spec)}; expected "
                "name:key=value,...")
        if key in options:
            raise InvalidArgumentError(f"search space option {key!r} given twice in {show(spec)}")
        options[key] = _option_value(value)
    return name.strip(), options


def _split_options(rest: str, spec: str) -> list[str]:
    """``rest`` split at its commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for k, char in enumerate(rest):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            if depth > _SPEC_NESTING:
                raise InvalidArgumentError(
                    f"brackets nested more than {_SPEC_NESTING} deep in {show(spec)}")
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise InvalidArgumentError(f"unbalanced {char!r} in {show(spec)}")
        elif char == "," and depth == 0:
            parts.append(rest[start:k])
            start = k + 1
    if quote or depth:
        raise InvalidArgumentError(f"unclosed quote or bracket in {show(spec)}")
    return [*parts, rest[start:]]


def _option_value(text: str) -> Any:
    """``text`` as a Python literal (number, str, bool, None, or a list or tuple of them, with
    numbers written as :data:`_SPEC_NUMBER`), else ``text`` itself."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return text
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, int | float) and not isinstance(value, bool) and not (
                    _SPEC_NUMBER.fullmatch(ast.get_source_segment(text, node) or "")
                    and math.isfinite(value)):
                return text
            if not isinstance(value, int | float | str | None):
                return text
        elif not isinstance(node, ast.Expression | ast.List | ast.Tuple | ast.Load):
            return text
    try:
        return ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def _hashable(value: Any, name: str, depth: int = 0) -> Any:
    """An option value with its lists made tuples (InvalidArgumentError if it is unhashable)."""
    if isinstance(value, list | tuple) and depth < _SPEC_NESTING:
        return tuple(_hashable(v, name, depth + 1) for v in value)
    try:
        hash(value)
    except TypeError:
        raise InvalidArgumentError(
            f"search space option {name!r} must be a number, string, bool or a list of them, "
            f"got {type(value).__name__} {show(value)}") from None
    return value


def get_space(name: str, **options: Any) -> SearchSpace:
    """The space registered under ``name`` with ``options`` (one shared instance per options).

    ``name`` may carry options itself, as ``"darts:preset=swap,channels=16"``
    (:func:`parse_space_spec`); an option may not be given twice.
    """
    if not isinstance(name, str):
        raise UnknownNameError(f"a search space name is a str, got {show(name)}")
    if ":" in name:
        name, spec_options = parse_space_spec(name)
        twice = sorted(set(spec_options) & set(options))
        if twice:
            raise InvalidArgumentError(
                f"search space option(s) {', '.join(twice)} given both in the name and as "
                "keyword arguments")
        options = spec_options | options
    if name not in _FACTORIES:
        raise UnknownNameError(
            f"unknown search space {show(name)}; available: {', '.join(list_spaces()) or 'none'}"
        )
    options = {k: _hashable(v, k) for k, v in options.items()}
    key = (name, tuple(sorted(options.items())))
    if key not in _INSTANCES:
        try:
            space = _FACTORIES[name](**options)
        except TypeError as err:
            raise InvalidArgumentError(f"bad options for search space {name!r}: {err}") from None
        space.ref = SpaceRef(name, key[1], type(space).__module__)
        _INSTANCES[key] = space
    return _INSTANCES[key]


@dataclass(frozen=True)
class SpaceRef:
    """How to rebuild a registered space in another process: ``get_space(name, **options)``
    after importing ``module`` (which registers a plug-in space defined outside the package)."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()
    module: str = ""

    @property
    def label(self) -> str:
        """``name``, or ``name:key=value,...`` when built with options; score caches key
        their rows by it, so spaces with different options (network presets) never share
        scores."""
        options = ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                           for k, v in self.options)
        return f"{self.name}:{options}" if options else self.name

    def resolve(self) -> SearchSpace:
        if self.module and self.name not in _FACTORIES:
            importlib.import_module(self.module)
        return get_space(self.name, **dict(self.options))
