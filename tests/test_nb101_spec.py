"""NB101 cell specs: official hash parity on real data, canonical form, index, encodings,
sampling and mutation, bad input. (Full 30k parity: ``benchmarks/nb101_hash_parity.py``.)"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from naslib_zero.core.errors import CorruptDataError, InvalidArchitectureError
from search_spaces import nb101_spec as S

C3, C1, MP = S.CONV3X3, S.CONV1X1, S.MAXPOOL3X3
DOC_EXAMPLE = ("01100.00010.00010.00001.00000/"
               "input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,output")


def _spec(adjacency: str, ops: str) -> S.NB101Arch:
    labels = ops.split("|")
    n = len(labels)
    flat = [int(c) for c in adjacency]
    return S.prune([flat[i * n : (i + 1) * n] for i in range(n)], labels)


def _rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    with open(data_dir / "nb101" / name, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def rows_30k(data_dir: Path) -> list[dict[str, str]]:
    return _rows(data_dir, "nb101_30k_val_accuracy.csv")


@pytest.fixture(scope="module")
def data_specs(data_dir: Path, rows_30k: list[dict[str, str]]) -> list[tuple[str, S.NB101Arch]]:
    """(hash, spec) of a 3,000-row sample of the 30k file and all naslib/gennas rows (incl.
    naslib's unpruned raw 7x7 specs)."""
    out = [(r["hash"], _spec(r["adjacency"], r["ops"])) for r in rows_30k[::10]]
    for r in _rows(data_dir, "naslib_nb101_val_accuracy.csv"):
        out.append((r["hash"], _spec(r["adjacency"], r["ops"])))
        out.append((r["hash"], _spec(r["adjacency_raw_7x7"], r["ops_raw"])))
    out += [(r["hash"], _spec(r["adjacency"], r["ops"]))
            for r in _rows(data_dir, "gennas_nb101_2500_accuracy.csv")]
    return out


def _random_specs(count: int, seed: int = 0) -> list[S.NB101Arch]:
    rng = np.random.default_rng(seed)
    return [S.random_spec(rng) for _ in range(count)]


def _permuted(arch: S.NB101Arch, rng: np.random.Generator) -> S.NB101Arch:
    """``arch`` with its interior vertices relabeled by a random topological-order perm."""
    n = arch.num_vertices
    m = np.array(arch.matrix)
    while True:
        p = np.array([0, *rng.permutation(np.arange(1, n - 1)), n - 1])
        pm = m[np.ix_(p, p)]
        if not np.tril(pm).any():
            return S.prune(pm.tolist(), [arch.ops[v] for v in p])


# ------------------------------------------------------------------------------ hash parity


def test_hash_parity_30k_sample(rows_30k: list[dict[str, str]]) -> None:
    sample = rows_30k[::6]
    good = sum(S.module_hash(_spec(r["adjacency"], r["ops"])) == r["hash"] for r in sample)
    assert len(rows_30k) == 30_001
    assert good == len(sample)


def test_hash_parity_naslib_pruned_and_raw(data_dir: Path) -> None:
    rows = _rows(data_dir, "naslib_nb101_val_accuracy.csv")
    assert len(rows) == 500
    for r in rows:
        pruned = _spec(r["adjacency"], r["ops"])
        raw = _spec(r["adjacency_raw_7x7"], r["ops_raw"])
        assert raw == pruned
        assert S.module_hash(pruned) == r["hash"]
        assert pruned.num_vertices == int(r["num_vertices"])


def test_hash_parity_gennas(data_dir: Path) -> None:
    rows = _rows(data_dir, "gennas_nb101_2500_accuracy.csv")
    assert len(rows) == 2_500
    assert all(S.module_hash(_spec(r["adjacency"], r["ops"])) == r["hash"] for r in rows)


def test_hash_of_reference_cells() -> None:
    # hashes of these two cells are the NB101 dataset keys (from the 30k file)
    assert S.module_hash(S.prune([[0, 1], [0, 0]], ["input", "output"])) \
        == S.module_hash(S.from_str("01.00/input,output"))
    chain = S.from_str("010.001.000/input,conv3x3-bn-relu,output")
    assert len(S.module_hash(chain)) == 32


# -------------------------------------------------------------------------------- canonical


def test_canonical_matches_hash_on_data(data_specs: list[tuple[str, S.NB101Arch]]) -> None:
    canon_of_hash: dict[str, set[S.NB101Arch]] = defaultdict(set)
    for h, arch in data_specs:
        canon = S.canonical(arch)
        assert S.canonical(canon) == canon  # idempotent
        assert S.module_hash(canon) == h
        canon_of_hash[h].add(canon)
    assert all(len(c) == 1 for c in canon_of_hash.values())  # equal hash => equal canonical
    reps = [next(iter(c)) for c in canon_of_hash.values()]
    assert len(set(reps)) == len(reps)  # different hash => different canonical


def test_permuting_interior_keeps_hash_and_canonical() -> None:
    rng = np.random.default_rng(1)
    for arch in _random_specs(300, seed=2):
        other = _permuted(arch, rng)
        assert S.module_hash(other) == S.module_hash(arch)
        assert S.canonical(other) == S.canonical(arch)


def test_canonical_separates_swapped_labels() -> None:
    a = S.from_str("0110.0001.0001.0000/input,conv3x3-bn-relu,maxpool3x3,output")
    b = S.from_str("0110.0001.0001.0000/input,maxpool3x3,conv3x3-bn-relu,output")
    c = S.from_str("0110.0001.0001.0000/input,conv3x3-bn-relu,conv3x3-bn-relu,output")
    assert S.canonical(a) == S.canonical(b) and S.module_hash(a) == S.module_hash(b)
    assert S.canonical(a) != S.canonical(c) and S.module_hash(a) != S.module_hash(c)


# ------------------------------------------------------------------------------------ index


def test_index_resource_and_round_trip() -> None:
    codes = S.load_index()
    assert codes.dtype == np.uint32 and codes.shape == (S.SIZE,) and S.SIZE == 423_624
    rng = np.random.default_rng(3)
    for i in [0, 1, S.SIZE - 1, *rng.integers(0, S.SIZE, 200).tolist()]:
        arch = S.from_index(i)
        assert S.canonical(arch) == arch
        assert S.index(arch) == i
        assert S.index(_permuted(arch, rng)) == i
    for i in [0, *rng.integers(0, S.SIZE - 1, 100).tolist()]:
        assert S.module_hash(S.from_index(i)) < S.module_hash(S.from_index(i + 1))


def test_index_follows_sorted_hash_list(rows_30k: list[dict[str, str]],
                                        data_specs: list[tuple[str, S.NB101Arch]]) -> None:
    # The 30k file is two contiguous slices of the sorted NB101 hash list.
    ordered = sorted(rows_30k, key=lambda r: r["hash"])
    head = [S.index(_spec(r["adjacency"], r["ops"])) for r in ordered[:300]]
    assert head == list(range(300))  # its smallest hash is the smallest NB101 hash
    pairs = sorted((h, S.index(a)) for h, a in data_specs)
    for (h1, i1), (h2, i2) in zip(pairs, pairs[1:]):
        assert (i1 < i2) if h1 < h2 else (i1 == i2)


def test_index_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArchitectureError, match="index"):
        S.from_index(S.SIZE)
    with pytest.raises(InvalidArchitectureError, match="index"):
        S.from_index(True)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(CorruptDataError, match="unreadable"):
        S.read_index(bad)
    np.savez_compressed(tmp_path / "key.npz", other=np.zeros(3, np.uint32))
    with pytest.raises(CorruptDataError, match="unreadable"):
        S.read_index(tmp_path / "key.npz")
    np.savez_compressed(tmp_path / "short.npz", codes=np.arange(10, dtype=np.uint32))
    with pytest.raises(CorruptDataError, match="shape"):
        S.read_index(tmp_path / "short.npz")
    np.savez_compressed(tmp_path / "dup.npz", codes=np.zeros(S.SIZE, np.uint32))
    with pytest.raises(CorruptDataError, match="repeated"):
        S.read_index(tmp_path / "dup.npz")


