"""NB201 one-shot supernet: path equivalence with NB201Network, single-path updates, samplers,
killed-run resume, checkpoint checks and one-shot evaluation (tiny synthetic data)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from naslib_zero.core.errors import CorruptDataError, InvalidArchitectureError, InvalidArgumentError
from naslib_zero.scoring.supernet import (
    ArchSampler,
    NB201Supernet,
    average_weights,
    evaluate_archs,
    list_checkpoints,
    load_weights,
    read_checkpoint,
    temporal_ensemble,
    train_supernet,
)
from naslib_zero.scoring.training import Recipe, TrainingData
from search_spaces import get_space
from search_spaces.nb201 import OPS
from search_spaces.nb201_model import NB201Network

SPACE = get_space("nb201")
C, N = 4, 1
RECIPE = Recipe(epochs=2, batch_size=16, eval_batch_size=16)
ARCH_A = (3, 2, 4, 1, 3, 2)  # no `none` edge: every op on the path reaches the output
ARCH_B = (2, 3, 1, 4, 2, 3)  # a different op than ARCH_A on every edge


class FixedSampler:
    """A sampler stub that returns the given archs in turn."""

    mode = "fixed"

    def __init__(self, *archs: tuple[int, ...]) -> None:
        self.archs, self.i = archs, 0

    def sample(self) -> tuple[int, ...]:
        self.i += 1
        return self.archs[(self.i - 1) % len(self.archs)]

    def state(self) -> int:
        return self.i

    def set_state(self, state: int) -> None:
        self.i = state


def make_data(n: int = 32, size: int = 16) -> TrainingData:
    """Random uint8 images and labels 0..9 from a fixed seed."""
    g = torch.Generator().manual_seed(0)

    def part() -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)
        return images, torch.randint(0, 10, (n,), generator=g)

    (xt, yt), (xv, yv) = part(), part()
    return TrainingData("synthetic", 10, xt, yt, xv, yv,
                        torch.full((1, 3, 1, 1), 0.5), torch.full((1, 3, 1, 1), 0.25))


def build(bn_affine: bool = True) -> NB201Supernet:
    torch.manual_seed(0)
    return NB201Supernet(10, C, N, bn_affine)


def run_training(directory: str | Path, epochs: int) -> NB201Supernet:
    """The run the kill test interrupts (also called by its subprocess)."""
    supernet = build()
    recipe = Recipe(epochs=epochs, batch_size=16, eval_batch_size=16)
    train_supernet(supernet, make_data(), recipe, ArchSampler(SPACE, "uniform", 3),
                   directory, seed=1)
    return supernet


def off_path_keys(state: dict[str, torch.Tensor], arch: tuple[int, ...]) -> set[str]:
    """Keys (weights and buffers) of the cell ops that ``arch`` does not use."""
    return {k for k in state if ".edges." in k
            and k.split(".")[4] != OPS[arch[int(k.split(".")[3])]]}


def assert_same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    assert [k for k in a if not torch.equal(a[k], b[k])] == []


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return make_data()


@pytest.fixture(scope="module")
def fixed_run(tmp_path_factory: pytest.TempPathFactory, data: TrainingData) -> list[dict]:
    """Model states at init and after each of two one-step epochs (ARCH_A, then ARCH_B)."""
    supernet = build()
    initial = {k: v.clone() for k, v in supernet.state_dict().items()}
    recipe = Recipe(epochs=2, batch_size=len(data.train_labels))
    paths = train_supernet(supernet, data, recipe, FixedSampler(ARCH_A, ARCH_B),
                           tmp_path_factory.mktemp("fixed"))
    return [initial, *(read_checkpoint(p)["model"] for p in paths)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, data: TrainingData) -> list[Path]:
    """Checkpoints of a 2-epoch uniform run."""
    return train_supernet(build(), data, RECIPE, ArchSampler(SPACE, "uniform", 0),
                          tmp_path_factory.mktemp("trained"))


# ------------------------------------------------------------------------------ the network

def _randomize(module: torch.nn.Module) -> None:
    """Non-trivial weights and BN statistics, so that equivalence means something."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for key, value in module.state_dict().items():
            if value.is_floating_point():
                noise = torch.rand(value.shape, generator=g)
                value.copy_(noise + 0.5 if key.endswith("running_var") else noise - 0.5)


@pytest.mark.parametrize("arch", [(3, 3, 3, 3, 3, 3), (0, 2, 4, 1, 0, 3), (1, 0, 0, 4, 2, 0),
                                  (0, 0, 0, 0, 0, 0), ARCH_A])
def test_path_computes_nb201_network(arch: tuple[int, ...]) -> None:
    supernet = build()
    _randomize(supernet)
    network = NB201Network(arch, 10, C, N)
    network.load_state_dict(supernet.path_state_dict(arch))  # strict: same keys and shapes
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    for train in (False, True):
        supernet.train(train)
        network.train(train)
        assert torch.equal(supernet(x, arch), network(x))


