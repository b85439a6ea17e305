"""Why fisher ranks differently from the reference: the network, not the formula.

The reference implementation scores NB201 with its own network, whose cell convolutions carry a
bias (``bias=not affine`` with affine-free BN in the cells). Fisher multiplies each layer's
output by its gradient, so a convolution fed by an all-zero node still contributes through its
bias and a zero-variance BN. This script scores fisher on the first ``--archs`` protocol
architectures twice -- on the benchmark's network (no conv bias, as the benchmark's parameter
counts require) and on a copy whose cell convolutions get a default-initialised bias -- and
prints both rank correlations with CIFAR-10 test accuracy.

    python benchmarks/fisher_reference_network.py --archs 1000 --data-dir ../shared/data \\
        --scores runs/quality_cifar10.csv
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
import torch.nn as nn

from naslib_zero.analysis.evaluation import read_scores
from naslib_zero.analysis.metrics import spearman
from naslib_zero.proxies import compute
from naslib_zero.scoring import (
    BatchSettings,
    build_model,
    load_batches,
    score_architectures,
)
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
    parser.add_argument("--scores", default=None,
                        help="score CSV of the quality run (proxy_quality.py): its fisher "
                             "values of the benchmark network are reused, not recomputed")
    args = parser.parse_args()
    space = get_space("nb201")
    indices = np.random.RandomState(0).choice(space.size(), 1000, replace=False)[:args.archs]
    archs = [space.from_index(int(i)) for i in indices]
    batch, second = load_batches(BatchSettings("cifar10", 64), args.data_dir)
    if args.scores:
        names, table = read_scores(args.scores)
        plain = dict(zip(names, table["fisher"]))
        plain = [plain[space.to_str(a)] for a in archs]
    else:
        plain = score_architectures(space, archs, "fisher", batch, second_batch=second,
                                    show_progress=False).scores["fisher"]
    biased = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, arch in zip(indices, archs):
            model = with_cell_conv_bias(build_model(space, arch, "cifar10", seed=0), seed=int(i))
            biased.append(compute(model, batch.inputs, batch.targets, "fisher")["fisher"])
    accuracy = load_ground_truth("nb201", "cifar10", "test", data_dir=args.data_dir)\
        .lookup_many(indices)
    print(f"fisher, {args.archs} protocol architectures, Spearman with CIFAR-10 test accuracy:")
    print(f"  benchmark network (no conv bias):       {spearman(plain, accuracy):.3f}")
    print(f"  reference-style cells (conv with bias):  {spearman(biased, accuracy):.3f}")


if __name__ == "__main__":
    main()
