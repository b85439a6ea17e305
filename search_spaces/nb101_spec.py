"""NAS-Bench-101 cell specs (pure numpy/stdlib): validation and pruning, the official module hash,
canonical form, integer/string/decision/feature encodings, NB101 sampling and mutation, and the
index of the whole space (423,624 cells).

Specs. A cell is a ``V x V`` strictly upper-triangular 0/1 adjacency matrix (``V <= 7``) and one
label per vertex: ``input`` first, ``output`` last, each interior vertex one of :data:`OPS`.
:func:`prune` follows ``nasbench/lib/model_spec.py`` (``ModelSpec._prune``): vertices that are not
on an input->output path are removed; a spec whose input does not reach its output is invalid;
the 9-edge limit applies to the pruned matrix. An :class:`NB101Arch` is always pruned.

Hash. :func:`module_hash` is the official key of the NB101 dataset (``graph_util.hash_module``
with labels input=-1, output=-2, conv3x3=0, conv1x1=1, maxpool3x3=2).

Canonical form. Two pruned specs are isomorphic iff a permutation of the interior vertices maps
one onto the other (the input is the only source, the output the only sink). :func:`canonical`
returns, over all interior permutations that keep the matrix upper-triangular, the spec with the
smallest key ``(matrix bits, op labels)``: the upper-triangle bits in row-major order (first bit
most significant), then the interior op indices (vertex 1 most significant). On the whole space
canonical classes and hashes coincide (``benchmarks/nb101_enumerate.py`` checks it).

Padded form. Edge flips, decisions, codes and features use a 7-vertex form: vertices
``0 .. V-2`` of the pruned spec keep their numbers, the output moves to vertex 6 and vertices
``V-1 .. 5`` are unused (no edges; their op is conv3x3 where a value is needed). Pruning the
padded form gives the spec back. :data:`TRIU` lists the 21 edge positions ``(src, dst)``.

Integer code (:func:`encode_code`, < 2**31, fits a uint32): bit ``t`` is edge ``TRIU[t]`` of the
padded form, bits ``21 + 2k`` and ``22 + 2k`` hold the op index of padded vertex ``k + 1``
(0 for unused vertices).

String form (:func:`to_str`): matrix rows joined by ``.``, a ``/``, labels joined by ``,``::

    01100.00010.00010.00001.00000/input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,output

Index (:func:`index`, :func:`from_index`): position ``i`` is the ``i``-th hash of the sorted list
of all NB101 hashes; ``resources/nb101_index.npz`` holds the canonical code of each position
(written by ``benchmarks/nb101_enumerate.py``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import itertools
import numbers
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from naslib_zero.core.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArchitectureError,
    InvalidArgumentError,
)
from search_spaces.parsing import as_values, check_text, is_int, show

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"
OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
"""Interior ops in NB101's ``available_ops`` order (index = hash label)."""
LABELS: tuple[str, ...] = (INPUT, *OPS, OUTPUT)

NUM_VERTICES = 7
MAX_EDGES = 9
OP_SPOTS = NUM_VERTICES - 2
TRIU: tuple[tuple[int, int], ...] = tuple(
    (i, j) for i in range(NUM_VERTICES) for j in range(i + 1, NUM_VERTICES))
"""Edge positions of the padded 7x7 matrix, row-major."""
EDGE_SPOTS = len(TRIU)
SIZE = 423_624
DECISIONS: tuple[int, ...] = (2,) * EDGE_SPOTS + (len(OPS),) * OP_SPOTS
"""Choices per decision: 21 padded edge bits (order :data:`TRIU`), then 5 interior op indices."""
ENCODING_LENGTH = EDGE_SPOTS + OP_SPOTS * len(OPS)

