"""The score cache: an SQLite store of proxy and estimator values, one commit per architecture.

An existing cache file is checked through read-only SQLite connections before anything may
write to it (its 16-byte header, ``PRAGMA quick_check``, its tables): a damaged file, or an
SQLite database that is not a score cache, raises :class:`~naslib_zero.core.errors.ScoreCacheError`
and is left byte for byte as it was, with no ``-wal``/``-shm`` file beside it. A cache that
this process may not write (read-only file, folder or file system) is opened read-only: its
values are served, and only storing a new value raises.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from naslib_zero.core.errors import ScoreCacheError
from naslib_zero.core.paths import writable_path

SQLITE_HEADER = b"SQLite format 3\x00"
WHAT_TO_DO = ("move it away (a new cache is then started) or choose another one with --cache "
              "or $NASLIB_ZERO_CACHE")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing, not even a WAL database's ``-wal``/``-shm`` files:
    ``immutable`` unless a ``-wal`` file beside the database shows that a writer may be active
    (then SQLite reads the log, through the writer's ``-shm``)."""
    live = Path(f"{path}-wal").exists()
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if live else "&immutable=1")
    return sqlite3.connect(uri, uri=True)


def _damaged(path: Path, what: object) -> ScoreCacheError:
    detail = " ".join(str(what).split())  # quick_check's report spans lines
    return ScoreCacheError(f"the score cache {path} is damaged ({detail}); it was left as it "
                           f"is: {WHAT_TO_DO}")


def check_cache_file(path: Path) -> set[str]:
    """The table names of the existing file ``path``, or ScoreCacheError if it is damaged or
    not a score cache. Reads only; an empty file is an empty database, as for SQLite."""
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as err:
        raise ScoreCacheError(f"cannot read the score cache {path}: {err.strerror}") from err
    if not header:
        return set()
    if header != SQLITE_HEADER:
        raise _damaged(path, "not an SQLite database")
    try:
        db = connect_read_only(path)
        try:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as err:
        raise _damaged(path, err) from err
    if problems != ["ok"]:
        raise _damaged(path, problems[0])
    if tables and "scores" not in tables:
        raise ScoreCacheError(f"{path} is an SQLite database but not a score cache (no table "
                              f"'scores'); it was left as it is: {WHAT_TO_DO}")
    return tables


