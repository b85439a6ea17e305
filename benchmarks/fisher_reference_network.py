"""Why fisher ranks differently from the reference: the network, not the formula.

The reference implementation scores NB201 with its own network, whose cell convolutions carry a
bias (``bias=not affine`` with affine-free BN in the cells). Fisher multiplies each layer's
output by its gradient, so a convolution fed by an all-zero node still contributes through its
bias and a zero-variance BN. This script scores fisher on the first ``--archs`` protocol
architectures twice -- on the benchmark's network (no conv bias, as the benchmark's parameter
counts require) and on a copy whose cell convolutions get a default-initialised bias -- and
prints both rank correlations with CIFAR-10 test accuracy.

    python benchmarks/fisher_reference_network.py --archs 200 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
import torch.nn as nn

from naslib_zero.metrics import spearman
from naslib_zero.proxies import compute
from naslib_zero.scoring import BatchSettings, build_model, load_batches
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.nb201_model import InferCell


def with_cell_conv_bias(model: nn.Module, seed: int) -> nn.Module:
    """``model`` with a bias (PyTorch's default init, seeded) on every cell convolution."""
    generator = torch.Generator().manual_seed(seed)
    for cell in (m for m in model.modules() if isinstance(m, InferCell)):
        for conv in (m for m in cell.modules() if isinstance(m, nn.Conv2d)):
            bound = 1 / conv.weight[0].numel() ** 0.5
            conv.bias = nn.Parameter((torch.rand(conv.out_channels, generator=generator) * 2 - 1)
                                     * bound)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=200)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    space = get_space("nb201")
    indices = np.random.RandomState(0).choice(space.size(), 1000, replace=False)[:args.archs]
    batch, _ = load_batches(BatchSettings("cifar10", 64), args.data_dir)
    plain, biased = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in indices:
            arch = space.from_index(int(i))
            model = build_model(space, arch, 10, seed=0)
            plain.append(compute(model, batch.inputs, batch.targets, "fisher")["fisher"])
            model = with_cell_conv_bias(model, seed=int(i))
            biased.append(compute(model, batch.inputs, batch.targets, "fisher")["fisher"])
    accuracy = load_ground_truth("nb201", "cifar10", "test", data_dir=args.data_dir)\
        .lookup_many(indices)
    print(f"fisher, {args.archs} protocol architectures, Spearman with CIFAR-10 test accuracy:")
    print(f"  benchmark network (no conv bias):       {spearman(plain, accuracy):.3f}")
    print(f"  reference-style cells (conv with bias):  {spearman(biased, accuracy):.3f}")


if __name__ == "__main__":
    main()