_OP_INDEX = {op: k for k, op in enumerate(OPS)}
_HASH_LABEL = {INPUT: -1, OUTPUT: -2, **_OP_INDEX}
_TRIU_POS = {e: t for t, e in enumerate(TRIU)}
_VALID = ", ".join(LABELS)
_CODE_LIMIT = 1 << (EDGE_SPOTS + 2 * OP_SPOTS)
_INDEX_PATH = ("resources", "nb101_index.npz")
_BIG = np.iinfo(np.int64).max
MAX_TEXT = 1_000
"""Longest string :func:`from_str` reads (the longest spec prints in about 160 characters)."""

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class NB101Arch:
    """A pruned NB101 cell spec (hashable, immutable); build one with :func:`prune`.

    The constructor validates and raises InvalidArchitectureError for a spec that is invalid or
    not pruned.
    """

    matrix: Matrix
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        matrix, ops = _validate_and_prune(self.matrix, self.ops)
        if [list(r) for r in matrix] != [list(r) for r in self.matrix] \
                or list(ops) != list(self.ops):
            raise InvalidArchitectureError(
                "NB101Arch must hold a pruned spec (some vertices are not on an input->output "
                "path); build it with prune(matrix, ops)")
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "ops", ops)

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def __str__(self) -> str:
        return to_str(self)


def _new(matrix: Matrix, ops: tuple[str, ...]) -> NB101Arch:
    """An NB101Arch from an already pruned, validated spec (skips the checks)."""
    arch = object.__new__(NB101Arch)
    object.__setattr__(arch, "matrix", matrix)
    object.__setattr__(arch, "ops", ops)
    return arch


# ----------------------------------------------------------------------- validation, pruning


