"""``proxies``: the registered zero-cost proxies (plug-ins' included), or one in full."""

from __future__ import annotations

import argparse
import inspect

from naslib_zero.cli.options import command
from naslib_zero.engine import SHARED_PASSES, ProxySpec, get_proxy, list_proxies

COLUMNS = ("name", "needs", "direction", "labels", "settings", "reference")


def setup_proxies(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", default=None,
                        help="show this proxy in full: metadata, where it is defined, docstring")


def describe(spec: ProxySpec) -> dict[str, str]:
    """One proxy's metadata as text, by column."""
    settings = spec.settings()
    return {
        "name": spec.name,
        "needs": ",".join(sorted(spec.needs)) or "-",
        "direction": "higher" if spec.higher_is_better else "lower",
        "labels": "yes" if spec.uses_labels else "no",
        "settings": "; ".join(f"{k}={v}" for k, v in settings.items()) or "-",
        "reference": spec.reference or "-",
    }


def aligned(rows: list[dict[str, str]], columns: tuple[str, ...]) -> list[str]:
    """A header and the rows, each column padded to its widest cell (the last one not)."""
    table = [{c: c for c in columns}, *rows]
    widths = {c: max(len(row[c]) for row in table) for c in columns[:-1]}
    return ["  ".join([*(row[c].ljust(widths[c]) for c in columns[:-1]), row[columns[-1]]])
            for row in table]


def full(spec: ProxySpec) -> list[str]:
    """Every field of one proxy, the kind of each pass it reads, and its docstring."""
    text = describe(spec)
    needs = ", ".join(f"{n} ({'shared' if n in SHARED_PASSES else 'dedicated'})"
                      for n in sorted(spec.needs)) or "-"
    where = spec.fn.__module__
    source = inspect.getsourcefile(spec.fn)
    fields = {
        "name": spec.name,
        "needs": needs,
        "direction": f"{text['direction']} is better (cannot be scored: {spec.worst})",
        "labels": "used" if spec.uses_labels else "not used",
        "settings": text["settings"],
        "reference": text["reference"],
        "defined in": f"{where} ({source})" if source else where,
    }
    lines = [f"{key:<12}{value}" for key, value in fields.items()]
    return [*lines, "", inspect.getdoc(spec.fn) or "(no docstring)"]


@command("proxies", "list the zero-cost proxies: passes, direction, labels, settings, "
                    "reference; or one in full", setup_proxies)
def run_proxies(args: argparse.Namespace) -> None:
    if args.name is None:
        lines = aligned([describe(get_proxy(n)) for n in list_proxies()], COLUMNS)
    else:
        lines = full(get_proxy(args.name))
    print("\n".join(lines))
