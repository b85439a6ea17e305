"""``score``: proxy values of sampled, listed or all architectures, to a CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from naslib_zero.cli.options import (
    POSITIVE,
    SEED,
    add_execution_arguments,
    add_space_argument,
    command,
    executor_from_args,
    int_range,
)


def setup_score(parser: argparse.ArgumentParser) -> None:
    add_space_argument(parser)
    parser.add_argument("--proxies", default="all",
                        help="'all' (every zero-cost proxy), or a comma list of proxy names / "
                             "wildcards and estimator names (econas, oneshot, ...; see "
                             "'naslib-zero estimators'; default: all)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--sample", type=int_range(1, hint=" (--all scores every architecture)"),
                       metavar="N", help="score N distinct random architectures")
    which.add_argument("--archs", help="file with one architecture string per line")
    which.add_argument("--all", action="store_true",
                       help="every architecture of a finite space, in its official order")
    parser.add_argument("--shard", type=parse_shard, default=None, metavar="K/N",
                        help="with --all: only the K-th of N equal consecutive blocks (K from "
                             "0), e.g. one array job or one session each; the N output CSVs "
                             "in order are the whole run's")
    parser.add_argument("--seed", type=SEED, default=0,
                        help="seed of the sample and of the weight initialisation (default: 0)")
    parser.add_argument("--dataset", default=None,
                        help="a dataset of the space, or synthetic (default: the space's first)")
    parser.add_argument("--benchmark", default=None,
                        help="with --sample: draw from this benchmark's architectures only")
    parser.add_argument("--batch-size", type=POSITIVE, default=64,
                        help="images in the minibatch the proxies see (default: 64)")
    parser.add_argument("--data-seed", type=SEED, default=None,
                        help="draw the batch at random with this seed (default: first images)")
    parser.add_argument("--split", default=None,
                        help="split the batch comes from (default: train; imagenet: the shared "
                             "sample)")
    parser.add_argument("--epochs", type=POSITIVE, default=None,
                        help="training epochs of the estimators that train (econas, oneshot, "
                             "...; default: each estimator's own)")
    parser.add_argument("--out", default="scores.csv",
                        help="output CSV, with its settings in <out>.json (default: scores.csv)")
    add_execution_arguments(parser, "score")


def read_arch_file(space, path: str) -> list:
    """Architectures from a file, one string per line; blank lines and # comments skipped."""
    from naslib_zero.core.errors import (
        CorruptDataError,
        DataNotFoundError,
        InvalidArchitectureError,
    )

    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"architecture file not found: {file}")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise CorruptDataError(f"{file} is not a text file (byte {err.start} is not UTF-8); "
                               f"expected one architecture string per line") from None
    except OSError as err:
        raise CorruptDataError(f"cannot read {file}: {err.strerror}") from None
    archs = []
    for number, line in enumerate(lines, start=1):
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

    from naslib_zero.core.errors import InvalidArgumentError

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

    from naslib_zero.core.errors import InvalidArgumentError

    shard = getattr(args, "shard", None)
    if shard and not args.all:
        raise InvalidArgumentError("--shard splits --all; it does not apply to --sample or "
                                   "--archs")
    if args.sample is not None:
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

    from naslib_zero.analysis.evaluation import write_scores
    from naslib_zero.core.errors import InvalidArgumentError
    from naslib_zero.core.paths import score_cache_path, writable_path
    from naslib_zero.scoring import ScoreCache, score_architectures

    if args.benchmark and not args.sample:
        raise InvalidArgumentError("--benchmark restricts --sample; it does not apply to "
                                   "--archs or --all")
    for path in (args.out, f"{args.out}.json"):  # before any work; creates nothing
        writable_path(path, "--out")
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
    texts = [space.to_str(a) for a in archs]
    worst = {n: sum(1 for v in vals if math.isinf(v)) for n, vals in run.scores.items()}
    meta = {"space": args.space, "settings": vars(settings) | {"seed": args.seed},
            "batch_hash": batch.hash, "architectures": len(archs),
            "shard": "/".join(map(str, args.shard)) if args.shard else None,
            "scored_now": run.computed, "seconds": round(run.seconds, 3),
            "peak_memory_mb": peak_memory_mb(),
            "unscorable (reported as worst, -inf)": worst,
            "torch_threads (proxy values per count)":
                {"unrecorded" if t is None else str(t): n for t, n in run.thread_counts.items()}}
    try:
        write_scores(args.out, texts, run.scores)
        Path(f"{args.out}.json").write_text(json.dumps(meta, indent=2))
    except OSError as err:
        raise InvalidArgumentError(
            f"cannot write {err.filename or args.out}: {err.strerror}; the scores are in the "
            f"cache {cache.path}: rerun with another --out and nothing is scored again") from err
    print(f"wrote {args.out} ({len(archs)} architectures, {plural(len(run.proxies), 'proxy')}; "
          f"{summary(run, args.proxies, len(set(texts)))}) in {run.seconds:.1f} s")
    flagged = {n: c for n, c in worst.items() if c}
    if flagged:
        print(f"unscorable networks (reported as -inf): {flagged}")
    if run.thread_warning():
        print(run.thread_warning())


def plural(count: int, word: str) -> str:
    """``1 proxy``, ``2 proxies``, ``0 architectures``."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"


def summary(run, proxies: str, distinct: int) -> str:
    """How many results were scored now and how many came from the cache. A result is one
    architecture's proxies, and one estimator's value of one architecture (``run.computed``
    counts them that way)."""
    from naslib_zero.scoring.estimators import split_names

    names, estimators = split_names(proxies)
    results = distinct * (bool(names) + len(estimators))
    per_estimator = " (an estimator's value of an architecture counts as one)" * bool(estimators)
    return (f"{run.computed} scored now, {results - run.computed} from the cache"
            f"{per_estimator}")


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
