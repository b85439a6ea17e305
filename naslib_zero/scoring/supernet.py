"""A weight-sharing one-shot supernet for NAS-Bench-201, its training and one-shot evaluation.

The supernet is NB201's macro skeleton (stem, three stages of N cells with C, 2C and 4C channels
joined by residual blocks, final BN-ReLU, global pooling, linear classifier) in which every edge
of every cell holds all candidate ops at once; ``forward(x, arch)`` runs only the op ``arch``
picks on each edge (its *path*), so each of the 15,625 cells is a sub-network sharing weights
with the others. With ``bn_affine=True`` a path computes exactly the function of
``NB201Network(arch)`` holding the same weights (:meth:`NB201Supernet.path_state_dict`);
``bn_affine=False`` drops the learnable scale and shift of the BNs inside the cell ops (stem,
residual blocks and the final BN stay affine), one of the supernet options of the study.

Training is single-path: each minibatch samples one cell by an :class:`ArchSampler`, either
``"uniform"`` over all cells or ``"deiso"`` (de-isomorphic: uniform over the classes of cells
computing the same function, ``space.canonical``, taking the class representative), and
updates only the weights on its path. A checkpoint is written after every epoch (atomically);
a run that was stopped resumes from the latest one and, on CPU, ends bit-identical to an
uninterrupted run. One-shot evaluation scores an architecture by its path's validation accuracy
or loss with BN in train mode (batch statistics); a temporal ensemble scores the supernet whose
weights are the average of the last k checkpoints' (the study's temporal weight ensemble).

Reference: X. Ning et al., "Evaluating Efficient Performance Estimators of Neural
Architectures", NeurIPS 2021.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from naslib_zero.core.errors import CorruptDataError, InvalidArgumentError
from naslib_zero.core.progress import progress
from naslib_zero.scoring.training import (
    Recipe,
    TrainingData,
    prepare,
    sgd,
    train_epoch,
    training_subset,
)
from search_spaces.base import SearchSpace
from search_spaces.nb201 import EDGES, OPS, Arch, NB201Space
from search_spaces.nb201_model import ReLUConvBN, ResNetBasicblock

SAMPLING_MODES = ("uniform", "deiso")
METRICS = ("accuracy", "loss")
_SPACE = NB201Space()
_PROGRESS_MIN_ARCHS = 100
_CHECKPOINT_KEYS = ("epoch", "settings", "model", "optimizer", "scheduler", "sampler",
                    "generator", "losses")


def _candidate(name: str, channels: int, bn_affine: bool) -> nn.Module:
    """One candidate op of an edge (``none`` has no module: the edge is skipped)."""
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    op = ReLUConvBN(channels, channels, 1 if name == "nor_conv_1x1" else 3)
    if not bn_affine:
        op.op[2] = nn.BatchNorm2d(channels, affine=False)
    return op


class SharedCell(nn.Module):
    """An NB201 cell whose every edge holds all candidate ops, keyed by op name."""

    def __init__(self, channels: int, bn_affine: bool) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            nn.ModuleDict({name: _candidate(name, channels, bn_affine)
                           for name in OPS if name != "none"})
            for _ in EDGES)

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        nodes = [x]
        for dst in range(1, 4):
            terms = [self.edges[e][OPS[op]](nodes[src])
                     for e, ((src, d), op) in enumerate(zip(EDGES, arch))
                     if d == dst and OPS[op] != "none"]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class NB201Supernet(nn.Module):
    """The NB201 one-shot supernet; ``forward(x, arch)`` runs the path of ``arch``."""

    def __init__(self, num_classes: int = 10, C: int = 16, N: int = 5,  # noqa: N803
                 bn_affine: bool = True) -> None:
        super().__init__()
        for name, value in (("num_classes", num_classes), ("C", C), ("N", N)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(f"supernet: {name} must be a positive int, "
                                           f"got {value!r}")
        self.num_classes, self.C, self.N, self.bn_affine = num_classes, C, N, bool(bn_affine)
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells: list[nn.Module] = []
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage:
                cells.append(ResNetBasicblock(channels // 2, channels))
            cells += [SharedCell(channels, self.bn_affine) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * C, num_classes)

    def settings(self) -> dict[str, Any]:
        """What fixes the supernet's shape (stored in checkpoints)."""
        return {"num_classes": self.num_classes, "C": self.C, "N": self.N,
                "bn_affine": self.bn_affine}

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        arch = tuple(_SPACE.to_decisions(arch))
        if x.dim() != 4 or x.shape[1] != 3:
            raise InvalidArgumentError(f"expected input of shape (B, 3, H, W), "
                                       f"got {tuple(x.shape)}")
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, arch) if isinstance(cell, SharedCell) else cell(x)
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))

    def path_state_dict(self, arch: Arch) -> dict[str, torch.Tensor]:
        """The weights and buffers ``arch``'s path uses, under ``NB201Network``'s key names
        (``cells.i.edges.e.<op>.*`` becomes ``cells.i.layers.e.*``); with ``bn_affine=True``
        it loads strictly into ``NB201Network(arch, num_classes, C, N)``."""
        arch = tuple(_SPACE.to_decisions(arch))
        return {_network_key(key): value for key, value in self.state_dict().items()
                if _on_path(key, arch)}

    def path_parameter_names(self, arch: Arch) -> set[str]:
        """Names (in this supernet) of the parameters that ``arch``'s path uses."""
        arch = tuple(_SPACE.to_decisions(arch))
        return {name for name, _ in self.named_parameters() if _on_path(name, arch)}


