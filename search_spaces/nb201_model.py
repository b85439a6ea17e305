"""The NAS-Bench-201 reference network (xautodl ``TinyNetwork`` with ``InferCell``).

Layer for layer as in the official code: stem conv 3x3 + BN; three stages of N=5 cells with
C = 16, 32, 64 channels, joined by a residual block with stride 2; final BN + ReLU, global
average pooling and a linear classifier. Modules are created in the official order and keep
the official names, so parameter counts and state-dict keys match (``none`` edges hold no
parameters, so leaving them out changes no key), and the same seed should draw the same
initial weights (by construction; not checked against xautodl, which is not installed).

Differences, all without parameters: ``none`` edges are not instantiated (a node without
incoming ops outputs ``zeros_like`` of the cell input); every ReLU is an ``nn.ReLU`` module
with ``inplace=False`` so forward hooks see each call; ``forward`` returns the logits only
(the official one returns ``(pooled features, logits)``).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from search_spaces.nb201_cell import EDGES, NONE, OPS

C, N = 16, 5


class ReLUConvBN(nn.Module):
    """ReLU, Conv2d without bias ("same" padding), BatchNorm2d."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class ResNetBasicblock(nn.Module):
    """Stride-2 stage transition: two ReLU-Conv3x3-BN plus an avg-pool + conv1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


def _make_op(name: str, channels: int) -> nn.Module:
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    return ReLUConvBN(channels, channels, 1 if name == "nor_conv_1x1" else 3)


class InferCell(nn.Module):
    """One NB201 cell; ``layers`` is keyed by edge position ("0".."5"), ``none`` edges absent."""

    def __init__(self, arch: tuple[int, ...], channels: int) -> None:
        super().__init__()
        self.layers = nn.ModuleDict(
            {str(e): _make_op(OPS[op], channels) for e, op in enumerate(arch) if op != NONE}
        )
        self.inputs = [
            [
                (str(e), src)
                for e, (src, d) in enumerate(EDGES)
                if d == dst and str(e) in self.layers
            ]
            for dst in range(1, 4)
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for inputs in self.inputs:
            terms = [self.layers[e](nodes[src]) for e, src in inputs]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class MacroSkeleton(nn.Module):
    """NB201's macro forward: ``stem``, the ``cells`` in order, ``lastact`` (BN-ReLU), global
    pooling, ``classifier``; subclasses build those modules (NB201, the NATS size space)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected input of shape (B, 3, H, W), got {tuple(x.shape)}")
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.classifier(self.global_pooling(self.lastact(x)).flatten(1))


class NB201Network(MacroSkeleton):
    """The NB201 ``TinyNetwork`` for one cell; input (B, 3, H, W) with H, W multiples of 4.
    ``C`` (first stage's channels) and ``N`` (cells per stage) default to the benchmark's."""

    def __init__(self, arch: tuple[int, ...], num_classes: int = 10, C: int = C,  # noqa: N803
                 N: int = N) -> None:  # noqa: N803
        super().__init__()
        for name, value in (("num_classes", num_classes), ("C", C), ("N", N)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells: list[nn.Module] = []
        for stage, channels in enumerate((C, 2 * C, 4 * C)):
            if stage:
                cells.append(ResNetBasicblock(channels // 2, channels))
            cells += [InferCell(arch, channels) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * C, num_classes)