def test_path_parameter_names_are_the_network_parameters() -> None:
    supernet = build()
    names = supernet.path_parameter_names(ARCH_A)
    path = supernet.path_state_dict(ARCH_A)
    assert len(names) == len(list(NB201Network(ARCH_A, 10, C, N).parameters()))
    assert names < {k for k, _ in supernet.named_parameters()}
    assert sum(supernet.state_dict()[k].numel() for k in names) == sum(
        p.numel() for p in NB201Network(ARCH_A, 10, C, N).parameters())
    assert len(path) == len(NB201Network(ARCH_A, 10, C, N).state_dict())


def test_bn_affine_false_drops_cell_op_bn_parameters_only() -> None:
    plain, affine = build(bn_affine=False), build()
    extra = {k for k, _ in affine.named_parameters()} - {k for k, _ in plain.named_parameters()}
    assert extra and all(".edges." in k and k.endswith((".2.weight", ".2.bias")) for k in extra)
    assert plain.stem[1].affine and plain.lastact[0].affine


@pytest.mark.parametrize("arch", [(3, 3, 3), [3] * 6, (3, 3, 3, 3, 3, 5), "nor_conv_3x3"])
def test_bad_arch_is_rejected(arch: object) -> None:
    with pytest.raises(InvalidArchitectureError):
        build()(torch.zeros(1, 3, 16, 16), arch)


# ------------------------------------------------------------------------- single-path steps

def test_one_step_updates_exactly_the_path(fixed_run: list[dict]) -> None:
    initial, after = fixed_run[0], fixed_run[1]
    names = build().path_parameter_names(ARCH_A)
    changed = {k for k in initial if not torch.equal(initial[k], after[k])}
    assert {k for k in changed if k in names} == names
    off_path = off_path_keys(initial, ARCH_A)
    assert off_path and not changed & off_path  # neither weights nor BN buffers moved


def test_momentum_does_not_move_ops_off_the_later_path(fixed_run: list[dict]) -> None:
    after_a, after_b = fixed_run[1], fixed_run[2]
    only_a = build().path_parameter_names(ARCH_A) - build().path_parameter_names(ARCH_B)
    assert only_a and all(torch.equal(after_a[k], after_b[k]) for k in only_a)
    assert all(not torch.equal(after_a[k], after_b[k])
               for k in build().path_parameter_names(ARCH_B))


# ---------------------------------------------------------------------------------- samplers

def _class_counts(sampler: ArchSampler, draws: int, classes: list) -> np.ndarray:
    counts = Counter(SPACE.canonical(sampler.sample()) for _ in range(draws))
    assert set(counts) <= set(classes)
    return np.array([counts[c] for c in classes])


def test_deiso_is_uniform_over_classes_and_uniform_is_not() -> None:
    deiso = ArchSampler(SPACE, "deiso", seed=0)
    assert len(deiso.classes) == len({SPACE.canonical(a) for a in SPACE.enumerate()}) == 4930
    assert all(SPACE.canonical(c) == c for c in deiso.classes)
    assert chisquare(_class_counts(deiso, 200_000, deiso.classes)).pvalue > 1e-3
    uniform = _class_counts(ArchSampler(SPACE, "uniform", seed=0), 50_000, deiso.classes)
    assert chisquare(uniform).pvalue < 1e-12


@pytest.mark.parametrize("mode", ["uniform", "deiso"])
def test_sampler_state_resumes_exactly(mode: str) -> None:
    sampler = ArchSampler(SPACE, mode, seed=5)
    [sampler.sample() for _ in range(3)]
    state = sampler.state()
    first = [sampler.sample() for _ in range(5)]
    other = ArchSampler(SPACE, mode, seed=6)
    other.set_state(state)
    assert [other.sample() for _ in range(5)] == first


def test_unknown_sampling_mode() -> None:
    with pytest.raises(InvalidArgumentError, match="deiso"):
        ArchSampler(SPACE, "fair")


# --------------------------------------------------------------------------- checkpointing

def test_killed_training_resumes_bit_identical(tmp_path: Path, one_thread: None) -> None:
    epochs, killed = 40, tmp_path / "killed"
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import test_supernet as t; t.run_training({str(killed)!r}, {epochs})")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list_checkpoints(killed) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate()
    assert 1 <= len(list_checkpoints(killed)) < epochs, stderr.decode()[-2000:]
    resumed = run_training(killed, epochs)
    paths = list_checkpoints(killed)
    assert [p.name for p in paths] == [f"epoch_{e:04d}.pt" for e in range(1, epochs + 1)]
    whole = run_training(tmp_path / "whole", epochs)
    assert_same_state(resumed.state_dict(), whole.state_dict())
    last = read_checkpoint(paths[-1])
    assert last["losses"] == read_checkpoint(tmp_path / "whole" / paths[-1].name)["losses"]
    assert len(last["losses"]) == epochs


