"""Score a whole finite space with the whole proxy suite, a few shards per sitting, and report
its ranking quality once every shard is in.

Each shard is one ``naslib-zero score --all --shard K/N`` run (consecutive blocks of the
official order), written to ``<out>/shard-KK-of-NN.csv`` with its ``.json`` (scoring seconds,
peak memory of the parent and of the largest worker). A shard whose ``.json`` exists is done
and skipped; a shard that was interrupted resumes from the score cache (``--cache``), so the
run can be spread over any number of sittings or machines. With all shards present it prints
the quality table over the whole space, the summed wall time and the largest peak memory.

    python benchmarks/whole_space.py --space nb201 --dataset cifar10 --shards 32 \\
        --workers 2 --max-shards 2 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from naslib_zero.analysis.evaluation import evaluate_scores, read_score_files
from naslib_zero.cli import main as cli
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space

CRITERIA = ("spearman", "kendall", "pearson", "p@top5%", "p@bottom5%", "br@1%", "wr@1%")


def shard_path(out: Path, index: int, count: int) -> Path:
    return out / f"shard-{index:02d}-of-{count:02d}.csv"


def run_shard(args: argparse.Namespace, index: int) -> None:
    """One shard through the command line, its wall seconds added to its ``.json``."""
    path = shard_path(Path(args.out), index, args.shards)
    command = ["-q", "score", "--space", args.space, "--all", "--shard",
               f"{index}/{args.shards}", "--dataset", args.dataset, "--batch-size",
               str(args.batch_size), "--proxies", args.proxies, "--workers", str(args.workers),
               "--cache", args.cache, "--out", str(path)]
    if args.data_dir:
        command = ["--data-dir", args.data_dir, *command]
    start = time.perf_counter()
    if cli(command) != 0:
        raise SystemExit(f"shard {index} failed")
    meta_path = Path(f"{path}.json")
    meta = json.loads(meta_path.read_text()) | {"wall_seconds": time.perf_counter() - start}
    meta_path.write_text(json.dumps(meta, indent=2))
    print(f"shard {index}/{args.shards}: {meta['architectures']} architectures, "
          f"{meta['scored_now']} scored now, {meta['wall_seconds']:.0f} s", flush=True)


def largest_peak(metas: list[dict], key: str) -> str:
    """The largest peak memory the shards reported under ``key``; None (a serial run, or a
    platform without ``resource``) counts as not reported, never as 0 MB."""
    values = [m["peak_memory_mb"][key] for m in metas if m["peak_memory_mb"][key] is not None]
    return f"{max(values):.0f} MB" if values else "not reported"


def report(args: argparse.Namespace, shards: list[Path]) -> None:
    """The whole space's quality table, summed wall time and largest peak memory."""
    space = get_space(args.space)
    archs, scores = read_score_files(shards)
    table = load_ground_truth(space.name, space.dataset(args.dataset).name, None,
                              data_dir=args.data_dir)
    truth = table.sign * table.lookup_many([space.key(space.from_str(a)) for a in archs])
    metas = [json.loads(Path(f"{p}.json").read_text()) for p in shards]
    wall = sum(m["wall_seconds"] for m in metas)
    parent, worker = (largest_peak(metas, key) for key in ("this_process", "largest_worker"))
    print(f"{len(archs)} architectures of {args.space}, {len(scores)} proxies, batch "
          f"{args.batch_size} of {args.dataset}; ground truth: {table.description}")
    print(f"wall time {wall / 3600:.2f} h over {len(shards)} shards ({args.workers} workers); "
          f"peak memory {parent} (parent), {worker} (largest worker)")
    print("| proxy | " + " | ".join(CRITERIA) + " | -inf |")
    print("| --- " * (len(CRITERIA) + 2) + "|")
    for proxy, row in evaluate_scores({n: np.asarray(v) for n, v in scores.items()},
                                      truth).items():
        print(f"| {proxy} | " + " | ".join(f"{row[c]:.3f}" for c in CRITERIA) +
              f" | {int(row['n_worst'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxies", default="all")
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--max-shards", type=int, default=None,
                        help="run at most this many missing shards now (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache", default="runs/whole_space.sqlite")
    parser.add_argument("--out", default="benchmarks/results/nb201_cifar10_all")
    args = parser.parse_args()

    Path(args.out).mkdir(parents=True, exist_ok=True)
    shards = [shard_path(Path(args.out), k, args.shards) for k in range(args.shards)]
    missing = [k for k, p in enumerate(shards) if not Path(f"{p}.json").is_file()]
    for index in missing[:args.max_shards]:
        run_shard(args, index)
    left = [k for k, p in enumerate(shards) if not Path(f"{p}.json").is_file()]
    if left:
        print(f"{len(left)} of {args.shards} shards still to score, from shard {left[0]}")
    else:
        report(args, shards)


if __name__ == "__main__":
    main()
