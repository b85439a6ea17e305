"""The space contract, generated from the registry: every registered space (and the test
space) is tested the moment it is registered (string and decision round trips, canonical
forms, moves, features, models on a real batch of every declared dataset, reproducible
sampling in another process, recorded parameter counts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_space import TinySpace  # tests/ is on sys.path (rootdir-less)

from naslib_zero.core.errors import (
    DataNotFoundError,
    InvalidArchitectureError,
    NotIndexableError,
    UnknownNameError,
)
from naslib_zero.data import DATASETS, Batch, get_batch
from naslib_zero.tables import list_tables, recorded_params
from search_spaces import get_space, list_spaces
from search_spaces.base import DatasetSpec, SearchSpace
from search_spaces.nds_cells import CELL_FAMILIES

SPACES = {name: get_space(name) for name in list_spaces()} | {"tiny": TinySpace()}
NAMES = sorted(SPACES)
SAMPLES = 12


def samples(space: SearchSpace, n: int = SAMPLES, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


@pytest.fixture(params=NAMES)
def space(request) -> SearchSpace:
    return SPACES[request.param]


def test_registry_has_the_promised_spaces() -> None:
    assert {"nb201", "nb101", "nats_sss"} <= set(list_spaces())
    with pytest.raises(UnknownNameError, match="unknown search space 'nb999'"):
        get_space("nb999")


def test_string_round_trip(space: SearchSpace) -> None:
    for arch in samples(space):
        text = space.to_str(arch)
        assert space.from_str(text) == arch
        assert space.to_str(space.from_str(text)) == text
        assert space.is_valid(arch)
        hash(arch)  # architectures are hashable values


def test_canonical_is_idempotent_and_keeps_the_class(space: SearchSpace) -> None:
    for arch in samples(space):
        rep = space.canonical(arch)
        assert space.is_valid(rep)
        assert space.canonical(rep) == rep
        for other in space.neighbors(arch)[:5]:  # a class is closed under canonical
            assert space.canonical(space.canonical(other)) == space.canonical(other)


def test_mutate_and_neighbors_give_valid_distinct_architectures(space: SearchSpace) -> None:
    rng = np.random.default_rng(1)
    for arch in samples(space, 6):
        neighbors = space.neighbors(arch)  # may be empty (NB101's 2-vertex cell)
        texts = [space.to_str(n) for n in neighbors]
        assert len(set(texts)) == len(texts)
        assert space.to_str(arch) not in texts
        assert all(space.is_valid(n) for n in neighbors)
        for _ in range(5):
            child = space.mutate(arch, rng)
            assert space.is_valid(child) and child != arch


def test_spaces_have_neighbourhoods() -> None:
    for space in SPACES.values():
        assert sum(len(space.neighbors(a)) for a in samples(space)) > 0, space.name


def test_decisions_round_trip(space: SearchSpace) -> None:
    sizes = space.decisions()
    assert sizes and all(isinstance(s, int) and s >= 1 for s in sizes)
    for arch in samples(space):
        values = space.to_decisions(arch)
        assert len(values) == len(sizes)
        assert all(0 <= v < s for v, s in zip(values, sizes))
        assert space.from_decisions(values) == arch
        assert space.decode(values) == arch


def test_decode_rejects_what_from_decisions_rejects(space: SearchSpace) -> None:
    rng = np.random.default_rng(2)
    sizes = np.array(space.decisions())
    for _ in range(50):
        values = [int(v) for v in rng.integers(0, sizes)]
        try:
            expected = space.from_decisions(values)
        except InvalidArchitectureError:
            expected = None
        assert space.decode(values) == expected
    with pytest.raises(InvalidArchitectureError):
        space.from_decisions([len(sizes) * 99] * len(sizes))


def test_encode_has_a_fixed_length(space: SearchSpace) -> None:
    vectors = [space.encode(a) for a in samples(space)]
    assert len({v.shape for v in vectors}) == 1 and vectors[0].ndim == 1
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in vectors)


def test_index_and_size_when_finite(space: SearchSpace) -> None:
    if not space.indexable:
        with pytest.raises(NotIndexableError):
            space.index(samples(space, 1)[0])
        return
    size = space.size()
    for i in (0, 1, size // 2, size - 1):
        assert space.index(space.from_index(i)) == i
    for arch in samples(space):
        i = space.index(arch)
        assert 0 <= i < size and space.index(space.from_index(i)) == i
    for bad in (-1, size, 1.5, True):
        with pytest.raises(InvalidArchitectureError):
            space.from_index(bad)


def test_graph_has_the_ops(space: SearchSpace) -> None:
    graph = space.to_graph(samples(space, 1)[0])
    assert graph.number_of_nodes() >= 2


def real_batch(spec: DatasetSpec, data_dir: Path) -> Batch:
    """Two real images of ``spec``'s dataset; where its files are not in the shared data
    (CIFAR-100), two images of a present dataset of the same shape, with in-range labels."""
    try:
        batch = get_batch(spec.name, size=2, data_dir=data_dir)  # the dataset's default split
    except DataNotFoundError:
        stand_in = next(d for d in ("cifar10", "ImageNet16-120")
                        if DATASETS[d].shape == spec.input_shape)
        batch = get_batch(stand_in, "train", size=2, data_dir=data_dir)
    assert tuple(batch.inputs.shape[1:]) == spec.input_shape
    assert int(batch.targets.max()) < spec.num_classes
    return batch


def test_model_forward_and_backward_on_every_declared_dataset(space: SearchSpace,
                                                              data_dir: Path) -> None:
    assert space.datasets, f"{space.name} declares no dataset"
    arch = samples(space, 1, seed=5)[0]
    for spec in space.datasets:
        batch = real_batch(spec, data_dir)
        torch.manual_seed(0)
        model = space.to_model(arch, spec.name)
        logits = model(batch.inputs)
        assert logits.shape == (2, spec.num_classes)
        torch.nn.functional.cross_entropy(logits, batch.targets).backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
    with pytest.raises(UnknownNameError, match="no models for dataset 'svhn'"):
        space.to_model(arch, "svhn")


def test_sampling_is_reproducible_in_another_process() -> None:
    code = (
        "import json, sys, numpy as np\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from search_spaces import get_space, list_spaces\n"
        "from tiny_space import TinySpace\n"
        "spaces = {n: get_space(n) for n in list_spaces()} | {'tiny': TinySpace()}\n"
        "out = {}\n"
        "for name, space in spaces.items():\n"
        "    rng = np.random.default_rng(7)\n"
        "    out[name] = [space.to_str(space.sample(rng)) for _ in range(5)]\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    theirs = json.loads(result.stdout)
    for name, space in SPACES.items():
        assert theirs[name] == [space.to_str(a) for a in samples(space, 5, seed=7)], name


RECORDED = [t for t in list_tables() if t.params_column]


@pytest.mark.parametrize("table", RECORDED, ids=lambda t: f"{t.space}-{t.benchmark}-{t.dataset}")
def test_parameter_counts_equal_the_benchmarks_record(table, data_dir: Path) -> None:
    space = get_space(table.space, **dict(table.params_options))
    archs, params = recorded_params(table, data_dir)
    rows = np.linspace(0, len(archs) - 1, 25).astype(int)
    for i in rows:
        with torch.device("meta"):
            model = space.to_model(space.from_str(archs[i]), table.dataset)
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        assert count == params[i], (archs[i], table.benchmark)


def test_every_space_with_a_table_records_or_tests_parameter_counts() -> None:
    # nb201: tests/test_nb201_model.py; darts (DARTS-1000 records no counts): tests/test_darts.py;
    # the NDS spaces (params and flops of every record): tests/test_nds.py, test_nds_cells.py
    covered = {t.space for t in RECORDED} | {"nb201", "darts", "nds_resnet", "nds_vanilla",
                                             "nds_resnext-a", "nds_resnext-b"} | set(CELL_FAMILIES)
    assert {t.space for t in list_tables()} <= covered
