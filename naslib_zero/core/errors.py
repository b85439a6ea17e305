"""Exceptions raised for bad user input and bad data files.

Every error the toolkit raises on purpose derives from :class:`NaslibZeroError`, so the CLI can
print its message without a traceback while real bugs still show one.
"""

from __future__ import annotations


class NaslibZeroError(Exception):
    """Base class of the toolkit's own errors."""


class InvalidArchitectureError(NaslibZeroError, ValueError):
    """An architecture string, index or decision vector that the search space rejects."""


class UnknownNameError(NaslibZeroError, KeyError):
    """An unknown search space, dataset, metric or proxy name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(NaslibZeroError, FileNotFoundError):
    """A data or benchmark file that is not where it should be."""


class CorruptDataError(NaslibZeroError, ValueError):
    """A data or benchmark file that exists but cannot be read or has the wrong content."""


class InvalidArgumentError(NaslibZeroError, ValueError):
    """An argument value the toolkit rejects (batch size, fraction, budget, ...)."""


class NotIndexableError(NaslibZeroError, TypeError):
    """An index, size or enumeration asked of a space (or table) that has none."""


class WorkerDiedError(NaslibZeroError, RuntimeError):
    """A worker process ended abruptly (killed for memory, a crash in native code)."""


class ScoreCacheError(NaslibZeroError, OSError):
    """A score cache that cannot be used: damaged, not a score cache, or read-only when a value
    must be written. The file is left as it is."""