def test_finished_run_is_not_trained_again(trained: list[Path], data: TrainingData) -> None:
    stamps = [p.stat().st_mtime_ns for p in trained]
    supernet = build()
    again = train_supernet(supernet, data, RECIPE, ArchSampler(SPACE, "uniform", 0),
                           trained[0].parent)
    assert again == trained and [p.stat().st_mtime_ns for p in again] == stamps
    assert_same_state(supernet.state_dict(), read_checkpoint(trained[-1])["model"])


@pytest.mark.parametrize("change", ["recipe", "mode", "bn_affine", "seed", "data"])
def test_resume_with_other_settings_is_refused(trained: list[Path], data: TrainingData,
                                               change: str) -> None:
    recipe = Recipe(epochs=2, batch_size=16, eval_batch_size=16, lr=0.05) \
        if change == "recipe" else RECIPE
    sampler = ArchSampler(SPACE, "deiso" if change == "mode" else "uniform", 0)
    with pytest.raises(InvalidArgumentError, match="other settings"):
        train_supernet(build(change != "bn_affine"), make_data(48) if change == "data" else data,
                       recipe, sampler, trained[0].parent, seed=int(change == "seed"))


def test_corrupt_checkpoint(tmp_path: Path, data: TrainingData) -> None:
    (tmp_path / "epoch_0001.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CorruptDataError, match="epoch_0001.pt"):
        train_supernet(build(), data, RECIPE, ArchSampler(SPACE), tmp_path)
    torch.save({"model": {}}, tmp_path / "epoch_0001.pt")
    with pytest.raises(CorruptDataError, match="not a supernet checkpoint"):
        read_checkpoint(tmp_path / "epoch_0001.pt")


def test_load_weights_checks_the_shape(trained: list[Path]) -> None:
    with pytest.raises(InvalidArgumentError, match="bn_affine"):
        load_weights(build(bn_affine=False), trained[-1])


# ------------------------------------------------------------------------------- evaluation

ARCHS = [(3, 3, 3, 3, 3, 3), (0, 0, 0, 0, 0, 0), ARCH_A, ARCH_B]


def test_evaluate_archs(trained: list[Path], data: TrainingData) -> None:
    supernet = build()
    load_weights(supernet, trained[-1])
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    accuracy = evaluate_archs(supernet, ARCHS, data, RECIPE)
    loss = evaluate_archs(supernet, ARCHS, data, RECIPE, metric="loss", val_batches=1)
    assert accuracy.shape == loss.shape == (len(ARCHS),)
    assert ((accuracy >= 0) & (accuracy <= 100)).all() and (loss <= 0).all()
    correct = accuracy * len(data.val_labels) / 100
    assert np.allclose(correct, np.round(correct))  # a count of correct images
    assert_same_state(supernet.state_dict(), before)
    assert np.array_equal(evaluate_archs(supernet, ARCHS, data, RECIPE), accuracy)
    with pytest.raises(InvalidArgumentError):
        evaluate_archs(supernet, ARCHS, data, RECIPE, metric="kendall")
    with pytest.raises(InvalidArgumentError):
        evaluate_archs(supernet, ARCHS, data, RECIPE, val_batches=0)


def test_temporal_ensemble_scores_the_weights_averaged_over_the_last_k(
        trained: list[Path], data: TrainingData) -> None:
    states = [read_checkpoint(path)["model"] for path in trained]
    averaged = average_weights(build(), trained).state_dict()
    for key, value in averaged.items():
        if value.is_floating_point():
            assert torch.allclose(value, (states[0][key] + states[1][key]) / 2, atol=1e-7)
        else:  # BN's batch counter: the last checkpoint's
            assert torch.equal(value, states[1][key])
    assert not torch.equal(states[0]["stem.0.weight"], states[1]["stem.0.weight"])
    mean_net = build()
    mean_net.load_state_dict(averaged)
    ensemble = temporal_ensemble(trained, 2, build, ARCHS, data, RECIPE, metric="loss")
    assert np.array_equal(ensemble, evaluate_archs(mean_net, ARCHS, data, RECIPE,
                                                   metric="loss"))
    last = build()
    load_weights(last, trained[1])
    assert np.array_equal(temporal_ensemble(trained, 1, build, ARCHS, data, RECIPE,
                                            metric="loss"),
                          evaluate_archs(last, ARCHS, data, RECIPE, metric="loss"))
    with pytest.raises(InvalidArgumentError):
        temporal_ensemble(trained, 3, build, ARCHS, data, RECIPE)
