"""Where work runs: in this process, in a local process pool, or on Ray.

A unit of work is ``fn(shared, item)``: ``fn`` a top-level function, ``shared`` what every
item of one run needs (for scoring: the space reference, the batches and the device), sent to
each worker once, and ``item`` one small picklable task. Each worker first loads the plug-ins
this process loaded (:func:`~naslib_zero.core.plugins.loaded_plugins`), so proxies, spaces and
estimators a plug-in registers exist there too. An executor only decides where ``fn``
runs; :meth:`Executor.map` yields each result as soon as it arrives, in completion order, so
the caller -- the one process that owns the score cache -- stores it at once and nothing
computed is lost when a worker dies or the run is interrupted.

* ``serial``: ``fn`` in this process, one item after another.
* ``process``: a pool of ``workers`` spawned processes (spawn, not fork: forking a process
  whose torch thread pool is running can hang), each with ``cores // workers`` torch threads
  (or ``threads``).
  The pool lives as long as the executor while ``shared`` stays the same, so a search that
  scores a few architectures at a time does not pay the start-up again.
* ``ray``: ``workers`` Ray actors, each holding ``shared``; ``address`` joins an existing
  cluster, otherwise a local Ray instance with this machine's cores is started; each actor
  reserves as many CPUs as it has torch threads. Ray is an optional
  dependency (``pip install "naslib-zero[ray]"``), imported only here and only when used.

At most ``2 * workers`` items are in flight, so memory stays bounded however many items there
are. Results equal the serial executor's bit for bit when it runs with the workers' thread
count (a different thread count changes the order of float reductions, in the last digits).
pymoo's elementwise runners are the model for this seam.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from naslib_zero.core.errors import InvalidArgumentError, WorkerDiedError
from naslib_zero.core.plugins import load_plugins, loaded_plugins

EXECUTORS = ("serial", "process", "ray")
Work = Callable[[Any, Any], Any]


def available_cores() -> int:
    """CPU cores this process may use (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of ``workers`` workers sharing this machine's cores."""
    return max(1, available_cores() // workers)


def shared_key(shared: Any) -> Any:
    """What identifies ``shared`` for reusing warm workers: its ``key`` attribute if it has
    one (a ScoringJob: space, batch hashes, device), else the object itself."""
    return getattr(shared, "key", id(shared))


class Executor(ABC):
    """Runs ``fn(shared, item)`` for many items; use as a context manager to release workers."""

    name: str
    workers: int = 1

    @abstractmethod
    def map(self, fn: Work, shared: Any, items: Iterable[Any]) -> Iterator[Any]:
        """``fn(shared, item)`` for every item, yielded as each one completes."""

    @abstractmethod
    def close(self) -> None:
        """Stop the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.workers})"


class SerialExecutor(Executor):
    """Everything in this process: the default, and the reference the others must match."""

    name = "serial"

    def map(self, fn: Work, shared: Any, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(shared, item)

    def close(self) -> None:
        """Nothing to stop."""


# ------------------------------------------------------------------------- process pool

_WORKER: tuple[Work, Any] | None = None  # (fn, shared) installed in each pool process


def _install(fn: Work, shared: Any, threads: int, plugins: tuple[str, ...]) -> None:
    """Set up a worker: the parent's plug-ins, torch's thread count, the run's work."""
    import torch

    global _WORKER
    load_plugins(plugins)
    torch.set_num_threads(threads)
    _WORKER = (fn, shared)


def _call(item: Any) -> Any:
    assert _WORKER is not None, "pool worker used before its initializer ran"
    fn, shared = _WORKER
    return fn(shared, item)


def _windowed(submit: Callable[[Any], Future], items: Iterable[Any], window: int,
              ) -> Iterator[Any]:
    """Results of ``submit(item)`` futures as they complete, at most ``window`` in flight."""
    pending: set[Future] = set()
    source = iter(items)
    try:
        for item in source:
            pending.add(submit(item))
            if len(pending) >= window:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
    finally:
        for f in pending:
            f.cancel()


class ProcessExecutor(Executor):
    """A local pool of ``workers`` spawned processes."""

    name = "process"

    def __init__(self, workers: int = 2, threads: int | None = None) -> None:
        if workers < 1:
            raise InvalidArgumentError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.threads = threads or threads_per_worker(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._key: Any = None

    def _pool_for(self, fn: Work, shared: Any) -> ProcessPoolExecutor:
        plugins = loaded_plugins()
        key = (fn.__module__, fn.__qualname__, shared_key(shared), plugins)
        if self._pool is None or key != self._key:
            self.close()
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_install, initargs=(fn, shared, self.threads, plugins))
            self._key = key
        return self._pool

    def map(self, fn: Work, shared: Any, items: Iterable[Any]) -> Iterator[Any]:
        pool = self._pool_for(fn, shared)
        try:
            yield from _windowed(lambda item: pool.submit(_call, item), items, 2 * self.workers)
        except BrokenProcessPool:
            self._pool = None  # a broken pool takes no more work; the next map starts a new one
            raise WorkerDiedError(
                f"a worker process of the {self.workers}-process pool died abruptly (most often "
                "killed by the system for lack of memory); results returned before it are kept, "
                "so rerunning resumes; use fewer workers or a smaller batch") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ---------------------------------------------------------------------------------- ray


def import_ray():
    try:
        import ray
    except ImportError:
        raise InvalidArgumentError(
            "the ray executor needs Ray: pip install 'naslib-zero[ray]'") from None
    return ray


class _RayWorker:
    """A Ray actor holding one run's shared value; wrapped with ``ray.remote`` on first use."""

    def __init__(self, fn: Work, shared: Any, threads: int, plugins: tuple[str, ...]) -> None:
        _install(fn, shared, threads, plugins)

    def run(self, item: Any) -> Any:
        return _call(item)


class RayExecutor(Executor):
    """``workers`` Ray actors on a local Ray instance or the cluster at ``address``."""

    name = "ray"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        if workers < 1:
            raise InvalidArgumentError(f"workers must be >= 1, got {workers}")
        self.ray = import_ray()
        self.workers, self.address = workers, address
        self._started = False
        self._actors: list[Any] = []
        self._key: Any = None

    def _connect(self) -> None:
        if self.ray.is_initialized():
            return
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "configure_logging": False}
        if self.address:
            self.ray.init(address=self.address, **options)
        else:
            self.ray.init(num_cpus=max(available_cores(), self.workers), **options)
        self._started = True

    def _actors_for(self, fn: Work, shared: Any) -> list[Any]:
        plugins = loaded_plugins()
        key = (fn.__module__, fn.__qualname__, shared_key(shared), plugins)
        if not self._actors or key != self._key:
            self._connect()
            self._release_actors()
            # on a cluster, or an instance someone else started, the CPUs are unknown here:
            # reserve one per actor, so the actors are always placeable
            threads = threads_per_worker(self.workers) if self._started else 1
            actor = self.ray.remote(num_cpus=threads)(_RayWorker)
            ref = self.ray.put(shared)
            self._actors = [actor.remote(fn, ref, threads, plugins)
                            for _ in range(self.workers)]
            self._key = key
        return self._actors

    def map(self, fn: Work, shared: Any, items: Iterable[Any]) -> Iterator[Any]:
        ray = self.ray
        actors = self._actors_for(fn, shared)
        idle = list(actors)
        running: dict[Any, Any] = {}  # object ref -> actor
        source = iter(items)
        try:
            while True:
                while idle:
                    item = next(source, _END)
                    if item is _END:
                        break
                    actor = idle.pop()
                    running[actor.run.remote(item)] = actor
                if not running:
                    return
                (done,), _ = ray.wait(list(running), num_returns=1)
                idle.append(running.pop(done))
                yield ray.get(done)
        finally:
            for ref in running:
                with contextlib.suppress(Exception):  # already finished, or its actor died
                    ray.cancel(ref)

    def _release_actors(self) -> None:
        for actor in self._actors:
            self.ray.kill(actor)
        self._actors = []

    def close(self) -> None:
        if self.ray.is_initialized():
            self._release_actors()
            if self._started:
                self.ray.shutdown()
                self._started = False


_END = object()


def get_executor(name: str = "serial", workers: int = 1, *, address: str | None = None,
                 ) -> Executor:
    """An executor by name: ``serial``, ``process`` (``workers`` processes) or ``ray``
    (``workers`` actors; ``address`` of an existing cluster, else a local instance)."""
    if name not in EXECUTORS:
        raise InvalidArgumentError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    if address and name != "ray":
        raise InvalidArgumentError("--ray-address applies to the ray executor only")
    if name == "serial":
        if workers != 1:
            raise InvalidArgumentError("the serial executor has one worker; use process or ray")
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    return RayExecutor(workers, address)
