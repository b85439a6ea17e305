"""The shared-pass engine and the proxy registry.

:mod:`naslib_zero.engine.registry` records proxies (``@proxy``, :class:`ProxySpec`);
:mod:`naslib_zero.engine.passes` plans and runs the passes they need (:class:`Context`,
:func:`run_proxies`, :func:`register_pass`). The proxies themselves live in
:mod:`naslib_zero.proxies`, one layer up in the same tier, and import from here.
"""

from naslib_zero.engine.passes import (
    SHARED_PASSES,
    WEIGHTED,
    Activations,
    Context,
    ProxyWarning,
    Scores,
    ShapeError,
    ce_weight_grads,
    check_batch,
    check_devices,
    input_dependent,
    model_copy,
    register_pass,
    run_proxies,
)
from naslib_zero.engine.registry import (
    ProxySpec,
    get_proxy,
    list_proxies,
    proxy,
    resolve,
    unregister,
)

__all__ = ["SHARED_PASSES", "WEIGHTED", "Activations", "Context", "ProxySpec", "ProxyWarning",
           "Scores", "ShapeError", "ce_weight_grads", "check_batch", "check_devices", "get_proxy",
           "input_dependent", "list_proxies", "model_copy", "proxy", "register_pass", "resolve",
           "run_proxies", "unregister"]
