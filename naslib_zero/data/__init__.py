"""Datasets and minibatches: CIFAR-10/100, ImageNet16-120 and ImageNet readers, synthetic inputs.

The readers live in :mod:`naslib_zero.data.datasets` (ImageNet JPEGs in
:mod:`naslib_zero.data.imagenet`); this package re-exports their public names.
"""

from naslib_zero.data.datasets import (
    DATASETS,
    IMAGENET,
    SYNTHETIC,
    SYNTHETIC_KINDS,
    Archive,
    Batch,
    DatasetInfo,
    default_split,
    download,
    get_batch,
    load_split,
    normalize,
    resolve_dataset,
    synthetic_batch,
)

__all__ = ["DATASETS", "IMAGENET", "SYNTHETIC", "SYNTHETIC_KINDS", "Archive", "Batch",
           "DatasetInfo", "default_split", "download", "get_batch", "load_split", "normalize",
           "resolve_dataset", "synthetic_batch"]
