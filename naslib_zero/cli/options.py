"""What the commands share: the command registry (:func:`command`) and the options several
commands take, turned into the typed objects the layers below take."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from naslib_zero.scoring.executors import EXECUTORS, Executor, get_executor

Handler = Callable[[argparse.Namespace], int | None]
Setup = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Setup
    run: Handler


COMMANDS: dict[str, Command] = {}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like the toolkit's own errors:
    ``naslib-zero: error: <message> (see '<command> --help')``, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"naslib-zero: error: {message} (see '{self.prog} --help')\n")


def int_range(minimum: int, maximum: int | None = None, hint: str = "") -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``minimum`` to ``maximum`` (no upper bound when
    None); ``hint`` is added to the error message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {value}{hint}")
        return value

    return parse


POSITIVE = int_range(1)
SEED = int_range(0, 2**32 - 1)  # numpy's seed range


def warn(message: str) -> None:
    """One warning line on stderr, beside the toolkit's error lines."""
    print(f"naslib-zero: warning: {message}", file=sys.stderr)


def command(name: str, help: str, setup: Setup = lambda parser: None):
    """Register the decorated function as the sub-command ``name``."""

    def wrap(run: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, setup, run)
        return run

    return wrap


def add_space_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--space", default="nb201",
                        help="search space name, see 'naslib-zero spaces', with options as "
                             "name:key=value,... e.g. nb301:preset=naslib (default: nb201)")


def add_benchmark_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--benchmark", default=None,
                        help=f"benchmark table {what} (default: the space's first)")
    parser.add_argument("--metric", default=None,
                        help="benchmark metric, e.g. test or val (default: the benchmark's first)")


def add_execution_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    add_executor_arguments(parser, what)
    parser.add_argument("--device", default="cpu",
                        help="where proxies run: cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--cache", default=None,
                        help="SQLite score cache (default: $NASLIB_ZERO_CACHE, else "
                             "scores.sqlite in the user cache folder)")


def parse_arch(space, text: str):
    """An architecture from its string form, or from an integer index in an indexable space."""
    text = text.strip()
    if text.isdigit() and space.indexable:
        return space.from_index(int(text))
    return space.from_str(text)


def add_executor_arguments(parser: argparse.ArgumentParser, what: str = "work") -> None:
    """``--workers``, ``--executor`` and ``--ray-address``, for the CLI and the benchmarks."""
    parser.add_argument("--workers", type=int, default=1,
                        help=f"{what} in parallel on N workers (default: 1)")
    parser.add_argument("--executor", choices=EXECUTORS, default=None,
                        help="serial, process (local pool) or ray "
                             "(default: serial with 1 worker, else process)")
    parser.add_argument("--ray-address", default=None,
                        help="address of a running Ray cluster (default: start a local one)")


def executor_from_args(args: argparse.Namespace) -> Executor:
    """The executor that :func:`add_executor_arguments`' options ask for."""
    name = args.executor or ("serial" if args.workers == 1 else "process")
    return get_executor(name, args.workers, address=args.ray_address)