def _bad(message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(f"invalid NB101 spec: {message}")


def _as_rows(matrix: Any) -> list[list[int]]:
    """``matrix`` as a square list of 0/1 int rows (shape and value checks only; nested lists
    are checked to be at most 7 x 7 numbers before numpy sees them)."""
    if isinstance(matrix, str | bytes | bytearray):
        raise _bad(f"the matrix must be square (V x V), got a {type(matrix).__name__}")
    if isinstance(matrix, list | tuple):
        if len(matrix) > NUM_VERTICES:
            raise _bad(f"too many vertices: {len(matrix)} (at most {NUM_VERTICES})")
        for row in matrix:
            if not isinstance(row, list | tuple | np.ndarray) or len(row) != len(matrix):
                raise _bad("the matrix must be square (V x V), got a ragged "
                           f"{type(matrix).__name__}")
            for x in row:
                if not isinstance(x, numbers.Number | np.bool_):
                    raise _bad(f"matrix entries must be 0 or 1, got {show(x)}")
    if isinstance(matrix, list | tuple) and all(  # fast path: nested lists of plain 0/1 ints
            isinstance(row, list | tuple) and len(row) == len(matrix)
            and all(type(x) is int and (x == 0 or x == 1) for x in row) for row in matrix):
        return [list(row) for row in matrix]
    try:
        arr = np.asarray(matrix)
    except (ValueError, TypeError) as exc:
        raise _bad(f"the matrix must be square (V x V), got a ragged {type(matrix).__name__}") \
            from exc
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise _bad(f"the matrix must be square (V x V), got shape {arr.shape}")
    if arr.shape[0] > NUM_VERTICES:
        raise _bad(f"too many vertices: {arr.shape[0]} (at most {NUM_VERTICES})")
    if arr.dtype.kind not in "biuf":
        raise _bad(f"matrix entries must be 0 or 1, got dtype {arr.dtype}")
    bad = ~np.isin(arr, (0, 1))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise _bad(f"matrix entries must be 0 or 1, got {show(arr[i, j])} at [{i}, {j}]")
    return arr.astype(np.int64).tolist()


def _keep(rows: list[list[int]] | Matrix, n: int) -> list[bool]:
    """Which vertices lie on an input->output path (rows upper-triangular)."""
    fwd = [False] * n
    fwd[0] = True
    for u in range(n - 1):
        if fwd[u]:
            row = rows[u]
            for v in range(u + 1, n):
                if row[v]:
                    fwd[v] = True
    bwd = [False] * n
    bwd[n - 1] = True
    for v in range(n - 1, 0, -1):
        if bwd[v]:
            for u in range(v):
                if rows[u][v]:
                    bwd[u] = True
    return [f and b for f, b in zip(fwd, bwd)]


def _validate_and_prune(matrix: Any, ops: Any) -> tuple[Matrix, tuple[str, ...]]:
    rows = _as_rows(matrix)
    n = len(rows)
    if n > NUM_VERTICES:
        raise _bad(f"too many vertices: {n} (at most {NUM_VERTICES})")
    if n < 2:
        raise _bad(f"a spec needs at least 2 vertices (input and output), got {n}")
    if isinstance(ops, str) or not isinstance(ops, Sequence | np.ndarray):
        raise _bad(f"ops must be a sequence of {n} labels, got {type(ops).__name__}")
    if len(ops) != n:
        raise _bad(f"ops has {len(ops)} labels but the matrix is {n} x {n}")
    ops = [str(op) if isinstance(op, np.str_) else op for op in ops]
    for v, op in enumerate(ops):
        if not isinstance(op, str) or op not in _HASH_LABEL:
            raise _bad(f"unknown op label {show(op)} at vertex {v}; valid labels: {_VALID}")
    if ops[0] != INPUT:
        raise _bad(f"the first label must be {INPUT!r}, got {show(ops[0])}")
    if ops[-1] != OUTPUT:
        raise _bad(f"the last label must be {OUTPUT!r}, got {show(ops[-1])}")
    for v in range(1, n - 1):
        if ops[v] not in _OP_INDEX:
            raise _bad(f"interior vertex {v} has label {show(ops[v])}; interior labels must be one "
                       f"of {', '.join(OPS)}")
    for i in range(n):
        for j in range(i + 1):
            if rows[i][j]:
                raise _bad(f"the matrix must be strictly upper-triangular (zero on and below the "
                           f"diagonal), got 1 at [{i}, {j}]")
    keep = _keep(rows, n)
    if not keep[0]:
        raise _bad("input and output are disconnected (no input->output path)")
    kept = [v for v in range(n) if keep[v]]
    pruned = tuple(tuple(rows[i][j] for j in kept) for i in kept)
    edges = sum(map(sum, pruned))
    if edges > MAX_EDGES:
        raise _bad(f"too many edges: {edges} after pruning (at most {MAX_EDGES})")
    return pruned, tuple(ops[v] for v in kept)


def prune(matrix: Any, ops: Sequence[str]) -> NB101Arch:
    """Validate ``(matrix, ops)`` and remove the vertices not on an input->output path (NB101
    ``ModelSpec`` semantics); raise InvalidArchitectureError for an invalid spec."""
    return _new(*_validate_and_prune(matrix, ops))


def is_valid_spec(matrix: Any, ops: Sequence[str]) -> bool:
    """Whether ``(matrix, ops)`` (possibly unpruned) is a spec of the NB101 space."""
    try:
        _validate_and_prune(matrix, ops)
    except InvalidArchitectureError:
        return False
    return True


def _check_arch(arch: Any) -> NB101Arch:
    if not isinstance(arch, NB101Arch):
        raise InvalidArchitectureError(
            f"expected an NB101Arch (see prune()), got {type(arch).__name__}")
    return arch


# ----------------------------------------------------------------------------------- hash


def hash_matrix(matrix: Sequence[Sequence[int]], labels: Sequence[int]) -> str:
    """NB101 ``graph_util.hash_module`` of a pruned upper-triangular matrix and its int labels.

    Each vertex starts from md5 of ``str((out_degree, in_degree, label))``; then, ``V`` times,
    every vertex becomes md5 of its sorted in-neighbour hashes joined, ``|``, its sorted
    out-neighbour hashes joined, ``|``, its own hash; the result is md5 of ``str`` of the sorted
    list of vertex hashes.
    """
    md5 = hashlib.md5
    n = len(labels)
    ins = [[w for w in range(n) if matrix[w][v]] for v in range(n)]
    outs = [[w for w in range(n) if matrix[v][w]] for v in range(n)]
    state = [md5(f"({len(o)}, {len(i)}, {int(label)})".encode()).hexdigest()
             for i, o, label in zip(ins, outs, labels)]
    for _ in range(n):
        state = [
            md5(("".join(sorted([state[w] for w in i])) + "|"
                 + "".join(sorted([state[w] for w in o])) + "|" + own).encode()).hexdigest()
            for i, o, own in zip(ins, outs, state)
        ]
    return md5(str(sorted(state)).encode()).hexdigest()


def module_hash(arch: NB101Arch) -> str:
    """The official NB101 module hash of ``arch`` (the key of the NB101 dataset; cached)."""
    return _module_hash(_check_arch(arch))


@functools.lru_cache(maxsize=1 << 16)
def _module_hash(arch: NB101Arch) -> str:
    return hash_matrix(arch.matrix, [_HASH_LABEL[op] for op in arch.ops])


# ------------------------------------------------------------------------------ canonical


@functools.cache
def perm_tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tables for canonicalising ``n``-vertex specs (shared with the enumeration script).

    Returns ``(perms, up, low, bit_weights, op_weights)``: ``perms[k]`` is the ``k``-th
    permutation of the interior vertices (0 and ``n-1`` fixed; new vertex ``i`` is old vertex
    ``perms[k, i]``), ``up[k, t]`` / ``low[k, t]`` the flat index into the old matrix of the
    new matrix's ``t``-th upper (row-major) / lower-triangle entry, and the weights turn upper
    bits and interior op indices into the lexicographic key (first entry most significant).
    """
    interior = range(1, n - 1)
    perms = np.array([(0, *p, n - 1) for p in itertools.permutations(interior)], dtype=np.intp)
    iu, ju = np.triu_indices(n, 1)
    il, jl = np.tril_indices(n, -1)
    up = perms[:, iu] * n + perms[:, ju]
    low = perms[:, il] * n + perms[:, jl]
    bit_weights = np.left_shift(1, np.arange(len(iu) - 1, -1, -1, dtype=np.int64))
    op_weights = np.left_shift(1, 2 * np.arange(n - 3, -1, -1, dtype=np.int64))
    for table in (perms, up, low, bit_weights, op_weights):
        table.flags.writeable = False
    return perms, up, low, bit_weights, op_weights


def canonical_key(arch: NB101Arch) -> int:
    """The lexicographic key ``(matrix bits, op labels)`` of ``arch`` as it stands."""
    n = len(arch.ops)
    bits = [arch.matrix[i][j] for i in range(n) for j in range(i + 1, n)]
    key = 0
    for b in bits:
        key = key << 1 | b
    for op in arch.ops[1:-1]:
        key = key << 2 | _OP_INDEX[op]
    return key


def canonical(arch: NB101Arch) -> NB101Arch:
    """The representative of ``arch``'s isomorphism class with the smallest key (see the module
    docstring; cached)."""
    return _canonical(_check_arch(arch))


@functools.lru_cache(maxsize=1 << 16)
def _canonical(arch: NB101Arch) -> NB101Arch:
    n = len(arch.ops)
    if n <= 3:
        return arch
    perms, up, low, bit_weights, op_weights = perm_tables(n)
    flat = np.array(arch.matrix, dtype=np.int64).ravel()
    opv = np.array([0, *(_OP_INDEX[op] for op in arch.ops[1:-1]), 0], dtype=np.int64)
    keys = (flat[up] @ bit_weights) << (2 * (n - 2)) | (opv[perms[:, 1:-1]] @ op_weights)
    keys[flat[low].any(axis=1)] = _BIG
    best = perms[int(np.argmin(keys))].tolist()
    m = arch.matrix
    matrix = tuple(tuple(m[best[i]][best[j]] for j in range(n)) for i in range(n))
    ops = tuple(arch.ops[v] for v in best)
    if matrix == arch.matrix and ops == arch.ops:
        return arch
    return _new(matrix, ops)


# ------------------------------------------------------------------------ padded encodings


def _padded(arch: NB101Arch) -> tuple[list[int], list[int]]:
    """(21 edge bits in TRIU order, 5 op indices with -1 for unused) of the padded form."""
    n = len(arch.ops)
    pos = [*range(n - 1), NUM_VERTICES - 1]
    bits = [0] * EDGE_SPOTS
    m = arch.matrix
    for i in range(n - 1):
        for j in range(i + 1, n):
            if m[i][j]:
                bits[_TRIU_POS[pos[i], pos[j]]] = 1
    ops = [_OP_INDEX[op] for op in arch.ops[1:-1]] + [-1] * (NUM_VERTICES - n)
    return bits, ops


def _from_padded(bits: Sequence[int], ops: Sequence[int]) -> NB101Arch | None:
    """Prune a padded 7-vertex spec given as 0/1 bits and op indices; None if invalid."""
    rows = [[0] * NUM_VERTICES for _ in range(NUM_VERTICES)]
    for t, b in enumerate(bits):
        if b:
            i, j = TRIU[t]
            rows[i][j] = 1
    keep = _keep(rows, NUM_VERTICES)
    if not keep[0]:
        return None
    kept = [v for v in range(NUM_VERTICES) if keep[v]]
    matrix = tuple(tuple(rows[i][j] for j in kept) for i in kept)
    if sum(map(sum, matrix)) > MAX_EDGES:
        return None
    labels = (INPUT, *(OPS[ops[v - 1]] for v in kept[1:-1]), OUTPUT)
    return _new(matrix, labels)


def _padded_spec(bits: Sequence[int], ops: Sequence[int]) -> tuple[list[list[int]], list[str]]:
    """The padded 7x7 matrix (lists of ints) and labels of 0/1 edge bits and op indices."""
    matrix = [[0] * NUM_VERTICES for _ in range(NUM_VERTICES)]
    for (i, j), b in zip(TRIU, bits):
        matrix[i][j] = b
    return matrix, [INPUT, *(OPS[o] for o in ops), OUTPUT]


def encode_code(arch: NB101Arch) -> int:
    """The integer code of ``arch`` (< 2**31; layout in the module docstring)."""
    bits, ops = _padded(_check_arch(arch))
    code = 0
    for t, b in enumerate(bits):
        code |= b << t
    for k, op in enumerate(ops):
        code |= max(op, 0) << (EDGE_SPOTS + 2 * k)
    return code


def decode_code(code: int) -> NB101Arch:
    """Inverse of :func:`encode_code`; InvalidArchitectureError for a code that is not one."""
    if isinstance(code, bool) or not isinstance(code, numbers.Integral) \
            or not 0 <= code < _CODE_LIMIT:
        raise InvalidArchitectureError(
            f"an NB101 code is an int in [0, 2**31), got {show(code)}")
    code = int(code)
    bits = [code >> t & 1 for t in range(EDGE_SPOTS)]
    ops = [code >> (EDGE_SPOTS + 2 * k) & 3 for k in range(OP_SPOTS)]
    if 3 in ops:
        raise InvalidArchitectureError(
            f"NB101 code {code}: op field {ops.index(3) + 1} is 3 (valid: 0..2)")
    try:
        arch = prune(*_padded_spec(bits, ops))
    except InvalidArchitectureError as exc:
        raise InvalidArchitectureError(f"NB101 code {code}: {exc}") from None
    if encode_code(arch) != code:
        raise InvalidArchitectureError(
            f"NB101 code {code} is not the code of a pruned spec in padded form (unused "
            "vertices must come last, without edges, with op 0)")
    return arch


def to_decisions(arch: NB101Arch) -> list[int]:
    """21 padded edge bits (order :data:`TRIU`) + 5 op indices (0 for unused vertices)."""
    bits, ops = _padded(_check_arch(arch))
    return bits + [max(op, 0) for op in ops]


def from_decisions(values: Sequence[int]) -> NB101Arch:
    """The pruned spec of a decision vector (see :data:`DECISIONS`); InvalidArchitectureError
    if a value is out of range or the spec is invalid (disconnected, more than 9 edges)."""
    values = as_values(values, "an NB101 decision vector (21 edges, 5 ops)", len(DECISIONS))
    for d, (v, k) in enumerate(zip(values, DECISIONS)):
        if not is_int(v) or not 0 <= v < k:
            what = f"edge {TRIU[d]}" if d < EDGE_SPOTS else f"op of vertex {d - EDGE_SPOTS + 1}"
            raise InvalidArchitectureError(
                f"NB101 decision {d} ({what}) must be an int in 0..{k - 1}, got {show(v)}")
    return prune(*_padded_spec([int(v) for v in values[:EDGE_SPOTS]],
                               [int(v) for v in values[EDGE_SPOTS:]]))


def encode(arch: NB101Arch) -> np.ndarray:
    """Float32 features (length 36): 21 padded edge bits, then a one-hot of 3 per interior
    vertex (all zero for unused vertices)."""
    bits, ops = _padded(_check_arch(arch))
    out = np.zeros(ENCODING_LENGTH, dtype=np.float32)
    out[:EDGE_SPOTS] = bits
    for k, op in enumerate(ops):
        if op >= 0:
            out[EDGE_SPOTS + len(OPS) * k + op] = 1.0
    return out


# ------------------------------------------------------------------------------- strings


def to_str(arch: NB101Arch) -> str:
    """``ROW.ROW...ROW/label,...,label`` of the pruned spec (see the module docstring)."""
    _check_arch(arch)
    rows = ".".join("".join(map(str, row)) for row in arch.matrix)
    return f"{rows}/{','.join(arch.ops)}"


def from_str(s: str) -> NB101Arch:
    """Parse :func:`to_str`'s form (unpruned specs are accepted and pruned)."""
    text = check_text(s, "an NB101 string", MAX_TEXT)
    form = "expected 'ROW.ROW...ROW/label,...,label', e.g. '01.00/input,output'"
    if text.count("/") != 1:
        raise InvalidArchitectureError(
            f"malformed NB101 string {s!r}: {form} (exactly one '/')")
    rows_text, ops_text = text.split("/")
    rows = rows_text.split(".")
    for r, row in enumerate(rows):
        if not row or set(row) - {"0", "1"}:
            raise InvalidArchitectureError(
                f"malformed NB101 string {s!r}: matrix row {r} is {row!r}, expected 0/1 digits; "
                f"{form}")
    if any(len(row) != len(rows) for row in rows):
        raise InvalidArchitectureError(
            f"malformed NB101 string {s!r}: the matrix must be square ({len(rows)} rows of "
            f"lengths {[len(row) for row in rows]}); {form}")
    ops = [op.strip() for op in ops_text.split(",")]
    try:
        return prune([[int(c) for c in row] for row in rows], ops)
    except InvalidArchitectureError as exc:
        raise InvalidArchitectureError(f"NB101 string {s!r}: {exc}") from None


