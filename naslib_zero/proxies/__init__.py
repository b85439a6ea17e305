"""Zero-cost proxies: a registry of decorated functions computed by the shared-pass engine.

>>> from naslib_zero.proxies import compute, list_proxies
>>> list_proxies("*grad*")
['grad_norm']
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn as nn

from naslib_zero.engine import ProxyWarning, ShapeError, register_pass, run_proxies
from naslib_zero.engine.registry import (
    ProxySpec,
    get_proxy,
    list_proxies,
    proxy,
    resolve,
    unregister,
)
from naslib_zero.proxies import (  # noqa: F401 (register)
    gradient,
    jacobian,
    structure,
    swap,
    sweet,
    synflow,
    zen,
    zico,
)


def compute(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
            proxies: str | Iterable[str] = "all", seed: int = 0, *,
            second_batch: tuple[torch.Tensor, torch.Tensor] | None = None,
            device: str | torch.device | None = None) -> dict[str, float]:
    """Score ``model`` on one minibatch with each requested proxy.

    ``proxies``: names, wildcards, a comma list or ``"all"``. ``seed`` drives the proxies'
    own randomness (Zen's re-initialisation and Gaussian inputs). ``second_batch`` is ZiCo's
    second minibatch; without it ZiCo uses the two halves of ``inputs``. ``device``
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``): move the model, in place, and the batches there
    first; None: compute where they already are (one device). A proxy that cannot
    score the network returns its documented worst value (``-inf`` when higher is better)
    and a :class:`ProxyWarning`; a network whose output does not depend on its input (the
    same logits for every sample of the batch) gets the worst value of every proxy.
    """
    specs = [get_proxy(name) for name in resolve(proxies)]
    return run_proxies(model, inputs, targets, specs, seed, second_batch=second_batch,
                       device=device).values


__all__ = ["ProxySpec", "ProxyWarning", "ShapeError", "compute", "get_proxy", "list_proxies",
           "proxy", "register_pass", "resolve", "unregister"]
