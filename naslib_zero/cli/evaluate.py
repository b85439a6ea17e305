"""``evaluate``: how well score files rank architectures against a benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path

from naslib_zero.cli.options import add_benchmark_arguments, add_space_argument, command, warn


def setup_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", nargs="+",
                        help="CSV written by 'naslib-zero score'; several (e.g. the shards of "
                             "'score --all --shard K/N') are read as one")
    add_space_argument(parser)
    parser.add_argument("--dataset", default=None,
                        help="dataset of the ground truth (default: the space's first)")
    add_benchmark_arguments(parser, "holding the ground truth")
    parser.add_argument("--plots", default=None,
                        help="folder for the scatter plots, one PNG per proxy named after it "
                             "(default: <first scores file without .csv>_plots)")


@command("evaluate", "rank correlation of proxy scores with benchmark accuracy",
         setup_evaluate)
def run_evaluate(args: argparse.Namespace) -> None:
    from naslib_zero.analysis.evaluation import (
        caveats,
        evaluate_scores,
        format_report,
        metadata_caveats,
        read_score_files,
        scatter_plots,
    )
    from naslib_zero.core.paths import writable_path
    from naslib_zero.tables import load_ground_truth
    from search_spaces import get_space

    folder = writable_path(args.plots or str(Path(args.scores[0]).with_suffix("")) + "_plots",
                           "--plots", folder=True)
    space = get_space(args.space)
    dataset = space.dataset(args.dataset).name
    archs, scores = read_score_files(args.scores)
    table = load_ground_truth(space.name, dataset, args.metric, data_dir=args.data_dir,
                              benchmark=args.benchmark)
    truth = table.sign * table.lookup_many([space.key(space.from_str(a)) for a in archs])
    direction = "" if table.higher_is_better else " (lower is better: correlated as -value)"
    print(f"{len(archs)} architectures; ground truth: {table.description}{direction}")
    report = evaluate_scores(scores, truth)
    print(format_report(report))
    for line in metadata_caveats(args.scores, args.space, dataset) + caveats(report, len(archs)):
        warn(line)
    written = scatter_plots(scores, truth, table, folder, report)
    print(f"wrote {len(written)} scatter plots to {folder}/")