class ScoreCache:
    """SQLite store of proxy values; safe to interrupt (each architecture is one commit).

    ``read_only`` is set when the file exists but this process may not write it or its folder
    (SQLite's write-ahead log lives beside the file): values are read, :meth:`put` raises.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        exists = self.path.is_file()
        tables = check_cache_file(self.path) if exists else set()
        self.read_only = exists and not (os.access(self.path, os.W_OK)
                                         and os.access(self.path.parent, os.W_OK | os.X_OK))
        if self.read_only:
            if "scores" not in tables:
                raise ScoreCacheError(f"the score cache {self.path} is read-only and holds no "
                                      f"scores yet: {WHAT_TO_DO}")
            with self._errors("opening"):
                self.db = connect_read_only(self.path)
                self._columns = {row[1] for row in self.db.execute("PRAGMA table_info(scores)")}
            return
        if not exists:
            writable_path(self.path, "score cache")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("opening"):
            self.db = sqlite3.connect(self.path)
            # WAL: readers never block the writer, and a commit per architecture stays cheap
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS scores (space TEXT, arch TEXT, proxy TEXT, "
                "settings TEXT, batch TEXT, seed INTEGER, value REAL, seconds REAL, "
                "threads INTEGER, PRIMARY KEY (space, arch, proxy, settings, batch, seed))")
            self._columns = {row[1] for row in self.db.execute("PRAGMA table_info(scores)")}
            if "threads" not in self._columns:
                # a cache written before thread counts were recorded: its rows keep NULL
                self.db.execute("ALTER TABLE scores ADD COLUMN threads INTEGER")
                self._columns.add("threads")

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """SQLite errors (a full disk, a lock held too long, damage found late) in one line."""
        try:
            yield
        except sqlite3.Error as err:
            raise ScoreCacheError(f"score cache {self.path}: {doing} failed: {err}") from err

    def get(self, key: tuple, settings: dict[str, str]) -> dict[str, float]:
        """Cached values of the proxies in ``settings`` (proxy -> its settings key)."""
        with self._errors("reading"):
            rows = self.db.execute(
                "SELECT proxy, settings, value FROM scores WHERE space=? AND arch=? AND batch=? "
                "AND seed=?", key).fetchall()
        return {p: v for p, s, v in rows if settings.get(p) == s}

    def threads(self, key: tuple, settings: dict[str, str]) -> dict[str, int | None]:
        """The torch thread count recorded with each cached value of the proxies in
        ``settings`` (None: not recorded, e.g. a row written before counts were)."""
        column = "threads" if "threads" in self._columns else "NULL"  # read-only, old cache
        with self._errors("reading"):
            rows = self.db.execute(
                f"SELECT proxy, settings, {column} FROM scores WHERE space=? AND arch=? "
                "AND batch=? AND seed=?", key).fetchall()
        return {p: t for p, s, t in rows if settings.get(p) == s}

    def put(self, key: tuple, settings: dict[str, str], values: dict[str, float],
            seconds: float, threads: int | None = None) -> None:
        if self.read_only:
            raise ScoreCacheError(
                f"the score cache {self.path} is read-only, and new values must be stored (the "
                f"ones already in it were read): copy it to a writable folder and pass the "
                f"copy with --cache or $NASLIB_ZERO_CACHE")
        space, arch, batch, seed = key
        with self._errors("writing"), self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO scores (space, arch, proxy, settings, batch, seed, value, "
                "seconds, threads) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(space, arch, p, settings[p], batch, seed, v, seconds, threads)
                 for p, v in values.items()])

    def seconds(self, key: tuple, name: str, settings: str) -> float | None:
        """The compute seconds recorded with one proxy's or estimator's value (a proxy's are
        those of all proxies computed with it), or None if the cache lacks it."""
        space, arch, batch, seed = key
        with self._errors("reading"):
            row = self.db.execute(
                "SELECT seconds FROM scores WHERE space=? AND arch=? AND proxy=? AND settings=? "
                "AND batch=? AND seed=?", (space, arch, name, settings, batch, seed)).fetchone()
        return row[0] if row else None

    def put_rows(self, rows: Sequence[tuple]) -> None:
        """Write rows a :class:`PendingScoreCache` collected in a worker."""
        for key, settings, values, seconds, threads in rows:
            self.put(key, settings, values, seconds, threads)

    def close(self) -> None:
        self.db.close()


class PendingScoreCache(ScoreCache):
    """A worker's view of the owner's cache: reads the database (read-only), keeps what it
    computes in memory (``rows``) for the owner to write with :meth:`ScoreCache.put_rows`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.read_only = False  # put keeps the rows in memory, for the owner to write
        with self._errors("opening"):
            self.db = connect_read_only(self.path)
            self._columns = {row[1] for row in self.db.execute("PRAGMA table_info(scores)")}
        self.rows: list[tuple] = []
        self._new: dict[tuple, dict[tuple[str, str], float]] = {}

    def get(self, key: tuple, settings: dict[str, str]) -> dict[str, float]:
        values = super().get(key, settings)
        new = self._new.get(key, {})
        values.update({p: v for (p, s), v in new.items() if settings.get(p) == s})
        return values

    def put(self, key: tuple, settings: dict[str, str], values: dict[str, float],
            seconds: float, threads: int | None = None) -> None:
        self.rows.append((key, {p: settings[p] for p in values}, dict(values), seconds,
                          threads))
        self._new.setdefault(key, {}).update({(p, settings[p]): v for p, v in values.items()})
