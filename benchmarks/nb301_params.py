"""Parameter-count parity of the DARTS network with NASLib's NB301 file, on all 1,218 rows.

For every row of ``nb301/naslib_nb301_val_accuracy.csv``: the ``naslib`` preset's count must
equal ``params_M`` exactly, and the ``nb301`` preset's (NAS-Bench-301's training network) must
equal ``params_M`` plus its auxiliary head plus the affine parameters of its cell ops' BNs.
Models are built on the meta device (no memory, ~50 ms each). Exit status 1 on any mismatch.

    python benchmarks/nb301_params.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
import torch.nn as nn

from naslib_zero.tables import recorded_params, resolve_table
from search_spaces import get_space


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    archs, recorded = recorded_params(resolve_table("nb301", "cifar10")[0], args.data_dir)
    naslib, nb301 = get_space("nb301", preset="naslib"), get_space("nb301")
    start = time.perf_counter()
    bad = 0
    extra: list[int] = []
    for text, expected in zip(archs, recorded):
        with torch.device("meta"):
            small = naslib.to_model(naslib.from_str(text))
            full = nb301.to_model(nb301.from_str(text))
        affine = sum(count(m) for cell in full.cells for op in cell.ops for m in op.modules()
                     if isinstance(m, nn.BatchNorm2d))
        ok = count(small) == expected and \
            count(full) - count(full.auxiliary_head) - affine == expected
        extra.append(count(full) - int(expected))
        if not ok:
            bad += 1
            print(f"mismatch: {text}: naslib {count(small)}, nb301 {count(full)}, "
                  f"recorded {expected}")
    print(f"{len(archs) - bad}/{len(archs)} rows match: naslib preset = params_M exactly; nb301 "
          f"preset = params_M + auxiliary head ({count(full.auxiliary_head):,}) + cell-op BN "
          f"affine parameters (nb301 - params_M: {min(extra):,} .. {max(extra):,}); "
          f"{time.perf_counter() - start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
