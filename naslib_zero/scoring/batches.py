"""Which minibatches the proxies see, and the key of everything besides the batch content
that can change one proxy's score."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from naslib_zero.data import Batch, default_split, get_batch, synthetic_batch
from naslib_zero.engine.registry import get_proxy
from search_spaces.base import SYNTHETIC, DatasetSpec


@dataclass(frozen=True)
class BatchSettings:
    """Which minibatch the proxies see. ``data_seed=None``: the first images of the split;
    ``split=None``: the dataset's default (:func:`naslib_zero.data.default_split`)."""

    dataset: str = "cifar10"
    batch_size: int = 64
    data_seed: int | None = None
    balanced: bool = False
    split: str | None = None

    def __post_init__(self) -> None:
        if self.split is None:  # resolved here, so cache keys name the split read
            object.__setattr__(self, "split", default_split(self.dataset))


def load_batches(settings: BatchSettings, data_dir: str | Path | None = None,
                 dataset: DatasetSpec | None = None) -> tuple[Batch, Batch]:
    """The scoring batch and a second, disjoint one of the same size (ZiCo's second batch).

    ``settings.dataset == "synthetic"``: Gaussian inputs of ``dataset``'s input shape and
    classes (default (3, 32, 32), 10), seeds ``data_seed`` (default 0) and ``data_seed + 1``.
    """
    if settings.dataset == SYNTHETIC:
        shape, classes = (dataset.input_shape, dataset.num_classes) if dataset else \
            ((3, 32, 32), 10)
        seed = settings.data_seed or 0
        return tuple(synthetic_batch("gaussian", settings.batch_size, shape, classes, s)
                     for s in (seed, seed + 1))  # type: ignore[return-value]
    both = get_batch(settings.dataset, settings.split, 2 * settings.batch_size,
                     seed=settings.data_seed, balanced=settings.balanced, data_dir=data_dir)
    n = settings.batch_size
    first = Batch(both.inputs[:n].contiguous(), both.targets[:n].contiguous(),
                  both.dataset, both.num_classes)
    second = Batch(both.inputs[n:].contiguous(), both.targets[n:].contiguous(),
                   both.dataset, both.num_classes)
    return first, second


def settings_key(settings: BatchSettings, proxy: str,
                 device: torch.device | None = None) -> str:
    """Hash of everything besides the batch content that can change one proxy's score.

    The device type enters the hash only when it is not the CPU (floating-point results differ
    slightly between devices), so CPU scores keep the keys they have always had.
    """
    return _hash({"batch": asdict(settings), "proxy": proxy,
                  "settings": get_proxy(proxy).settings()}, device)


def verdict_key(settings: BatchSettings, device: torch.device | None = None) -> str:
    """Key of the engine's verdict whether a network's output depends on its input
    (:class:`naslib_zero.engine.Scores`), cached beside the proxy values it vouches for."""
    return _hash({"batch": asdict(settings), "verdict": "input_dependent"}, device)


def _hash(payload: dict, device: torch.device | None) -> str:
    if device is not None and device.type != "cpu":
        payload["device"] = device.type
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
