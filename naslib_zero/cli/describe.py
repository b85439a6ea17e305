"""``spaces``, ``estimators`` and ``info``: what the toolkit holds, and one architecture."""

from __future__ import annotations

import argparse

from naslib_zero.cli.options import add_space_argument, command, parse_arch
from naslib_zero.core.errors import DataNotFoundError


@command("spaces", "list the registered search spaces: size, datasets, benchmarks")
def run_spaces(args: argparse.Namespace) -> None:
    from search_spaces import get_space, list_spaces

    for name in list_spaces():
        space = get_space(name)
        size = space.size()
        datasets = ",".join(d.name for d in space.datasets)
        benchmarks = ",".join(space.benchmarks()) or "-"
        print(f"{name}\t{size if size is not None else 'unbounded'} architectures\t"
              f"datasets {datasets}\tbenchmarks {benchmarks}")


@command("estimators", "list the zero-cost proxies and the estimators that train")
def run_estimators(args: argparse.Namespace) -> None:
    from naslib_zero.engine.registry import get_proxy, list_proxies
    from naslib_zero.scoring.estimators import get_estimator, list_estimators

    for name in list_proxies():
        print(f"{name}\tzero-cost proxy\t{get_proxy(name).reference}")
    for name in list_estimators():
        estimator = get_estimator(name)
        print(f"{name}\t{type(estimator).__name__}\t{estimator.description}")


def setup_info(parser: argparse.ArgumentParser) -> None:
    add_space_argument(parser)
    parser.add_argument("--arch", required=True,
                        help="architecture string, or an integer index in the official order")
    parser.add_argument("--dataset", default=None,
                        help="dataset whose model is counted (default: the space's first)")


@command("info", "describe one architecture: canonical form, index, size, accuracies", setup_info)
def run_info(args: argparse.Namespace) -> None:
    from naslib_zero.core.errors import InvalidArchitectureError
    from naslib_zero.tables import list_tables, load_ground_truth
    from search_spaces import get_space

    space = get_space(args.space)
    arch = parse_arch(space, args.arch)
    dataset = space.dataset(args.dataset)
    model = space.to_model(arch, dataset)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"arch       {space.to_str(arch)}")
    print(f"canonical  {space.to_str(space.canonical(arch))}")
    print(f"key        {space.key(arch)}")
    if space.indexable:
        print(f"index      {space.index(arch)}")
    print(f"params     {params / 1e6:.6f} M ({dataset.name}, {dataset.num_classes} classes)")
    tables = list_tables(space.name)
    several = len({t.benchmark for t in tables}) > 1
    for info in tables:
        label = f"{info.metric:<5} {info.dataset:<15}" + (f" {info.benchmark:<12}" * several)
        try:
            table = load_ground_truth(space.name, info.dataset, info.metric,
                                      data_dir=args.data_dir, benchmark=info.benchmark)
            value = table.lookup(space.key(arch))
        except DataNotFoundError:
            print(f"{label} (not found: {info.file} under the data folder)")
            continue
        except InvalidArchitectureError:
            print(f"{label} (not in this table)")
            continue
        print(f"{label} {value:.4f} {info.unit}")