# -------------------------------------------------------------------------------- encodings


def test_string_round_trip() -> None:
    for arch in _random_specs(200, seed=4):
        s = S.to_str(arch)
        assert S.from_str(s) == arch and str(arch) == s
    assert S.to_str(S.from_str(DOC_EXAMPLE)) == DOC_EXAMPLE
    # unpruned input is pruned: vertex 2 is dangling (no out-edge)
    assert S.from_str("0110.0001.0000.0000/input,conv1x1-bn-relu,maxpool3x3,output") \
        == S.from_str("010.001.000/input,conv1x1-bn-relu,output")


def test_code_round_trip() -> None:
    for arch in _random_specs(300, seed=5):
        code = S.encode_code(arch)
        assert 0 <= code < 2**31 and S.decode_code(code) == arch
        assert S.decode_code(np.uint32(code)) == arch
    with pytest.raises(InvalidArchitectureError, match="not the code"):
        S.decode_code(1 << 5 | 1)  # edges 0->6 and 0->1 (vertex 1 dangles)
    with pytest.raises(InvalidArchitectureError, match="disconnected"):
        S.decode_code(0)
    with pytest.raises(InvalidArchitectureError, match="op field"):
        S.decode_code(3 << 21 | 1 << 5)


def test_decisions_and_features() -> None:
    assert S.DECISIONS == (2,) * 21 + (3,) * 5
    for arch in _random_specs(200, seed=6):
        d = S.to_decisions(arch)
        assert len(d) == 26 and all(0 <= v < k for v, k in zip(d, S.DECISIONS))
        assert S.from_decisions(d) == arch
        x = S.encode(arch)
        assert x.dtype == np.float32 and x.shape == (36,)
        assert x[:21].tolist() == d[:21]
        assert x[21:].sum() == arch.num_vertices - 2
    with pytest.raises(InvalidArchitectureError, match="disconnected"):
        S.from_decisions([0] * 26)
    with pytest.raises(InvalidArchitectureError, match="too many edges"):
        S.from_decisions([1] * 21 + [0] * 5)
    with pytest.raises(InvalidArchitectureError, match="26 values"):
        S.from_decisions([0] * 25)
    with pytest.raises(InvalidArchitectureError, match="decision 21"):
        S.from_decisions([1] * 6 + [0] * 15 + [3, 0, 0, 0, 0])


