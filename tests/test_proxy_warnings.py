"""Proxies never turn a tensor that requires grad into a Python number (torch warns that this
"may lead to unexpected behavior"); they read weights and gradients detached."""

import warnings

import torch

from naslib_zero.proxies import compute
from search_spaces import get_space

NARROW = "nb201:C=2,N=1"


def test_no_proxy_converts_a_tensor_that_requires_grad():
    space = get_space(NARROW)
    model = space.to_model(space.from_index(6111), space.datasets[0])
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(4, 3, 32, 32, generator=generator)
    targets = torch.randint(0, 10, (4,), generator=generator)
    warn_always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch warns only once per process otherwise
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*requires_grad=True to a scalar")
            values = compute(model, inputs, targets, "all", second_batch=(inputs, targets))
    finally:
        torch.set_warn_always(warn_always)
    assert len(values) > 10
