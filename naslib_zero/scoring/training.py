"""Train an architecture's model on a dataset and measure it: the trainer behind the training
oracle and the reduced-training estimators.

The data is one split read by the toolkit's readers (``naslib_zero.data.load_split``, so a
user's own folder in the official format works through ``data_dir``), divided once into a
training part and a held-out validation part by a fixed permutation (seed 0): by default 80 %
and 20 % of the training images, as NAS-Bench-201's ``cifar10-valid`` setting holds out half.
A :class:`Recipe` says how to train (NAS-Bench-201's: SGD with Nesterov momentum 0.9, weight
decay 5e-4, learning rate 0.1 on a cosine schedule, random crop with 4-pixel padding and
horizontal flips, gradient clipping at 5) and which EcoNAS reductions to apply: fewer epochs,
fewer training images (``sample_ratio``), a lower input resolution, and space options that
shrink the network (``space_options``, e.g. ``C=4`` for NAS-Bench-201's channels).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from naslib_zero.core.errors import InvalidArgumentError
from naslib_zero.core.progress import progress
from naslib_zero.data import DATASETS, load_split, resolve_dataset


@dataclass(frozen=True)
class Recipe:
    """How an architecture is trained and evaluated; every field enters the cache key."""

    epochs: int = 2
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float | None = 5.0
    augment: bool = True
    resolution: int | None = None  # train and evaluate at this input size (None: native)
    sample_ratio: float = 1.0  # fraction of the training part used (EcoNAS' sample ratio)
    space_options: tuple[tuple[str, object], ...] = ()  # e.g. (("C", 4),): a narrower net
    eval_batch_size: int = 256

    def __post_init__(self) -> None:
        checks = [(self.epochs >= 1, "epochs must be >= 1"),
                  (self.batch_size >= 1, "batch_size must be >= 1"),
                  (self.lr > 0, "lr must be > 0"),
                  (0 < self.sample_ratio <= 1, "sample_ratio must be in (0, 1]"),
                  (self.resolution is None or self.resolution >= 4,
                   "resolution must be >= 4 pixels"),
                  (self.eval_batch_size >= 1, "eval_batch_size must be >= 1")]
        for ok, message in checks:
            if not ok:
                raise InvalidArgumentError(f"training recipe: {message}, got {self}")
        object.__setattr__(self, "space_options", tuple(sorted(dict(self.space_options).items())))

    def key(self) -> str:
        """A short hash of the recipe, for cache keys."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class TrainingData:
    """A dataset's training and validation parts as uint8 NCHW tensors, with a fingerprint
    (sha256 of the dataset name, the split sizes and every image and label byte)."""

    dataset: str
    num_classes: int
    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    mean: torch.Tensor = field(repr=False)
    std: torch.Tensor = field(repr=False)
    fingerprint: str = ""

    def __post_init__(self) -> None:
        digest = hashlib.sha256(f"{self.dataset}:{len(self.train_labels)}:"
                                f"{len(self.val_labels)}".encode())
        for tensor in (self.train_images, self.train_labels, self.val_images, self.val_labels):
            digest.update(tensor.numpy().tobytes())
        object.__setattr__(self, "fingerprint", digest.hexdigest()[:16])


def load_training_data(dataset: str = "cifar10", data_dir: str | Path | None = None, *,
                       val_fraction: float = 0.2, split: str = "train") -> TrainingData:
    """``split`` of ``dataset`` divided into training and validation parts by a fixed
    permutation (seed 0); ``val_fraction`` of the images are held out."""
    if not 0 < val_fraction < 1:
        raise InvalidArgumentError(f"val_fraction must be in (0, 1), got {val_fraction}")
    name = resolve_dataset(dataset)
    images, labels = load_split(name, split, data_dir)
    order = np.random.RandomState(0).permutation(len(labels))
    n_val = int(round(val_fraction * len(labels)))
    if n_val < 1 or n_val >= len(labels):
        raise InvalidArgumentError(
            f"{name} {split} has {len(labels)} images: too few to hold out {val_fraction}")
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    info = DATASETS[name]
    return TrainingData(
        name, info.num_classes,
        torch.from_numpy(images[train]), torch.from_numpy(labels[train]).long(),
        torch.from_numpy(images[val]), torch.from_numpy(labels[val]).long(),
        torch.tensor(info.mean).view(1, 3, 1, 1), torch.tensor(info.std).view(1, 3, 1, 1))