# -------------------------------------------------------------------- sampling and mutation


def test_random_spec_reproducible_and_valid() -> None:
    a = _random_specs(50, seed=7)
    assert a == _random_specs(50, seed=7) and a != _random_specs(50, seed=8)
    for arch in a:
        assert S.prune(arch.matrix, arch.ops) == arch
        assert arch.num_edges <= S.MAX_EDGES


def test_mutate_changes_hash() -> None:
    rng = np.random.default_rng(9)
    tiny = S.from_str("01.00/input,output")
    for arch in [tiny, *_random_specs(100, seed=10)]:
        new = S.mutate(arch, rng)
        assert S.module_hash(new) != S.module_hash(arch)
        assert S.prune(new.matrix, new.ops) == new


def test_neighbors_valid_distinct() -> None:
    for arch in _random_specs(40, seed=11):
        nbrs = S.neighbors(arch)
        if arch.num_vertices == 2:  # the one spec without single-edit neighbours
            assert nbrs == []
            continue
        hashes = [S.module_hash(n) for n in nbrs]
        assert nbrs and len(set(hashes)) == len(hashes)
        assert S.module_hash(arch) not in hashes
        for n in nbrs:
            assert S.prune(n.matrix, n.ops) == n
    chain = S.from_str("010.001.000/input,conv3x3-bn-relu,output")
    ops = {S.to_str(n) for n in S.neighbors(chain)}
    assert "010.001.000/input,maxpool3x3,output" in ops
    assert "011.001.000/input,conv3x3-bn-relu,output" in ops
    assert S.neighbors(S.from_str("01.00/input,output")) == []


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("text, message", [
    ("01.00", "exactly one '/'"),
    ("01.00/input,output/x", "exactly one '/'"),
    ("01.0a/input,output", "0/1 digits"),
    ("01..00/input,output", "0/1 digits"),
    ("011.00/input,output", "square"),
    ("01.10/input,output", "upper-triangular"),
    ("01.00/input,conv3x3,output", "labels but the matrix"),
    ("010.001.000/input,conv5x5,output", "unknown op label 'conv5x5'.*conv3x3-bn-relu"),
    ("010.001.000/conv3x3-bn-relu,input,output", "first label must be 'input'"),
    ("010.001.000/input,output,conv3x3-bn-relu", "last label must be 'output'"),
    ("010.001.000/input,input,output", "interior vertex 1"),
    ("010.000.000/input,conv3x3-bn-relu,output", "disconnected"),
    ("00.00/input,output", "disconnected"),
    ("0111110.0000001.0000001.0000001.0000001.0000001.0000000/input," + ",".join([C3] * 5)
     + ",output", "too many edges: 10"),
    ("0" * 8 + "." + ".".join(["0" * 8] * 7) + "/input," + ",".join([C3] * 6) + ",output",
     "too many vertices"),
])
def test_bad_strings(text: str, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        S.from_str(text)


def test_bad_specs() -> None:
    cases = [
        ([[0, 1, 0], [0, 0, 1]], ["input", C3, "output"], "square"),
        ([[0, 2], [0, 0]], ["input", "output"], "0 or 1"),
        ([[1, 1], [0, 0]], ["input", "output"], "upper-triangular"),
        ([[0, 1], [0, 0]], ["input", "output", "output"], "labels but the matrix"),
        ([[0, 1], [0, 0]], "io", "sequence"),
        ([[0]], ["input"], "at least 2 vertices"),
    ]
    for matrix, ops, message in cases:
        with pytest.raises(InvalidArchitectureError, match=message):
            S.prune(matrix, ops)
        assert not S.is_valid_spec(matrix, ops)
    # more than 9 edges before pruning is fine when pruning removes them (NB101 semantics)
    dense = np.triu(np.ones((7, 7), dtype=int), 1)
    dense[:, 6] = 0
    dense[0, 6] = 1
    assert S.is_valid_spec(dense, ["input", *[C1] * 5, "output"])
    assert S.prune(dense, ["input", *[C1] * 5, "output"]) == S.from_str("01.00/input,output")
    with pytest.raises(InvalidArchitectureError, match="pruned"):
        S.NB101Arch(((0, 0, 1), (0, 0, 0), (0, 0, 0)), ("input", C3, "output"))
    with pytest.raises(InvalidArchitectureError, match="NB101Arch"):
        S.module_hash("01.00/input,output")  # type: ignore[arg-type]