def _on_path(key: str, arch: Arch) -> bool:
    """Whether a supernet state key belongs to ``arch``'s path (keys outside cells do)."""
    parts = key.split(".")
    return not (len(parts) > 4 and parts[2] == "edges") or OPS[arch[int(parts[3])]] == parts[4]


def _network_key(key: str) -> str:
    """A supernet state key under ``NB201Network``'s name (``cells.i.layers.e.*``)."""
    parts = key.split(".")
    if len(parts) > 4 and parts[2] == "edges":
        return ".".join([*parts[:2], "layers", parts[3], *parts[5:]])
    return key


class ArchSampler:
    """Draws the cells a supernet trains: ``"uniform"`` over the space (``space.sample``) or
    ``"deiso"``, uniform over the classes of ``space.canonical`` (returning representatives)."""

    def __init__(self, space: SearchSpace, mode: str = "uniform", seed: int = 0) -> None:
        if mode not in SAMPLING_MODES:
            raise InvalidArgumentError(f"unknown sampling mode {mode!r}; "
                                       f"expected one of {', '.join(SAMPLING_MODES)}")
        self.space, self.mode = space, mode
        self.rng = np.random.default_rng(seed)
        self.classes: list[Arch] = (
            list(dict.fromkeys(space.canonical(a) for a in space.enumerate()))
            if mode == "deiso" else [])

    def sample(self) -> Arch:
        """One architecture."""
        if self.mode == "deiso":
            return self.classes[int(self.rng.integers(len(self.classes)))]
        return self.space.sample(self.rng)

    def state(self) -> dict[str, Any]:
        """The random generator's state (for exact resume)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state`."""
        self.rng.bit_generator.state = state


# ------------------------------------------------------------------------------ checkpoints

def _run_settings(supernet: NB201Supernet, data: TrainingData, recipe: Recipe,
                  sampler: ArchSampler, seed: int) -> dict[str, Any]:
    return {**supernet.settings(), "recipe": recipe.key(), "sampling": sampler.mode,
            "data": data.fingerprint, "seed": seed}


def _checkpoint_path(directory: Path, epoch: int) -> Path:
    return directory / f"epoch_{epoch:04d}.pt"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """The epoch checkpoints (``epoch_0001.pt``, ...) in ``directory``, in epoch order."""
    return sorted(Path(directory).glob("epoch_[0-9][0-9][0-9][0-9].pt"))


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint's contents (on CPU); CorruptDataError if it cannot be read."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any failure means an unreadable file
        raise CorruptDataError(f"cannot read supernet checkpoint {path}: {error}") from error
    missing = [k for k in _CHECKPOINT_KEYS if k not in state] if isinstance(state, dict) else []
    if not isinstance(state, dict) or missing:
        raise CorruptDataError(f"{path} is not a supernet checkpoint (missing {missing})")
    return state


def _write_atomic(state: dict[str, Any], path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check_settings(found: dict[str, Any], expected: dict[str, Any], path: Path) -> None:
    differ = {k: (found.get(k), v) for k, v in expected.items() if found.get(k) != v}
    if differ:
        shown = ", ".join(f"{k}: {old!r} there, {new!r} now" for k, (old, new) in differ.items())
        raise InvalidArgumentError(f"{path} was written with other settings ({shown}); "
                                   "use another checkpoint folder")


def load_weights(supernet: NB201Supernet, path: str | Path) -> dict[str, Any]:
    """Load a checkpoint's weights into ``supernet`` (its shape must match); returns the
    checkpoint."""
    path = Path(path)
    state = read_checkpoint(path)
    _check_settings(state["settings"], supernet.settings(), path)
    supernet.load_state_dict(state["model"])
    return state


# ------------------------------------------------------------------------------- training

def train_supernet(supernet: NB201Supernet, data: TrainingData, recipe: Recipe,
                   sampler: ArchSampler, checkpoint_dir: str | Path, *, seed: int = 0,
                   device: torch.device | str = "cpu", show_progress: bool = False
                   ) -> list[Path]:
    """Single-path training of ``supernet`` in place: one cell from ``sampler`` per minibatch,
    SGD by ``recipe`` on a per-step cosine schedule over all epochs, data order and
    augmentation from ``seed``. Saves ``checkpoint_dir/epoch_0001.pt`` (and so on) after
    every epoch and resumes from the latest one found there (InvalidArgumentError if written
    with other settings). Returns the checkpoint paths in epoch order."""
    directory = Path(checkpoint_dir)
    directory.mkdir(parents=True, exist_ok=True)
    settings = _run_settings(supernet, data, recipe, sampler, seed)
    supernet.to(device)
    n = training_subset(data, recipe)
    optimizer, schedule = sgd(supernet.parameters(), recipe, n)
    generator = torch.Generator().manual_seed(seed)
    start, losses = 0, []
    existing = list_checkpoints(directory)
    if existing:
        state = read_checkpoint(existing[-1])
        _check_settings(state["settings"], settings, existing[-1])
        supernet.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["scheduler"])
        sampler.set_state(state["sampler"])
        generator.set_state(state["generator"])
        start, losses = state["epoch"], list(state["losses"])
    epochs = range(start + 1, recipe.epochs + 1)
    for epoch in progress(epochs, desc="supernet training") if show_progress else epochs:
        losses.append(train_epoch(lambda x: supernet(x, sampler.sample()), supernet, data,
                                  recipe, optimizer, schedule, generator, n, device))
        if math.isinf(losses[-1]):
            raise InvalidArgumentError(f"supernet training diverged in epoch {epoch} (the loss "
                                       f"became NaN or infinite); try a lower learning rate "
                                       f"than {recipe.lr}")
        _write_atomic({"epoch": epoch, "settings": settings, "model": supernet.state_dict(),
                       "optimizer": optimizer.state_dict(), "scheduler": schedule.state_dict(),
                       "sampler": sampler.state(), "generator": generator.get_state(),
                       "losses": losses}, _checkpoint_path(directory, epoch))
    return list_checkpoints(directory)