# ---------------------------------------------------------------- sampling, mutation, moves


def random_spec(rng: np.random.Generator) -> NB101Arch:
    """NB101's ``random_spec``: each of the 21 upper-triangle bits of a 7x7 matrix is 1 with
    p=0.5, each interior op uniform over :data:`OPS`; redrawn until valid, then pruned."""
    while True:
        bits = rng.integers(0, 2, size=EDGE_SPOTS).tolist()
        ops = rng.integers(0, len(OPS), size=OP_SPOTS).tolist()
        arch = _from_padded(bits, ops)
        if arch is not None:
            return arch


def mutate(arch: NB101Arch, rng: np.random.Generator, mutation_rate: float = 1.0) -> NB101Arch:
    """NB101's ``mutate_spec`` (regularized-evolution example of the NB101 colab).

    On the padded 7-vertex form, each of the 21 edge bits flips with probability
    ``mutation_rate / 7`` and each of the 5 interior ops changes, with probability
    ``mutation_rate / 5``, to one of the other two ops (uniform); redrawn until the result is
    valid and has a different hash. NB101 mutates the unpruned original spec; an NB101Arch is
    pruned, so the ops of its unused padding vertices are drawn uniformly (once per call), as
    :func:`random_spec` would draw a dangling vertex's op. ``0 < mutation_rate <= 5``.
    """
    _check_arch(arch)
    if isinstance(mutation_rate, bool) or not isinstance(mutation_rate, numbers.Real) \
            or not 0 < mutation_rate <= OP_SPOTS:
        raise InvalidArgumentError(
            f"mutation_rate must be a number in (0, {OP_SPOTS}], got {show(mutation_rate)}")
    own = module_hash(arch)
    bits, ops = _padded(arch)
    ops = [op if op >= 0 else int(rng.integers(len(OPS))) for op in ops]
    p_edge, p_op = mutation_rate / NUM_VERTICES, mutation_rate / OP_SPOTS
    while True:
        flips = rng.random(EDGE_SPOTS) < p_edge
        new_bits = [b ^ int(f) for b, f in zip(bits, flips)]
        new_ops = list(ops)
        for k in range(OP_SPOTS):
            if rng.random() < p_op:
                new_ops[k] = (ops[k] + int(rng.integers(1, len(OPS)))) % len(OPS)
        new = _from_padded(new_bits, new_ops)
        if new is not None and module_hash(new) != own:
            return new


