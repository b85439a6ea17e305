"""The NATS-Bench size-space network (xautodl ``DynamicShapeTinyNet``, "infer.shape.tiny").

Reference: D-X-Y/AutoDL-Projects ``xautodl/models/shape_infers/InferTinyCellNet.py`` (the
network), ``xautodl/models/cell_infers/cells.py`` (``InferCell``) and
``xautodl/models/cell_operations.py`` (ops); the fixed cell is the one hard-coded in
``exps/NATS-Bench/main-sss.py`` (which trained every size-space model) and stored in each
benchmark entry's ``arch_config["genotype"]`` (NATS-Bench ``notebooks/issue-21.ipynb``)::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|

(NB201 index 9930, the best CIFAR-100 cell), NOT the ResNet-like cell
``|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|``, which the
NATS-Bench scripts only use as a "ResNet" baseline of the topology space: with that cell
``8:8:8:8:8`` would have 6,386 parameters on CIFAR-10, with 9930 it has the benchmark's 11,714.

Layers for channels ``(C1, ..., C5)`` (5 = 3 stages of N=1 cell + 2 reductions):

====  ==================================  =============  ======
 #     layer                               in -> out      stride
====  ==================================  =============  ======
 -     stem: conv3x3 + BN                  3 -> C1        1
 0     cell                                C1 -> C1       1
 1     ResNetBasicblock (reduction)        C1 -> C2       2
 2     cell                                C2 -> C3       1
 3     ResNetBasicblock (reduction)        C3 -> C4       2
 4     cell                                C4 -> C5       1
 -     BN + ReLU, global avg pool, linear  C5 -> classes
====  ==================================  =============  ======

A cell with ``C_in != C_out`` (layers 2 and 4 when ``C2 != C3`` / ``C4 != C5``) changes width on
its edges out of node 0: ``nor_conv_3x3~0`` is ReLU-conv3x3(C_in -> C_out)-BN, and
``skip_connect~0`` is xautodl's ``FactorizedReduce`` with stride 1, i.e. conv1x1(C_in -> C_out,
no bias) + BN and *no* ReLU (:class:`Conv1x1BN`); with ``C_in == C_out`` it is the identity.
Edges out of nodes 1 and 2 are C_out -> C_out.

Reused from :mod:`search_spaces.nb201_model`, identical to xautodl (affine BN, no conv bias):
``ReLUConvBN`` and the stride-2 ``ResNetBasicblock``. Modules are created in the official
order with the official names (``stem``, ``cells.<i>.layers.<j>``, ``lastact``,
``classifier``; ``conv``/``bn`` inside the stride-1 ``FactorizedReduce``), so parameter counts
and state-dict keys match. Differences, all without parameters: the unused ``relu`` of
``FactorizedReduce`` is left out, every ReLU is ``inplace=False``, and ``forward`` returns the
logits only (the official one returns ``(pooled features, logits)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from search_spaces.nb201_cell import EDGES, OPS
from search_spaces.nb201_model import MacroSkeleton, ReLUConvBN, ResNetBasicblock

GENOTYPE = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|"
)
"""The fixed cell of every size-space network (NB201 index 9930)."""

CELL: tuple[int, ...] = (3, 3, 3, 1, 3, 3)
"""``GENOTYPE`` as NB201 op indices, one per edge in :data:`search_spaces.nb201.EDGES` order."""


class Conv1x1BN(nn.Module):
    """xautodl ``FactorizedReduce`` with stride 1: conv1x1 (no bias) + BN, no activation."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


def _make_op(name: str, c_in: int, c_out: int) -> nn.Module:
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3)
    if name == "skip_connect":
        return nn.Identity() if c_in == c_out else Conv1x1BN(c_in, c_out)
    raise ValueError(f"op {name!r} does not occur in the NATS-Bench size-space cell")


class SizeCell(nn.Module):
    """The fixed :data:`GENOTYPE` cell from ``c_in`` to ``c_out`` channels (stride 1).

    ``layers[j]`` is the op of edge ``j`` in the genotype's string order; edges leaving the
    cell input map ``c_in -> c_out``, all others ``c_out -> c_out``.
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            _make_op(OPS[op], c_in if src == 0 else c_out, c_out)
            for op, (src, _) in zip(CELL, EDGES)
        )
        self.inputs = [[(e, src) for e, (src, d) in enumerate(EDGES) if d == dst]
                       for dst in range(1, 4)]
        self.in_dim, self.out_dim = c_in, c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for inputs in self.inputs:
            terms = [self.layers[e](nodes[src]) for e, src in inputs]
            nodes.append(sum(terms[1:], terms[0]))
        return nodes[-1]


class NATSSizeNetwork(MacroSkeleton):
    """``DynamicShapeTinyNet`` for a channel configuration; input (B, 3, H, W), H, W % 4 == 0.

    ``channels`` has ``3N + 2`` entries (NATS-Bench: 5, N=1): N cells per stage, a stride-2
    residual block between stages, layer ``i`` producing ``channels[i]`` channels.
    """

    def __init__(self, channels: Sequence[int], num_classes: int = 10) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if len(channels) % 3 != 2 or min(channels) < 1:
            raise ValueError(f"need 3N+2 positive channel counts, got {channels}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        n = len(channels) // 3
        reductions = ([False] * n + [True]) * 2 + [False] * n
        self.channels = channels
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels[0], 3, padding=1, bias=False), nn.BatchNorm2d(channels[0]))
        cells: list[nn.Module] = []
        c_prev = channels[0]
        for c_out, reduction in zip(channels, reductions):
            cells.append(ResNetBasicblock(c_prev, c_out) if reduction else SizeCell(c_prev, c_out))
            c_prev = c_out
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)
