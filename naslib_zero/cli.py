"""The ``naslib-zero`` command line.

Each sub-command is a function decorated with :func:`command`, which records its name, help
text and argument setup. ``main`` parses, runs the command, and turns the toolkit's own errors
(:class:`~naslib_zero.errors.NaslibZeroError`) into one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from naslib_zero import __version__, progress
from naslib_zero.errors import DataNotFoundError, NaslibZeroError
from naslib_zero.executors import add_executor_arguments, executor_from_args

Handler = Callable[[argparse.Namespace], int | None]
Setup = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Setup
    run: Handler


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, setup: Setup = lambda parser: None):
    """Register the decorated function as the sub-command ``name``."""

    def wrap(run: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, setup, run)
        return run

    return wrap


def add_space_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--space", default="nb201",
                        help="search space name, see 'naslib-zero spaces', with options as "
                             "name:key=value,... e.g. nb301:preset=naslib (default: nb201)")


def add_benchmark_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--benchmark", default=None,
                        help=f"benchmark table {what} (default: the space's first)")
    parser.add_argument("--metric", default=None,
                        help="benchmark metric, e.g. test or val (default: the benchmark's first)")


def add_execution_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    add_executor_arguments(parser, what)
    parser.add_argument("--device", default="cpu",
                        help="where proxies run: cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--cache", default=None,
                        help="SQLite score cache (default: $NASLIB_ZERO_CACHE, else "
                             "scores.sqlite in the user cache folder)")


def parse_arch(space, text: str):
    """An architecture from its string form, or from an integer index in an indexable space."""
    text = text.strip()
    if text.isdigit() and space.indexable:
        return space.from_index(int(text))
    return space.from_str(text)


# --------------------------------------------------------------------------------- commands


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
    from naslib_zero.estimators import get_estimator, list_estimators
    from naslib_zero.proxies.registry import get_proxy, list_proxies

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
    from naslib_zero.errors import InvalidArchitectureError
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


def setup_score(parser: argparse.ArgumentParser) -> None:
    add_space_argument(parser)
    parser.add_argument("--proxies", default="all",
                        help="'all' (every zero-cost proxy), or a comma list of proxy names / "
                             "wildcards and estimator names (econas, oneshot, ...; see "
                             "'naslib-zero estimators'; default: all)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--sample", type=int, help="score N distinct random architectures")
    which.add_argument("--archs", help="file with one architecture string per line")
    which.add_argument("--all", action="store_true",
                       help="every architecture of a finite space, in its official order")
    parser.add_argument("--shard", type=parse_shard, default=None, metavar="K/N",
                        help="with --all: only the K-th of N equal consecutive blocks (K from "
                             "0), e.g. one array job or one session each; the N output CSVs "
                             "in order are the whole run's")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the sample and of the weight initialisation (default: 0)")
    parser.add_argument("--dataset", default=None,
                        help="a dataset of the space, or synthetic (default: the space's first)")
    parser.add_argument("--benchmark", default=None,
                        help="with --sample: draw from this benchmark's architectures only")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-seed", type=int, default=None,
                        help="draw the batch at random with this seed (default: first images)")
    parser.add_argument("--split", default=None,
                        help="split the batch comes from (default: train; imagenet: the shared "
                             "sample)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of the estimators that train (econas, oneshot, "
                             "...; default: each estimator's own)")
    parser.add_argument("--out", default="scores.csv", help="output CSV (default: scores.csv)")
    add_execution_arguments(parser, "score")


def read_arch_file(space, path: str) -> list:
    """Architectures from a file, one string per line; blank lines and # comments skipped."""
    from naslib_zero.errors import DataNotFoundError, InvalidArchitectureError

    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"architecture file not found: {file}")
    archs = []
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            try:
                archs.append(space.from_str(text))
            except InvalidArchitectureError as err:
                raise InvalidArchitectureError(f"{file}:{number}: {err}") from None
    if not archs:
        raise InvalidArchitectureError(f"{file} holds no architecture")
    return archs


def sample_archs(space, n: int, seed: int) -> list:
    """``n`` distinct architectures: for indexable spaces exactly
    ``numpy.random.RandomState(seed).choice(size, n, replace=False)`` in official order."""
    import numpy as np

    from naslib_zero.errors import InvalidArgumentError

    size = space.size()
    if n <= 0 or (size is not None and n > size):
        raise InvalidArgumentError(f"--sample must be in 1..{size}, got {n}")
    if size is not None and space.indexable:
        return [space.from_index(int(i))
                for i in np.random.RandomState(seed).choice(size, n, replace=False)]
    rng, seen = np.random.default_rng(seed), {}
    while len(seen) < n:
        arch = space.sample(rng)
        seen.setdefault(space.to_str(arch), arch)
    return list(seen.values())


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 0 <= K < N."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise argparse.ArgumentTypeError(f"expected K/N with 0 <= K < N, got {text!r}")
    return int(index), int(count)


