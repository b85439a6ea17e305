"""The ``naslib-zero`` command line.

Each sub-command is a function decorated with :func:`~naslib_zero.cli.options.command`, which
records its name, help text and argument setup; its module is imported here. ``main`` parses,
loads the plug-ins (entry points, ``$NASLIB_ZERO_PLUGINS``, ``--plugins``; see
:mod:`naslib_zero.core.plugins`), runs the command, and turns the toolkit's own errors
(:class:`~naslib_zero.core.errors.NaslibZeroError`) into one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from naslib_zero import __version__
from naslib_zero.cli import (  # noqa: F401  (register commands)
    describe,
    evaluate,
    proxies,
    score,
    search,
)
from naslib_zero.cli.options import COMMANDS, Parser
from naslib_zero.core import progress
from naslib_zero.core.errors import NaslibZeroError
from naslib_zero.core.plugins import ENV_VAR, load_startup_plugins, plugin_names

PLUGINS_HELP = ("import these modules or .py files first (comma list, repeatable; also "
                f"${ENV_VAR} and the 'naslib_zero.plugins' entry points): they register "
                "proxies, spaces, strategies and estimators")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(  # sub-command parsers inherit its one-line usage errors
        prog="naslib-zero", description="Zero-cost neural architecture search toolkit.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", default=None,
                        help="data folder (default: $NASLIB_ZERO_DATA, else the user cache)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--plugins", action="append", metavar="MODULE[,MODULE]",
                        help=PLUGINS_HELP)
    common = argparse.ArgumentParser(add_help=False)  # the same options after the command
    common.add_argument("--plugins", action="append", dest="command_plugins",
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS.values():
        cmd.setup(sub.add_parser(cmd.name, help=cmd.help, description=cmd.help,
                                 parents=[common]))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    progress.set_enabled(not args.quiet)
    lists = [*(args.plugins or []), *getattr(args, "command_plugins", [])]
    try:
        load_startup_plugins([name for text in lists for name in plugin_names(text)])
        return COMMANDS[args.command].run(args) or 0
    except NaslibZeroError as err:
        print(f"naslib-zero: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("naslib-zero: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (e.g. `| head`) closed stdout: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a killed writer
