"""A user adds a proxy with one decorated function in their own module."""

import sys
import textwrap

import torch

from naslib_zero.proxies import compute, get_proxy, list_proxies, unregister


def test_user_module_registers_a_proxy(tmp_path, monkeypatch):
    (tmp_path / "my_proxies.py").write_text(textwrap.dedent('''
        from naslib_zero.proxies import proxy

        @proxy("grad_max", needs=["ce_grads"], uses_labels=True, reference="example")
        def grad_max(ctx):
            """Largest |dL/dW| over Conv/Linear weights."""
            return max(float(g.abs().max()) for g in ctx["ce_grads"])
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import my_proxies  # noqa: F401

        assert "grad_max" in list_proxies("grad_*") and get_proxy("grad_max").uses_labels
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
        x, y = torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0])
        values = compute(net, x, y, ["grad_max", "grad_norm"])
        loss = torch.nn.functional.cross_entropy(net(x), y)
        (g,) = torch.autograd.grad(loss, [net[1].weight])
        assert values["grad_max"] == float(g.abs().max())
        assert values["grad_norm"] == float(g.norm())
    finally:
        unregister("grad_max")
        sys.modules.pop("my_proxies", None)
