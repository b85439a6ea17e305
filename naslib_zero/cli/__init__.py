"""The command line, the top layer: ``naslib-zero spaces | proxies | estimators | info | score |
evaluate | search``.

Argument parsing and printing live here; every layer below takes typed settings."""

from naslib_zero.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
