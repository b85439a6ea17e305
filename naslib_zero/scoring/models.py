"""The space's network for an architecture, seeded, on the dataset a batch belongs to."""

from __future__ import annotations

import torch

from naslib_zero.core.errors import InvalidArgumentError
from naslib_zero.data import Batch
from search_spaces.base import SYNTHETIC, Arch, DatasetSpec, SearchSpace


def batch_dataset(space: SearchSpace, batch: Batch) -> DatasetSpec:
    """The space's dataset that ``batch`` belongs to (synthetic inputs: the batch's own shape
    and classes); InvalidArgumentError if the batch does not fit the space's model."""
    shape = tuple(batch.inputs.shape[1:])
    if batch.dataset == SYNTHETIC:
        return DatasetSpec(SYNTHETIC, shape, batch.num_classes)
    spec = space.dataset(batch.dataset)
    if (spec.input_shape, spec.num_classes) != (shape, batch.num_classes):
        raise InvalidArgumentError(
            f"{space.name} models for {spec.name} take inputs of shape {spec.input_shape} with "
            f"{spec.num_classes} classes; the batch has {shape} and {batch.num_classes}")
    return spec


def build_model(space: SearchSpace, arch: Arch, dataset: str | DatasetSpec | Batch | None = None,
                seed: int = 0) -> torch.nn.Module:
    """The space's model for ``arch`` on ``dataset`` (a name, a spec, or the batch it will
    see; None: the space's default), initialised from ``seed`` without touching global RNG."""
    if isinstance(dataset, Batch):
        dataset = batch_dataset(space, dataset)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return space.to_model(arch, dataset)
