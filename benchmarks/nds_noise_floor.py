"""The seed-noise floor of NDS accuracies next to the gaps a proxy is asked to rank.

The ``reruns`` files train two CIFAR-10 architectures (ResNet and Vanilla, groups ``top`` and
``mid``) 100 times each; their spread over seeds is how far one architecture's accuracy moves
by chance. Next to it: the spread of the ImageNet ranking sets (ResNeXt-A/B and the five cell
spaces, 50 epochs) and the median accuracy gap between two random members.

    python benchmarks/nds_noise_floor.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from naslib_zero.core.paths import data_root
from search_spaces.nds import load_records

RERUNS = ("ResNet_reruns.json", "Vanilla_reruns.json")
RANKING = ("ResNeXt-A_in.json", "ResNeXt-B_in.json", "DARTS_in.json", "PNAS_in.json",
           "Amoeba_in.json", "ENAS_in.json", "NASNet_in.json")


def accuracies(records) -> np.ndarray:
    return np.array([100.0 - r.min_test_top1_err for r in records])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    folder = data_root(args.data_dir) / "nds"

    print("| set | models | mean acc | std | min..max | median pair gap |")
    print("| --- | --- | --- | --- | --- | --- |")
    for file in RERUNS:
        records = load_records(folder / file)
        for group in sorted({r.rerun_group for r in records}):
            acc = accuracies([r for r in records if r.rerun_group == group])
            gaps = [abs(a - b) for a, b in itertools.combinations(acc, 2)]
            print(f"| {file} {group} (one architecture, 100 seeds) | {len(acc)} | "
                  f"{acc.mean():.2f} | {acc.std(ddof=1):.2f} | {acc.min():.2f}..{acc.max():.2f} "
                  f"| {np.median(gaps):.2f} |")
    for file in RANKING:
        acc = accuracies(load_records(folder / file))
        gaps = [abs(a - b) for a, b in itertools.combinations(acc, 2)]
        print(f"| {file} (distinct architectures) | {len(acc)} | {acc.mean():.2f} | "
              f"{acc.std(ddof=1):.2f} | {acc.min():.2f}..{acc.max():.2f} | "
              f"{np.median(gaps):.2f} |")


if __name__ == "__main__":
    main()