def chosen_archs(space, args: argparse.Namespace) -> list:
    """The architectures ``--sample``, ``--archs`` or ``--all`` (optionally one ``--shard``
    of it: positions ``K * size // N`` up to ``(K + 1) * size // N``) selects."""
    from itertools import islice

    from naslib_zero.errors import InvalidArgumentError

    shard = getattr(args, "shard", None)
    if shard and not args.all:
        raise InvalidArgumentError("--shard splits --all; it does not apply to --sample or "
                                   "--archs")
    if args.sample:
        return sample_archs(space, args.sample, args.seed)
    if args.archs:
        return read_arch_file(space, args.archs)
    size = space.size()
    if size is None:
        raise InvalidArgumentError(f"--all needs a finite space; {space.name} is not")
    index, count = shard or (0, 1)
    return list(islice(space.enumerate(), index * size // count, (index + 1) * size // count))


@command("score", "score architectures with zero-cost proxies", setup_score)
def run_score(args: argparse.Namespace) -> None:
    import json
    import math

    from naslib_zero.errors import InvalidArgumentError
    from naslib_zero.evaluation import write_scores
    from naslib_zero.paths import score_cache_path
    from naslib_zero.scoring import ScoreCache, score_architectures

    if args.benchmark and not args.sample:
        raise InvalidArgumentError("--benchmark restricts --sample; it does not apply to "
                                   "--archs or --all")
    space, settings, batch, second = scoring_setup(args)
    if args.benchmark:
        space = restricted_space(space, args.benchmark, args.dataset, args.data_dir)
    archs = chosen_archs(space, args)
    cache = ScoreCache(score_cache_path(args.cache))
    try:
        with executor_from_args(args) as executor:
            run = score_architectures(space, archs, args.proxies, batch, second_batch=second,
                                      seed=args.seed, settings=settings, cache=cache,
                                      executor=executor, device=args.device,
                                      data_dir=args.data_dir, epochs=args.epochs)
    finally:
        cache.close()
    write_scores(args.out, [space.to_str(a) for a in archs], run.scores)
    worst = {n: sum(1 for v in vals if math.isinf(v)) for n, vals in run.scores.items()}
    meta = {"space": args.space, "settings": vars(settings) | {"seed": args.seed},
            "batch_hash": batch.hash, "architectures": len(archs),
            "shard": "/".join(map(str, args.shard)) if args.shard else None,
            "scored_now": run.computed, "seconds": round(run.seconds, 3),
            "peak_memory_mb": peak_memory_mb(),
            "unscorable (reported as worst, -inf)": worst}
    Path(f"{args.out}.json").write_text(json.dumps(meta, indent=2))
    print(f"wrote {args.out} ({len(archs)} architectures, {len(run.proxies)} proxies; "
          f"{run.computed} scored now, the rest from the cache) in {run.seconds:.1f} s")
    flagged = {n: c for n, c in worst.items() if c}
    if flagged:
        print(f"unscorable networks (reported as -inf): {flagged}")


def peak_memory_mb() -> dict[str, float | None]:
    """Peak resident memory of this process and of the largest finished worker process
    (None where the platform does not report it, or no worker process ran)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return {"this_process": None, "largest_worker": None}
    unit = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20  # KiB on Linux, bytes on macOS
    return {"this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit, 1),
            "largest_worker":
                round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit, 1) or None}


def scoring_setup(args: argparse.Namespace):
    """(space, batch settings, batch, second batch) from ``--space``, ``--dataset``,
    ``--batch-size`` and ``--data-seed``."""
    from naslib_zero.scoring import BatchSettings, load_batches
    from search_spaces import get_space
    from search_spaces.base import SYNTHETIC

    space = get_space(args.space)
    spec = space.dataset(args.dataset)
    name = SYNTHETIC if args.dataset and args.dataset.lower() == SYNTHETIC else spec.name
    settings = BatchSettings(name, args.batch_size, args.data_seed, split=args.split)
    batch, second = load_batches(settings, args.data_dir, spec)
    return space, settings, batch, second


def restricted_space(space, benchmark: str | None, dataset: str | None, data_dir):
    """``space`` restricted to the architectures of one of its benchmark tables."""
    from naslib_zero.tables import load_ground_truth
    from search_spaces.restricted import RestrictedSpace

    spec = space.dataset(dataset)
    table = load_ground_truth(space.name, spec.name, None, data_dir=data_dir,
                              benchmark=benchmark)
    return RestrictedSpace(space, table)


def setup_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", nargs="+",
                        help="CSV written by 'naslib-zero score'; several (e.g. the shards of "
                             "'score --all --shard K/N') are read as one")
    add_space_argument(parser)
    parser.add_argument("--dataset", default=None, help="default: the space's first")
    add_benchmark_arguments(parser, "holding the ground truth")
    parser.add_argument("--plots", default=None,
                        help="folder for scatter plots (default: <scores>_plots)")


@command("evaluate", "rank correlation of proxy scores with benchmark accuracy",
         setup_evaluate)
def run_evaluate(args: argparse.Namespace) -> None:
    from naslib_zero.evaluation import (
        evaluate_scores,
        format_report,
        read_score_files,
        scatter_plots,
    )
    from naslib_zero.tables import load_ground_truth
    from search_spaces import get_space

    space = get_space(args.space)
    archs, scores = read_score_files(args.scores)
    table = load_ground_truth(space.name, space.dataset(args.dataset).name, args.metric,
                              data_dir=args.data_dir, benchmark=args.benchmark)
    truth = table.sign * table.lookup_many([space.key(space.from_str(a)) for a in archs])
    direction = "" if table.higher_is_better else " (lower is better: correlated as -value)"
    print(f"{len(archs)} architectures; ground truth: {table.description}{direction}")
    print(format_report(evaluate_scores(scores, truth)))
    folder = args.plots or str(Path(args.scores[0]).with_suffix("")) + "_plots"
    written = scatter_plots(scores, truth, table, folder)
    print(f"wrote {len(written)} scatter plots to {folder}/")


def setup_search(parser: argparse.ArgumentParser) -> None:
    add_space_argument(parser)
    parser.add_argument("--dataset", default=None,
                        help="ground-truth dataset, also the proxies' batch "
                             "(default: the space's first)")
    add_benchmark_arguments(parser, "used as the oracle; a table that covers only part of "
                                    "the space restricts the search to it")
    parser.add_argument("--strategy", default="re", help="rs, re, rl, predictor or nsga2")
    parser.add_argument("--proxy", default=None,
                        help="proxy for warm-start / move / zero-shot: a name, 'vote', "
                             "'vote:a,b,c' or 'rank:a,b'")
    parser.add_argument("--warmup", type=int, default=0, metavar="N",
                        help="warm-start from N proxy-scored random architectures (e.g. 3000)")
    parser.add_argument("--move", action="store_true", help="prune proposals with the proxy")
    parser.add_argument("--zero-shot", action="store_true",
                        help="the proxy is the objective: no ground truth is queried")
    parser.add_argument("--oracle", default="table",
                        help="what a query returns: 'table' (the benchmark) or a training "
                             "estimator that trains the architecture: train, econas, ... "
                             "(see 'naslib-zero estimators'; default: table)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of --oracle train and of training estimators "
                             "used as --proxy (default: the estimator's own)")
    parser.add_argument("--budget", type=int, default=300,
                        help="ground-truth queries (proxy evaluations with --zero-shot)")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds 0..N-1")
    parser.add_argument("--proxy-data", default=None,
                        help="batch for the proxies: 'synthetic' for data-free inputs "
                             "(default: the --dataset images)")
    parser.add_argument("--scores", default=None,
                        help="precomputed score CSV to read proxy values from")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--split", default=None,
                        help="split the batch comes from (default: train; imagenet: the shared "
                             "sample)")
    parser.add_argument("--out", default="search_out", help="output folder")
    add_execution_arguments(parser, "run the seeds")


@command("search", "run a (zero-cost assisted) architecture search over many seeds",
         setup_search)
def run_search_command(args: argparse.Namespace) -> None:
    from naslib_zero.search_command import search

    search(args)


# ------------------------------------------------------------------------------------ main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naslib-zero", description="Zero-cost neural architecture search toolkit.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", default=None,
                        help="data folder (default: $NASLIB_ZERO_DATA, else the user cache)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common = argparse.ArgumentParser(add_help=False)  # the same options after the command
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS.values():
        cmd.setup(sub.add_parser(cmd.name, help=cmd.help, description=cmd.help,
                                 parents=[common]))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    progress.set_enabled(not args.quiet)
    try:
        return COMMANDS[args.command].run(args) or 0
    except NaslibZeroError as err:
        print(f"naslib-zero: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("naslib-zero: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