# ----------------------------------------------------------------------------- evaluation

def _val_batches(data: TrainingData, recipe: Recipe, val_batches: int | None,
                 device: torch.device | str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if val_batches is not None and (isinstance(val_batches, bool) or val_batches < 1):
        raise InvalidArgumentError(f"val_batches must be >= 1 or None, got {val_batches!r}")
    size = recipe.eval_batch_size
    starts = list(range(0, len(data.val_labels), size))[:val_batches]
    return [(prepare(data.val_images[s:s + size], data, recipe).to(device),
             data.val_labels[s:s + size].to(device)) for s in starts]


@torch.no_grad()
def evaluate_archs(supernet: NB201Supernet, archs: Sequence[Arch], data: TrainingData,
                   recipe: Recipe, *, val_batches: int | None = None, metric: str = "accuracy",
                   device: torch.device | str = "cpu") -> np.ndarray:
    """One-shot score of each arch: its path on the first ``val_batches`` validation batches
    (None: all) with BN in train mode (batch statistics), run on a copy so the supernet's BN
    buffers stay as they are. ``metric``: ``"accuracy"`` (%) or ``"loss"`` (negative mean
    cross-entropy); higher is better for both."""
    if metric not in METRICS:
        raise InvalidArgumentError(f"unknown one-shot metric {metric!r}; "
                                   f"expected one of {', '.join(METRICS)}")
    batches = _val_batches(data, recipe, val_batches, device)
    model = copy.deepcopy(supernet).to(device).train()
    count = sum(len(y) for _, y in batches)
    items = (progress(archs, total=len(archs), desc="one-shot evaluation")
             if len(archs) >= _PROGRESS_MIN_ARCHS else archs)
    scores = []
    for arch in items:
        correct, loss = 0, 0.0
        for x, y in batches:
            logits = model(x, arch)
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
        scores.append(100.0 * correct / count if metric == "accuracy" else -loss / count)
    return np.array(scores, dtype=np.float64)


def average_weights(supernet: NB201Supernet, checkpoints: Sequence[str | Path]) -> NB201Supernet:
    """Load into ``supernet`` the element-wise mean of the weights and floating buffers of
    ``checkpoints`` (integer buffers, BN's batch counters, from the last one); returns it."""
    if not checkpoints:
        raise InvalidArgumentError("average_weights needs at least one checkpoint")
    states = []
    for path in checkpoints:
        load_weights(supernet, path)  # checks each checkpoint's settings against the supernet
        states.append({k: v.clone() for k, v in supernet.state_dict().items()})
    supernet.load_state_dict({
        key: torch.stack([s[key] for s in states]).mean(0) if value.is_floating_point()
        else value for key, value in states[-1].items()})
    return supernet


def temporal_ensemble(checkpoints: Sequence[str | Path], k: int,
                      build: Callable[[], NB201Supernet], archs: Sequence[Arch],
                      data: TrainingData, recipe: Recipe, **eval_kwargs: Any) -> np.ndarray:
    """:func:`evaluate_archs` on a supernet from ``build()`` holding the weights averaged over
    the last ``k`` of ``checkpoints`` (in epoch order): the study's temporal ensemble, a
    temporal average of the supernet's weights (Guo et al., ECCV 2020), scored once."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(checkpoints):
        raise InvalidArgumentError(f"k must be an int in 1..{len(checkpoints)} "
                                   f"(the number of checkpoints), got {k!r}")
    supernet = average_weights(build(), checkpoints[-k:])
    return evaluate_archs(supernet, archs, data, recipe, **eval_kwargs)