def neighbors(arch: NB101Arch) -> list[NB101Arch]:
    """All valid specs one edge flip or one op change away from ``arch``'s padded 7-vertex form
    (unused vertices last, output at 6), deduplicated by hash, without ``arch``'s own hash.

    Padding: a pruned spec with ``V < 7`` vertices keeps vertices ``0 .. V-2``, its output moves
    to vertex 6, and vertices ``V-1 .. 5`` are unused (no edges). Edge flips come first (order
    :data:`TRIU`), then op changes (vertex 1..V-2, op order). A single flip cannot bring in an
    unused vertex (it needs an edge in and one out), so small specs only grow through
    :func:`mutate`; the 2-vertex spec ``01.00/input,output`` has no neighbours at all.
    """
    bits, ops = _padded(_check_arch(arch))
    ops = [max(op, 0) for op in ops]
    seen = {module_hash(arch)}
    out: list[NB101Arch] = []

    def add(new: NB101Arch | None) -> None:
        if new is not None:
            h = module_hash(new)
            if h not in seen:
                seen.add(h)
                out.append(new)

    for t in range(EDGE_SPOTS):
        flipped = list(bits)
        flipped[t] ^= 1
        add(_from_padded(flipped, ops))
    n = len(arch.ops)
    for k in range(n - 2):
        for op in range(len(OPS)):
            if op != ops[k]:
                add(_from_padded(bits, [*ops[:k], op, *ops[k + 1:]]))
    return out


