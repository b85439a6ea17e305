"""DARTS-style cell pairs (genotypes): parsing, printing, validation, moves and features.

A genotype (:class:`Genotype`) holds a normal and a reduction cell. Each cell has ``nodes``
intermediate nodes (four in DARTS, five in the NASNet-style cells of NDS); node ``k`` sums two
edges ``(op, input)`` whose input is one of the two cell inputs (0: the cell before the
previous one, 1: the previous cell) or an earlier node (``2 + j`` for node ``j < k``). A cell
is stored as ``2 * nodes`` ``(op, input)`` pairs, two per node, in the order of the DARTS
``Genotype`` string.

The cell's output concatenates the nodes its rules' ``concat`` names: ``"all"`` nodes (DARTS,
PNAS: ``[2, 3, 4, 5]`` for four nodes), or the ``"loose_ends"``, the nodes no edge of the cell
reads (NASNet, AmoebaNet, ENAS; every NDS record of those spaces is so; the last node is
always one, so the output is never empty). The concat is a
function of the cell, so it is derived, not stored; a string whose concat disagrees is
rejected.

The rules a genotype must obey are a :class:`Rules` value: the op set (a subset of
:data:`ALL_OPS`), the node count, the concat rule, and whether the two inputs of a node must
differ (DARTS and NAS-Bench-301 draw distinct inputs; the DARTS-1000 file and the NDS samples
have nodes fed twice by the same input). Everything here is pure Python and numpy; the search
spaces (:mod:`search_spaces.darts`, :mod:`search_spaces.nds_cells`) bind the rules and the
network (:mod:`search_spaces.darts_model`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError
from search_spaces.parsing import as_values, check_text, is_int, show

OPS: tuple[str, ...] = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                        "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
"""The eight DARTS ops, in the order of DARTS' ``PRIMITIVES``."""

ALL_OPS: tuple[str, ...] = OPS + (
    "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3", "sep_conv_7x7", "dil_sep_conv_3x3",
    "conv_3x1_1x3", "conv_7x1_1x7")
"""The DARTS ops and the further ops of the NDS cell spaces (pycls' NAS ops)."""

COMPACT_OPS: tuple[str, ...] = OPS[1:]
"""Op order of NASLib's compact encoding (no ``none``)."""

CELLS = ("normal", "reduce")
CONCAT_RULES = ("all", "loose_ends")

Pair = tuple[str, int]
Cell = tuple[Pair, ...]

MAX_TEXT = 10_000
"""Longest genotype string read (a five-node genotype prints in about 800 characters)."""
_MAX_DIGITS = 6  # numbers in a genotype string are node indices: at most 6 digits are read
_MAX_NESTING = 3  # [cell [pair (op, input)]]: deeper brackets are refused before reading
_MAX_CONCAT = 64
_FORMS = ("expected \"Genotype(normal=[('op', input), ...], normal_concat=[2, 3, 4, 5], "
          "reduce=[...], reduce_concat=[2, 3, 4, 5])\" or NASLib's compact [[[input, op], ...], "
          "[[input, op], ...]]")
_TOKEN = re.compile(r"[ \t\r\n]*(?:(-?[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|('[^'\\\r\n]*'|"
                    r"\"[^\"\\\r\n]*\")|([()\[\],=]))")


@dataclass(frozen=True)
class Genotype:
    """A normal and a reduction cell, each ``2 * nodes`` ``(op, input)`` pairs (see the
    module)."""

    normal: Cell
    reduce: Cell

    def cell(self, name: str) -> Cell:
        return self.normal if name == "normal" else self.reduce