def prepare(images: torch.Tensor, data: TrainingData, recipe: Recipe,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """uint8 images -> normalised float inputs; with ``generator``, the recipe's augmentation
    (random crop from a 4-pixel zero padding, horizontal flip); resized to the recipe's
    resolution (bilinear with antialiasing)."""
    x = images.float().div_(255)
    if generator is not None and recipe.augment:
        n, _, h, w = x.shape
        padded = F.pad(x, (4, 4, 4, 4))
        dy, dx = torch.randint(0, 9, (2, n), generator=generator).tolist()
        x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
        flip = torch.rand(n, generator=generator) < 0.5
        x[flip] = x[flip].flip(-1)
    x = (x - data.mean) / data.std
    if recipe.resolution is not None and recipe.resolution != x.shape[-1]:
        x = F.interpolate(x, size=(recipe.resolution, recipe.resolution), mode="bilinear",
                          align_corners=False, antialias=True)
    return x


@dataclass(frozen=True)
class TrainResult:
    """What training one architecture gave: validation accuracy (%) and loss after the last
    epoch, the mean training loss of each epoch, the wall time and the images seen."""

    val_accuracy: float
    val_loss: float
    train_losses: tuple[float, ...]
    seconds: float
    images_seen: int


@torch.no_grad()
def evaluate_model(model: nn.Module, data: TrainingData, recipe: Recipe,
                   device: torch.device | str = "cpu") -> tuple[float, float]:
    """(accuracy in %, mean cross-entropy) of ``model`` in eval mode on the validation part."""
    model.eval()
    correct, loss = 0, 0.0
    for start in range(0, len(data.val_labels), recipe.eval_batch_size):
        end = start + recipe.eval_batch_size
        x = prepare(data.val_images[start:end], data, recipe).to(device)
        y = data.val_labels[start:end].to(device)
        logits = model(x)
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    n = len(data.val_labels)
    return 100.0 * correct / n, loss / n


def training_subset(data: TrainingData, recipe: Recipe) -> int:
    """How many training images the recipe uses (the first ones of the training part)."""
    return max(1, math.ceil(recipe.sample_ratio * len(data.train_labels)))


def sgd(parameters, recipe: Recipe, n: int) -> tuple[torch.optim.Optimizer,
                                                     torch.optim.lr_scheduler.LRScheduler]:
    """The recipe's SGD and its per-step cosine schedule over all epochs of ``n`` images."""
    optimizer = torch.optim.SGD(parameters, lr=recipe.lr, momentum=recipe.momentum,
                                nesterov=recipe.nesterov, weight_decay=recipe.weight_decay)
    steps = recipe.epochs * math.ceil(n / recipe.batch_size)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)


def train_epoch(forward: Callable[[torch.Tensor], torch.Tensor], model: nn.Module,
                data: TrainingData, recipe: Recipe, optimizer: torch.optim.Optimizer,
                schedule: torch.optim.lr_scheduler.LRScheduler, generator: torch.Generator,
                n: int, device: torch.device | str) -> float:
    """One epoch over the first ``n`` training images in ``generator``'s order; ``forward``
    maps inputs to logits (a supernet: one sampled path per minibatch). Gradients are set to
    None before each step, so parameters ``forward`` did not use are left untouched (SGD,
    momentum and weight decay skip them). Returns the mean loss, or inf when the loss becomes
    NaN or infinite (the epoch stops there)."""
    model.train()
    total = 0.0
    for batch in torch.randperm(n, generator=generator).split(recipe.batch_size):
        x = prepare(data.train_images[batch], data, recipe, generator).to(device)
        loss = F.cross_entropy(forward(x), data.train_labels[batch].to(device))
        if not torch.isfinite(loss):
            return math.inf
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if recipe.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        optimizer.step()
        schedule.step()
        total += loss.item() * len(batch)
    return total / n


def train_model(model: nn.Module, data: TrainingData, recipe: Recipe, *, seed: int = 0,
                device: torch.device | str = "cpu", show_progress: bool = False) -> TrainResult:
    """Train ``model`` in place by ``recipe`` (data order and augmentation from ``seed``) and
    evaluate it on the validation part. A loss that becomes NaN or infinite stops training;
    the result then reports accuracy 0 and an infinite loss (a diverged network)."""
    start = time.perf_counter()
    model.to(device)
    n = training_subset(data, recipe)
    optimizer, schedule = sgd(model.parameters(), recipe, n)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    epochs = range(recipe.epochs)
    for _ in progress(epochs, desc="training") if show_progress else epochs:
        losses.append(train_epoch(model, model, data, recipe, optimizer, schedule, generator,
                                  n, device))
        if math.isinf(losses[-1]):
            return TrainResult(0.0, math.inf, tuple(losses), time.perf_counter() - start,
                               len(losses) * n)
    accuracy, val_loss = evaluate_model(model, data, recipe, device)
    return TrainResult(accuracy, val_loss, tuple(losses), time.perf_counter() - start,
                       recipe.epochs * n)