# ---------------------------------------------------------------------------------- index


def read_index(path: str | Path) -> np.ndarray:
    """Read and check an index file (``.npz`` with key ``codes``: uint32 of length
    :data:`SIZE`, distinct values < 2**31); CorruptDataError if it is malformed."""
    hint = "regenerate it with benchmarks/nb101_enumerate.py"
    try:
        with np.load(path, allow_pickle=False) as data:
            codes = np.asarray(data["codes"])
    except FileNotFoundError as exc:
        raise DataNotFoundError(f"NB101 index resource {path} is missing; {hint}") from exc
    except (OSError, ValueError, KeyError, EOFError, AttributeError, TypeError,
            zipfile.BadZipFile) as exc:
        raise CorruptDataError(f"NB101 index resource {path} is unreadable ({exc}); {hint}") \
            from exc
    if codes.dtype != np.uint32 or codes.shape != (SIZE,):
        raise CorruptDataError(
            f"NB101 index resource {path} must hold 'codes', uint32 of shape ({SIZE},), got "
            f"{codes.dtype} of shape {codes.shape}; {hint}")
    if int(codes.max()) >= _CODE_LIMIT or (np.diff(np.sort(codes)) == 0).any():
        raise CorruptDataError(f"NB101 index resource {path} holds invalid or repeated codes; "
                               f"{hint}")
    codes.flags.writeable = False
    return codes


