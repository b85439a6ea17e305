"""SWAP-Score (Peng et al., SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS,
ICLR 2024; reference code ``pym1024/SWAP``, ``src/metrics/swap.py``).

One forward, no labels. The outputs of every ``nn.ReLU`` applied to a 4-d feature map are
binarised (active or not) and laid side by side: one column per neuron (channel x position of
each ReLU call), one row per sample. A neuron's *sample-wise activation pattern* is its column;
the score is the number of distinct patterns. The reference code averages the score over 32
Gaussian re-initialisations of the network; here, like every proxy, it is computed once, on the
network as initialised.

Patterns are packed into int64 words (62 samples per word) before counting, so memory is 8
bytes per neuron and word rather than a float per neuron and sample.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from naslib_zero.engine import Context
from naslib_zero.engine.registry import proxy

_BITS = 62


def pattern_codes(active: torch.Tensor) -> torch.Tensor:
    """(neurons, words) int64 codes of the columns of a (samples, neurons) boolean matrix."""
    samples = active.shape[0]
    words = []
    for start in range(0, samples, _BITS):
        block = active[start:start + _BITS].to(torch.int64)
        powers = 2 ** torch.arange(block.shape[0], device=block.device, dtype=torch.int64)
        words.append((block * powers[:, None]).sum(0))
    return torch.stack(words, dim=1)


@proxy("swap", reference="Peng et al., SWAP-NAS, ICLR 2024 (SWAP-Score, unregularised)")
def swap(ctx: Context) -> float:
    """Number of distinct sample-wise activation patterns over all ReLU outputs (one forward);
    0 for a network without ReLUs on feature maps."""
    codes: list[torch.Tensor] = []

    def on_relu(module: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        if inp[0].dim() == 4:
            codes.append(pattern_codes(out.detach().flatten(1) > 0))

    handles = [m.register_forward_hook(on_relu) for m in ctx.model.modules()
               if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            ctx.model(ctx.inputs)
    finally:
        for handle in handles:
            handle.remove()
    if not codes:
        return 0.0
    patterns = torch.cat(codes)
    if patterns.shape[1] == 1:  # up to 62 samples: one word per neuron, a flat (fast) unique
        return float(torch.unique(patterns[:, 0]).numel())
    return float(torch.unique(patterns, dim=0).shape[0])
