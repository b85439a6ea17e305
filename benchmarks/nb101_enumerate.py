"""Enumerate the whole NAS-Bench-101 space from scratch and write its index resource.

For every vertex count 2..7: all strictly upper-triangular 0/1 matrices with at most 9 edges
whose every vertex lies on an input->output path (no empty row but the output's, no empty
column but the input's), times all 3**(V-2) interior labelings. Every labeled graph is hashed
with :func:`search_spaces.nb101_spec.hash_matrix` (the official NB101 hash; ``--workers``
processes) and canonicalised (vectorised over the interior permutations with the same tables
and key as :func:`search_spaces.nb101_spec.canonical`). Checks: 423,624 distinct hashes;
hash <-> canonical code is a bijection (equal hash iff equal canonical form); a sample of
permuted graphs gets the same canonical form from ``nb101_spec.canonical``.

Writes ``search_spaces/resources/nb101_index.npz``: ``codes`` (uint32), the
:func:`~search_spaces.nb101_spec.encode_code` of each hash's canonical representative, in
sorted-hash order (index i = position of the hash in the sorted hash list).

Usage: ``python benchmarks/nb101_enumerate.py [--workers 2] [--out PATH] [--no-write]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from search_spaces import nb101_spec as S  # noqa: E402

OUT = REPO / "search_spaces" / "resources" / "nb101_index.npz"
CHUNK = 64  # matrices per hashing task


def valid_matrices(n: int) -> np.ndarray:
    """All (count, T) upper-triangle bit rows (row-major) of valid n-vertex matrices."""
    t = n * (n - 1) // 2
    codes = np.arange(1 << t, dtype=np.int64)
    bits = ((codes[:, None] >> np.arange(t - 1, -1, -1)) & 1).astype(np.uint8)
    bits = bits[bits.sum(axis=1) <= S.MAX_EDGES]
    iu, ju = np.triu_indices(n, 1)
    m = np.zeros((len(bits), n, n), dtype=np.uint8)
    m[:, iu, ju] = bits
    full = m[:, : n - 1, :].any(axis=2).all(axis=1) & m[:, :, 1:].any(axis=1).all(axis=1)
    return bits[full]


def labelings(n: int) -> np.ndarray:
    """All (3**(n-2), n-2) interior op-index labelings, vertex 1 most significant."""
    k = n - 2
    idx = np.arange(len(S.OPS) ** k, dtype=np.int64)
    return (idx[:, None] // len(S.OPS) ** np.arange(k - 1, -1, -1)) % len(S.OPS)


def canonical_keys(n: int, bits: np.ndarray, labs: np.ndarray) -> np.ndarray:
    """(matrices, labelings) canonical key: min over upper-triangular-preserving interior
    permutations of (matrix bits << 2(n-2)) | op bits, as in ``nb101_spec.canonical``."""
    perms, up, low, bit_w, op_w = S.perm_tables(n)
    iu, ju = np.triu_indices(n, 1)
    flat = np.zeros((len(bits), n * n), dtype=np.uint8)
    flat[:, iu * n + ju] = bits
    full_labs = np.zeros((len(labs), n), dtype=np.int64)
    full_labs[:, 1 : n - 1] = labs
    op_keys = full_labs[:, perms[:, 1:-1]] @ op_w  # (L, k)
    out = np.empty((len(bits), len(labs)), dtype=np.int64)
    for start in range(0, len(bits), 256):
        f = flat[start : start + 256]
        bit_keys = f[:, up].astype(np.int64) @ bit_w  # (m, k)
        bit_keys[f[:, low].any(axis=2)] = np.iinfo(np.int64).max >> 12
        keys = (bit_keys[:, None, :] << (2 * (n - 2))) | op_keys[None, :, :]
        out[start : start + 256] = keys.min(axis=2)
    return out


def key_codes(n: int, keys: np.ndarray) -> np.ndarray:
    """encode_code (padded layout) of n-vertex specs given by their canonical keys."""
    iu, ju = np.triu_indices(n, 1)
    pos = np.array([*range(n - 1), S.NUM_VERTICES - 1])
    t = len(iu)
    codes = np.zeros(len(keys), dtype=np.int64)
    mbits = keys >> (2 * (n - 2))
    for e in range(t):
        target = S.TRIU.index((int(pos[iu[e]]), int(pos[ju[e]])))
        codes |= ((mbits >> (t - 1 - e)) & 1) << target
    for v in range(1, n - 1):
        op = (keys >> (2 * (n - 2 - v))) & 3
        codes |= op << (S.EDGE_SPOTS + 2 * (v - 1))
    return codes


def hash_chunk(task: tuple[int, np.ndarray, np.ndarray]) -> list[str]:
    """Official hashes of every (matrix, labeling) of a chunk, matrix-major."""
    n, bits, labs = task
    iu, ju = np.triu_indices(n, 1)
    out = []
    for row in bits:
        m = np.zeros((n, n), dtype=np.int64)
        m[iu, ju] = row
        rows = m.tolist()
        for lab in labs.tolist():
            out.append(S.hash_matrix(rows, [-1, *lab, -2]))
    return out


def check_sample(n_vert: np.ndarray, bits_of: list, labs_of: list, codes: np.ndarray,
                 hashes: np.ndarray, rng: np.random.Generator, count: int = 3000) -> int:
    """Canonicalise randomly permuted labeled graphs with nb101_spec; number that agree."""
    agree = 0
    for g in rng.choice(len(codes), size=count, replace=False):
        n, m_idx, l_idx = n_vert[g]
        bits, labs = bits_of[n][m_idx], labs_of[n][l_idx]
        iu, ju = np.triu_indices(n, 1)
        m = np.zeros((n, n), dtype=np.int64)
        m[iu, ju] = bits
        ops = [S.INPUT, *(S.OPS[o] for o in labs), S.OUTPUT]
        while True:  # a random relabeling that keeps the matrix upper-triangular
            p = np.array([0, *rng.permutation(np.arange(1, n - 1)), n - 1])
            pm = m[np.ix_(p, p)]
            if not np.tril(pm).any():
                break
        arch = S.prune(pm.tolist(), [ops[v] for v in p])
        canon = S.canonical(arch)
        agree += (S.encode_code(canon) == codes[g] and S.module_hash(arch) == hashes[g]
                  and S.canonical(canon) == canon)
    return agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="hashing processes (default 2)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-write", action="store_true", help="check only")
    args = parser.parse_args()
    t0 = time.perf_counter()

    bits_of, labs_of, tasks = {}, {}, []
    graph_n, canon_codes = [], []
    for n in range(2, S.NUM_VERTICES + 1):
        bits_of[n], labs_of[n] = valid_matrices(n), labelings(n)
        keys = canonical_keys(n, bits_of[n], labs_of[n])
        canon_codes.append(key_codes(n, keys.ravel()))
        m_idx, l_idx = np.divmod(np.arange(keys.size), len(labs_of[n]))
        graph_n.append(np.stack([np.full(keys.size, n), m_idx, l_idx], axis=1))
        tasks += [(n, bits_of[n][s : s + CHUNK], labs_of[n])
                  for s in range(0, len(bits_of[n]), CHUNK)]
        print(f"V={n}: {len(bits_of[n]):,} matrices x {len(labs_of[n])} labelings = "
              f"{keys.size:,} labeled graphs, {len(np.unique(keys)):,} canonical forms")
    codes = np.concatenate(canon_codes)
    graph_n = np.concatenate(graph_n)
    print(f"canonical forms computed in {time.perf_counter() - t0:.1f} s; hashing "
          f"{len(codes):,} labeled graphs with {args.workers} worker(s)")

    hashes: list[str] = []
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            for part in pool.imap(hash_chunk, tasks):
                hashes += part
    else:
        for task in tasks:
            hashes += hash_chunk(task)
    hashes_arr = np.array(hashes, dtype="S32")
    print(f"hashed in {time.perf_counter() - t0:.1f} s")

    uniq_hash, first, inverse = np.unique(hashes_arr, return_index=True, return_inverse=True)
    uniq_code = np.unique(codes)
    pairs = np.unique(inverse.astype(np.int64) << 32 | codes)
    print(f"unique hashes: {len(uniq_hash):,} (expected {S.SIZE:,})")
    print(f"distinct canonical codes: {len(uniq_code):,}; distinct (hash, canonical) pairs: "
          f"{len(pairs):,}")
    ok = len(uniq_hash) == len(uniq_code) == len(pairs) == S.SIZE
    print(f"check canonical <-> hash bijection: {'OK' if ok else 'FAILED'}")

    index_codes = codes[first].astype(np.uint32)  # np.unique sorts: sorted-hash order
    agree = check_sample(graph_n, bits_of, labs_of, codes, hashes_arr.astype(str),
                         np.random.default_rng(0))
    print(f"nb101_spec.canonical/module_hash on 3,000 randomly permuted graphs: {agree} of 3000")
    ok = ok and agree == 3000
    print(f"wall time: {time.perf_counter() - t0:.1f} s")
    if not ok:
        sys.exit("checks FAILED; resource not written")
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, codes=index_codes)
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {len(index_codes):,} codes)")


if __name__ == "__main__":
    main()