@functools.cache
def load_index() -> np.ndarray:
    """Canonical code of each index (uint32, read-only, length :data:`SIZE`), from the package
    resource ``search_spaces/resources/nb101_index.npz`` (see :func:`read_index`)."""
    resource = importlib.resources.files("search_spaces").joinpath(*_INDEX_PATH)
    with importlib.resources.as_file(resource) as path:
        return read_index(path)


@functools.cache
def _lookup() -> tuple[np.ndarray, np.ndarray]:
    """(sorted codes, index of each sorted code)."""
    codes = load_index()
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    ordered.flags.writeable = order.flags.writeable = False
    return ordered, order


def from_index(i: int) -> NB101Arch:
    """The canonical spec of index ``i`` (the ``i``-th hash in sorted order)."""
    if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < SIZE:
        raise InvalidArchitectureError(
            f"NB101 index must be an int in [0, {SIZE}), got {show(i)}")
    return decode_code(int(load_index()[int(i)]))


def index(arch: NB101Arch) -> int:
    """Position of ``arch``'s hash in the sorted list of all NB101 hashes."""
    code = encode_code(canonical(_check_arch(arch)))
    ordered, order = _lookup()
    pos = int(np.searchsorted(ordered, code))
    if pos == SIZE or int(ordered[pos]) != code:
        raise CorruptDataError(
            f"NB101 spec {to_str(arch)} is not in the index resource; regenerate it with "
            "benchmarks/nb101_enumerate.py")
    return int(order[pos])