@dataclass(frozen=True)
class Rules:
    """What a genotype of one space may contain: ``ops``, ``distinct_inputs``, the number of
    ``nodes`` per cell and the ``concat`` rule (``"all"`` or ``"loose_ends"``)."""

    ops: tuple[str, ...] = OPS
    distinct_inputs: bool = True
    nodes: int = 4
    concat: str = "all"

    def __post_init__(self) -> None:
        ops = tuple(self.ops)
        unknown = [op for op in ops if op not in ALL_OPS]
        if unknown or len(set(ops)) != len(ops) or len(ops) < 2:
            raise InvalidArgumentError(
                f"ops must be at least two distinct ops from {', '.join(ALL_OPS)}; got "
                f"{list(ops)}" + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
        object.__setattr__(self, "ops", tuple(op for op in ALL_OPS if op in ops))
        if isinstance(self.nodes, bool) or not isinstance(self.nodes, int) or self.nodes < 1:
            raise InvalidArgumentError(f"nodes must be a positive int, got {self.nodes!r}")
        if self.concat not in CONCAT_RULES:
            raise InvalidArgumentError(
                f"concat must be one of {', '.join(CONCAT_RULES)}, got {self.concat!r}")

    @property
    def edges(self) -> int:
        return 2 * self.nodes

    @property
    def slots(self) -> int:
        """The possible (input -> node) edges of a cell (14 for four nodes)."""
        return sum(k + 2 for k in range(self.nodes))

    def concat_of(self, cell: Cell) -> tuple[int, ...]:
        """The states the cell's output concatenates (see the module)."""
        if self.concat == "all":
            return tuple(range(2, self.nodes + 2))
        read = {source for _, source in cell}
        return tuple(k for k in range(2, self.nodes + 2) if k not in read)

    # ------------------------------------------------------------------------ validation

    def check_cell(self, cell: Sequence, name: str) -> Cell:
        """``cell`` as a tuple of ``2 * nodes`` ``(op, input)`` pairs, or
        InvalidArchitectureError."""
        if not isinstance(cell, list | tuple) or len(cell) != self.edges:
            raise InvalidArchitectureError(
                f"the {name} cell needs {self.edges} (op, input) pairs ({self.nodes} nodes x 2), "
                "got "
                f"{len(cell) if isinstance(cell, list | tuple) else show(cell)}")
        pairs = []
        for e, pair in enumerate(cell):
            node = e // 2
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise InvalidArchitectureError(
                    f"{name} cell, node {node}: expected an (op, input) pair, got {show(pair)}")
            op, source = pair
            if not isinstance(op, str) or op not in ALL_OPS:
                raise InvalidArchitectureError(
                    f"{name} cell, node {node}: unknown op {show(op)}; known ops are "
                    f"{', '.join(ALL_OPS)}")
            if op not in self.ops:
                raise InvalidArchitectureError(
                    f"{name} cell, node {node}: op {op!r} is not in this space's op set "
                    f"({', '.join(self.ops)})")
            if not is_int(source) or not 0 <= source < node + 2:
                raise InvalidArchitectureError(
                    f"{name} cell, node {node}: input {show(source)} does not exist yet (node "
                    f"{node} takes inputs 0..{node + 1}: the two cell inputs and earlier nodes)")
            pairs.append((str(op), int(source)))
        if self.distinct_inputs:
            for node in range(self.nodes):
                if pairs[2 * node][1] == pairs[2 * node + 1][1]:
                    raise InvalidArchitectureError(
                        f"{name} cell, node {node}: both edges come from input "
                        f"{pairs[2 * node][1]}; this space needs two distinct inputs per node")
        return tuple(pairs)

    def check(self, normal: Sequence, reduce: Sequence) -> Genotype:
        return Genotype(self.check_cell(normal, "normal"), self.check_cell(reduce, "reduce"))

    # --------------------------------------------------------------------------- strings

    def parse(self, text: str) -> Genotype:
        """A DARTS ``Genotype(normal=[...], ...)`` string or NASLib's compact JSON
        ``[[normal], [reduce]]`` (eight ``[input, op index]`` pairs per cell), both read by
        :func:`read_genotype`'s bounded grammar before anything is built."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(
                f"expected a genotype string, got {type(text).__name__} {show(text)}")
        if check_text(text, "a genotype string", MAX_TEXT).startswith("["):
            return self.from_compact(text)
        return self.from_parts(*read_genotype(text))

    def from_parts(self, normal: Sequence, normal_concat: Sequence, reduce: Sequence,
                   reduce_concat: Sequence) -> Genotype:
        """The genotype of a DARTS ``Genotype``'s four fields, the concats checked against
        the rules."""
        genotype = self.check(normal, reduce)
        for name, concat in (("normal", normal_concat), ("reduce", reduce_concat)):
            expected = list(self.concat_of(genotype.cell(name)))
            if _int_list(concat) != expected:
                rule = "every node feeds the cell output" if self.concat == "all" else \
                    "the nodes no edge reads"
                raise InvalidArchitectureError(
                    f"{name}_concat must be {expected} ({rule}), got {show(concat)}")
        return genotype

    def from_compact(self, compact: str | Sequence) -> Genotype:
        """NASLib's compact encoding (a JSON string or nested sequences)."""
        if isinstance(compact, str):
            text = check_text(compact, "a compact genotype", MAX_TEXT)
            try:
                reader = _Reader(text, compact=True)
                compact = reader.value()
                reader.end()
            except _Unreadable as err:
                raise InvalidArchitectureError(
                    f"not a compact genotype: {err} in {show(text)}") from None
        if not isinstance(compact, list | tuple) or len(compact) != 2:
            raise InvalidArchitectureError(
                f"a compact genotype is [[normal pairs], [reduce pairs]], got {show(compact)}")
        cells = []
        for name, cell in zip(CELLS, compact):
            if not isinstance(cell, list | tuple):
                raise InvalidArchitectureError(
                    f"compact {name} cell is not a list: {show(cell)}")
            if len(cell) > 2 * self.edges:
                raise InvalidArchitectureError(
                    f"the compact {name} cell needs {self.edges} pairs, got {len(cell)}")
            pairs = []
            for pair in cell:
                if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(
                        is_int(v) for v in pair):
                    raise InvalidArchitectureError(
                        f"compact {name} cell: expected [input, op index] pairs, got "
                        f"{show(pair)}")
                source, op = (int(v) for v in pair)
                if not 0 <= op < len(COMPACT_OPS):
                    raise InvalidArchitectureError(
                        f"compact {name} cell: op index {show(op)} outside "
                        f"0..{len(COMPACT_OPS) - 1} "
                        f"({', '.join(COMPACT_OPS)})")
                pairs.append((COMPACT_OPS[op], source))
            cells.append(pairs)
        return self.check(*cells)

    def to_str(self, genotype: Genotype) -> str:
        """The DARTS ``Genotype(...)`` string, as DARTS' namedtuple prints it."""
        def cell(pairs: Cell) -> str:
            return "[" + ", ".join(f"({op!r}, {source})" for op, source in pairs) + "]"

        def concat(pairs: Cell) -> str:
            return "[" + ", ".join(map(str, self.concat_of(pairs))) + "]"

        return (f"Genotype(normal={cell(genotype.normal)}, normal_concat="
                f"{concat(genotype.normal)}, reduce={cell(genotype.reduce)}, reduce_concat="
                f"{concat(genotype.reduce)})")

    @staticmethod
    def to_compact(genotype: Genotype) -> str:
        """NASLib's compact JSON encoding (InvalidArchitectureError for a ``none`` op)."""
        cells = []
        for name in CELLS:
            pairs = []
            for op, source in genotype.cell(name):
                if op not in COMPACT_OPS:
                    raise InvalidArchitectureError(
                        f"the compact encoding has no {op!r} op ({name} cell)")
                pairs.append([source, COMPACT_OPS.index(op)])
            cells.append(pairs)
        return json.dumps(cells)

    # -------------------------------------------------------------------------- classes

    def canonical_cell(self, cell: Cell) -> Cell:
        """Fold what does not change the function: the node's two edges (whose outputs are
        summed) are sorted by (input, op); under the ``all`` concat rule a ``none`` edge, which
        outputs zeros whatever it reads, reads the lowest input the node may use (under
        ``loose_ends`` its input decides the concat, so it stays)."""
        pairs: list[Pair] = []
        for node in range(self.nodes):
            a, b = cell[2 * node], cell[2 * node + 1]
            if self.concat == "all":
                a, b = self._fold_none(a, b)
            pairs.extend(sorted((a, b), key=lambda p: (p[1], ALL_OPS.index(p[0]))))
        return tuple(pairs)

    def _fold_none(self, a: Pair, b: Pair) -> tuple[Pair, Pair]:
        if a[0] == b[0] == "none":
            return ("none", 0), ("none", 1 if self.distinct_inputs else 0)
        if a[0] == "none":
            return ("none", self._lowest_input_besides(b[1])), b
        if b[0] == "none":
            return a, ("none", self._lowest_input_besides(a[1]))
        return a, b

    def _lowest_input_besides(self, taken: int) -> int:
        return 1 if self.distinct_inputs and taken == 0 else 0

    def canonical(self, genotype: Genotype) -> Genotype:
        return Genotype(self.canonical_cell(genotype.normal), self.canonical_cell(genotype.reduce))

    # ---------------------------------------------------------------------------- moves

    def sample(self, rng: np.random.Generator) -> Genotype:
        """Per node: two inputs (without replacement where inputs must differ, as NASLib's
        NB301 sampler; else independently) and two ops, uniformly; normal and reduce cells
        independently."""
        cells = []
        for _ in CELLS:
            pairs: list[Pair] = []
            for node in range(self.nodes):
                inputs = rng.choice(node + 2, 2, replace=not self.distinct_inputs)
                ops = rng.choice(len(self.ops), 2)
                pairs.extend((self.ops[int(o)], int(i)) for o, i in zip(ops, inputs))
            cells.append(tuple(pairs))
        return Genotype(*cells)

    def edits(self, genotype: Genotype) -> Iterator[Genotype]:
        """Every genotype one op change or one input change away (may repeat, never the
        genotype itself), in a fixed order."""
        for c, name in enumerate(CELLS):
            cell = genotype.cell(name)
            for e, (op, source) in enumerate(cell):
                for new_op in self.ops:
                    if new_op != op:
                        yield self._replace(genotype, c, e, (new_op, source))
                for new_source in self._inputs_for(cell, e):
                    if new_source != source:
                        yield self._replace(genotype, c, e, (op, new_source))

    def mutate(self, genotype: Genotype, rng: np.random.Generator) -> Genotype:
        """NASLib's NB301 mutation: pick a cell, an edge and whether to change its op or its
        input uniformly, draw the new value uniformly from the allowed ones; redraw until the
        genotype changes."""
        while True:
            c, e, kind = int(rng.integers(2)), int(rng.integers(self.edges)), int(rng.integers(2))
            cell = genotype.cell(CELLS[c])
            op, source = cell[e]
            if kind == 0:
                choice = (self.ops[int(rng.integers(len(self.ops)))], source)
            else:
                inputs = self._inputs_for(cell, e)
                choice = (op, inputs[int(rng.integers(len(inputs)))])
            if choice != cell[e]:
                return self._replace(genotype, c, e, choice)

    def _inputs_for(self, cell: Cell, e: int) -> list[int]:
        """The inputs edge ``e`` may read, given its sibling edge."""
        node, sibling = e // 2, cell[e ^ 1][1]
        return [i for i in range(node + 2) if not (self.distinct_inputs and i == sibling)]

    @staticmethod
    def _replace(genotype: Genotype, c: int, e: int, pair: Pair) -> Genotype:
        cell = list(genotype.cell(CELLS[c]))
        cell[e] = pair
        return Genotype(tuple(cell), genotype.reduce) if c == 0 else \
            Genotype(genotype.normal, tuple(cell))

    # ------------------------------------------------------------------------ decisions

    def decisions(self) -> list[int]:
        """Per cell and node: the inputs (one decision per edge, or where inputs must differ
        one decision over the ordered pairs of distinct inputs, so that no vector is
        invalid), then the two ops."""
        sizes = []
        for _ in CELLS:
            for node in range(self.nodes):
                n = node + 2
                sizes += [n * (n - 1)] if self.distinct_inputs else [n, n]
                sizes += [len(self.ops)] * 2
        return sizes

    def from_decisions(self, values: Sequence[int]) -> Genotype:
        sizes = self.decisions()
        values = as_values(values, "a DARTS decision vector", len(sizes))
        for v, size in zip(values, sizes):
            if not is_int(v) or not 0 <= v < size:
                raise InvalidArchitectureError(
                    f"decision value {show(v)} outside 0..{size - 1} (decisions: {sizes})")
        it = iter(int(v) for v in values)
        cells = []
        for _ in CELLS:
            pairs: list[Pair] = []
            for node in range(self.nodes):
                if self.distinct_inputs:
                    inputs = _ordered_pairs(node + 2)[next(it)]
                else:
                    inputs = (next(it), next(it))
                ops = (next(it), next(it))
                pairs.extend((self.ops[o], i) for o, i in zip(ops, inputs))
            cells.append(tuple(pairs))
        return self.check(*cells)

    def to_decisions(self, genotype: Genotype) -> list[int]:
        values: list[int] = []
        for name in CELLS:
            cell = self.check_cell(genotype.cell(name), name)
            for node in range(self.nodes):
                (op_a, a), (op_b, b) = cell[2 * node], cell[2 * node + 1]
                values += [_ordered_pairs(node + 2).index((a, b))] if self.distinct_inputs \
                    else [a, b]
                values += [self.ops.index(op_a), self.ops.index(op_b)]
        return values

    # ---------------------------------------------------------------------------- features

    def encode(self, genotype: Genotype) -> np.ndarray:
        """Per cell, for each possible (input -> node) edge (14 with four nodes), which ops it
        carries (a one-hot, two-hot where one input feeds a node twice): 2 x slots x len(ops)
        float32. The order of a node's two edges does not change the vector."""
        width = len(self.ops)
        vector = np.zeros((len(CELLS), self.slots, width), dtype=np.float32)
        for c, name in enumerate(CELLS):
            for e, (op, source) in enumerate(genotype.cell(name)):
                node = e // 2
                slot = sum(k + 2 for k in range(node)) + source
                vector[c, slot, self.ops.index(op)] = 1.0
        return vector.reshape(-1)


# ----------------------------------------------------------------------------- reading text

_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")


class _Unreadable(Exception):
    """Text outside the grammar (the message says where)."""


class _Reader:
    """A genotype (or, with ``compact``, a compact JSON) string read by a fixed grammar, with
    nothing evaluated: ints of at most ``_MAX_DIGITS`` digits (no leading zero, no ``-0``),
    quoted op names, names, and ``[...]``/``(...)`` sequences (compact: ints and ``[...]``
    only) nested at most ``_MAX_NESTING`` deep."""

    def __init__(self, text: str, compact: bool = False) -> None:
        self.compact = compact
        self.tokens: list[tuple[str, str]] = []
        self.pos = 0
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                if text[pos:].strip(" \t\r\n"):
                    raise _Unreadable(f"unexpected {show(text[pos:pos + 20])} at position {pos}")
                break
            number, name, quoted, punct = match.groups()
            if number is not None:
                digits = number.lstrip("-")
                if len(digits) > _MAX_DIGITS or digits[0] == "0" and (
                        len(digits) > 1 or number[0] == "-"):
                    raise _Unreadable(
                        f"{show(number[:20])} is not a node index (at most {_MAX_DIGITS} digits, "
                        "no leading zero)")
                self.tokens.append(("int", number))
            elif name is not None:
                self.tokens.append(("name", name))
            elif quoted is not None:
                self.tokens.append(("str", quoted[1:-1]))
            else:
                self.tokens.append((punct, punct))
            pos = match.end()

    def peek(self) -> str | None:
        """The kind of the next token (None at the end)."""
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> str:
        """The next token, which must be of ``kind`` (and be ``text``)."""
        if self.pos == len(self.tokens):
            raise _Unreadable(f"the text ends where {text or kind!r} should follow")
        got_kind, got = self.tokens[self.pos]
        if got_kind != kind or (text is not None and got != text):
            raise _Unreadable(f"expected {text or kind!r}, got {show(got, 20)}")
        self.pos += 1
        return got

    def value(self, depth: int = 0) -> Any:
        """An int, a quoted name, or a list (tuple for ``(...)``) of values."""
        kind = self.peek()
        if kind == "int" or kind == "str" and not self.compact:
            return int(self.take(kind)) if kind == "int" else self.take(kind)
        if kind not in (("[",) if self.compact else ("[", "(")):
            got = self.tokens[self.pos][1] if kind else "the end of the text"
            raise _Unreadable(f"expected a value, got {show(got, 20)}")
        if depth == _MAX_NESTING:
            raise _Unreadable(f"brackets nested more than {_MAX_NESTING} deep")
        closing = "]" if self.take(kind) == "[" else ")"
        items = []
        while self.peek() != closing:
            items.append(self.value(depth + 1))
            if self.peek() != closing:
                self.take(",")
        self.take(closing)
        return items if closing == "]" else tuple(items)

    def concat(self) -> Any:
        """A concat field: a value or ``range(...)`` of one to three ints."""
        if self.peek() != "name":
            return self.value()
        self.take("name", "range")
        self.take("(")
        args = [int(self.take("int"))]
        while self.peek() == "," and len(args) < 3:
            self.take(",")
            args.append(int(self.take("int")))
        self.take(")")
        if len(args) == 3 and args[2] == 0:
            raise _Unreadable("range() step must not be zero")
        return range(*args)

    def end(self) -> None:
        if self.pos != len(self.tokens):
            raise _Unreadable(f"unexpected {show(self.tokens[self.pos][1], 20)} after the end")


def read_genotype(text: str) -> tuple[Any, Any, Any, Any]:
    """The four fields (normal, normal_concat, reduce, reduce_concat) of a DARTS
    ``Genotype(...)`` string, read without evaluating anything; InvalidArchitectureError for
    text outside the grammar (too long, not ASCII, numbers of more than six digits, brackets
    nested too deep, anything but lists, tuples, quoted names, ints and ``range(...)``)."""
    text = check_text(text, "a genotype string", MAX_TEXT)
    try:
        reader = _Reader(text)
        reader.take("name", "Genotype")
        reader.take("(")
        fields = []
        for k, field in enumerate(_FIELDS):
            if k:
                reader.take(",")
            reader.take("name", field)
            reader.take("=")
            fields.append(reader.concat() if field.endswith("_concat") else reader.value())
        reader.take(")")
        reader.end()
    except _Unreadable as err:
        raise InvalidArchitectureError(
            f"not a DARTS genotype string: {err} in {show(text, 120)}; {_FORMS}") from None
    normal, normal_concat, reduce, reduce_concat = fields
    return normal, normal_concat, reduce, reduce_concat


def _int_list(values: Any) -> list[int] | None:
    """``values`` (a list, tuple or range of at most ``_MAX_CONCAT`` ints) as a list of ints,
    else None."""
    if isinstance(values, range):
        try:
            n = len(values)
        except OverflowError:
            return None
        return list(values) if n <= _MAX_CONCAT else None
    if isinstance(values, list | tuple) and len(values) <= _MAX_CONCAT \
            and all(is_int(v) for v in values):
        return [int(v) for v in values]
    return None


_PAIRS: dict[int, list[tuple[int, int]]] = {}


def _ordered_pairs(n: int) -> list[tuple[int, int]]:
    """The ordered pairs of distinct inputs among ``n``, in a fixed order."""
    if n not in _PAIRS:
        _PAIRS[n] = list(permutations(range(n), 2))
    return _PAIRS[n]
