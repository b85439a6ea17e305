"""Executors give the serial path's scores; devices; the score cache's owner and location."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from naslib_zero.core.errors import InvalidArgumentError, WorkerDiedError
from naslib_zero.core.paths import score_cache_path
from naslib_zero.proxies import compute, list_proxies
from naslib_zero.scoring import (
    BatchSettings,
    PendingScoreCache,
    ScoreCache,
    build_model,
    load_batches,
    score_architectures,
)
from naslib_zero.scoring.executors import get_executor, threads_per_worker
from search_spaces import get_space
from search_spaces.base import SpaceRef

REPO = Path(__file__).resolve().parents[1]
NB201 = get_space("nb201")
ARCHS = [NB201.from_index(i) for i in (0, 1111, 5000, 9999, 15624)]


@pytest.fixture(scope="module")
def batches():
    return load_batches(BatchSettings("synthetic", 8))


@pytest.fixture(scope="module")
def serial_scores(batches):
    """The serial path with the thread count of each of 2 workers: the same float operations
    in the same order, so the values must agree bit for bit."""
    batch, second = batches
    threads = torch.get_num_threads()
    torch.set_num_threads(threads_per_worker(2))
    try:
        return score_architectures(NB201, ARCHS, "all", batch, second_batch=second,
                                   show_progress=False).scores
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["process", "ray"])
def test_parallel_executors_match_the_serial_path(name, batches, serial_scores, tmp_path):
    batch, second = batches
    cache = ScoreCache(tmp_path / "scores.sqlite")
    with get_executor(name, 2) as executor:
        run = score_architectures(NB201, ARCHS, "all", batch, second_batch=second,
                                  cache=cache, show_progress=False, executor=executor)
        again = score_architectures(NB201, ARCHS[:2], "all", batch, second_batch=second,
                                    cache=cache, show_progress=False, executor=executor)
    assert run.scores == serial_scores  # bit for bit
    assert run.computed == len(ARCHS)
    assert again.computed == 0  # the parent wrote every result it received
    rows = cache.db.execute("SELECT COUNT(DISTINCT arch) FROM scores").fetchone()[0]
    assert rows == len(ARCHS)


def test_space_refs_rebuild_the_registered_instance():
    assert NB201.ref == SpaceRef("nb201", (), "search_spaces.nb201")
    assert NB201.ref.resolve() is NB201


def _die_on_negative(shared: int, item: int) -> int:
    if item < 0:
        os._exit(1)  # as the system's out-of-memory killer ends a worker: no exception
    return shared + item


def test_a_dead_worker_is_a_clear_error_and_the_executor_recovers():
    executor = get_executor("process", workers=2)
    try:
        with pytest.raises(WorkerDiedError, match="died abruptly .* fewer workers"):
            list(executor.map(_die_on_negative, 10, [1, -1, 2]))
        assert sorted(executor.map(_die_on_negative, 10, [1, 2, 3])) == [11, 12, 13]
    finally:
        executor.close()


def test_executor_arguments_are_validated():
    with pytest.raises(InvalidArgumentError, match="unknown executor"):
        get_executor("threads", 2)
    with pytest.raises(InvalidArgumentError, match="one worker"):
        get_executor("serial", 2)
    with pytest.raises(InvalidArgumentError, match=">= 1"):
        get_executor("process", 0)
    with pytest.raises(InvalidArgumentError, match="ray executor only"):
        get_executor("process", 2, address="ray://head:10001")
    assert threads_per_worker(10_000) == 1


# ------------------------------------------------------------------------------- devices


def test_every_proxy_gives_the_same_value_with_an_explicit_cpu_device(batches):
    batch, second = batches
    pair = (second.inputs, second.targets)
    for arch in ARCHS[1:3]:
        implicit = compute(build_model(NB201, arch, batch), batch.inputs, batch.targets, "all",
                           second_batch=pair)
        explicit = compute(build_model(NB201, arch, batch), batch.inputs, batch.targets, "all",
                           second_batch=pair, device="cpu")
        assert set(implicit) == set(list_proxies())
        for name in implicit:
            assert explicit[name] == implicit[name], name


def test_devices_are_checked_before_any_pass(batches):
    batch, _ = batches
    model = NB201.to_model(ARCHS[1])
    if not torch.cuda.is_available():
        with pytest.raises(InvalidArgumentError, match="CUDA is not available"):
            compute(model, batch.inputs, batch.targets, "synflow", device="cuda")
    with pytest.raises(InvalidArgumentError, match="unknown device"):
        compute(model, batch.inputs, batch.targets, "synflow", device="tpu:x")
    with pytest.raises(InvalidArgumentError, match="different devices"):
        compute(model.to("meta"), batch.inputs, batch.targets, "synflow")


# ----------------------------------------------------------------------------- the cache


def test_a_worker_cache_reads_the_database_and_hands_its_rows_to_the_owner(tmp_path):
    owner = ScoreCache(tmp_path / "scores.sqlite")
    key, settings = ("nb201", "a", "h", 0), {"synflow": "s1", "snip": "s2"}
    owner.put(key, settings, {"synflow": 1.5}, 0.1)
    worker = PendingScoreCache(tmp_path / "scores.sqlite")
    assert worker.get(key, settings) == {"synflow": 1.5}
    worker.put(key, settings, {"snip": 2.5}, 0.2)
    assert worker.get(key, settings) == {"synflow": 1.5, "snip": 2.5}
    assert owner.get(key, settings) == {"synflow": 1.5}  # nothing written by the worker
    with pytest.raises(sqlite3.OperationalError):
        worker.db.execute("DELETE FROM scores")  # read-only
    owner.put_rows(worker.rows)
    assert owner.get(key, settings) == {"synflow": 1.5, "snip": 2.5}


def test_the_default_cache_is_outside_the_data_root(monkeypatch, tmp_path):
    monkeypatch.delenv("NASLIB_ZERO_CACHE")
    monkeypatch.setenv("NASLIB_ZERO_DATA", str(tmp_path / "data"))
    default = score_cache_path()
    assert default.name == "scores.sqlite" and tmp_path not in default.parents
    monkeypatch.setenv("NASLIB_ZERO_CACHE", str(tmp_path / "mine.sqlite"))
    assert score_cache_path() == tmp_path / "mine.sqlite"
    assert score_cache_path("explicit.sqlite") == Path("explicit.sqlite")


# --------------------------------------------------------------------- kill and resume


def _score_command(cache: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "naslib_zero.cli", "-q", "score", "--space", "nb201",
            "--sample", "40", "--dataset", "synthetic", "--batch-size", "8",
            "--proxies", "params,synflow,nwot,snip,jacob_cov", "--cache", str(cache),
            "--out", str(out)]


def _cached_archs(cache: Path) -> int:
    if not cache.exists():
        return 0
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COUNT(DISTINCT arch) FROM scores").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0
    finally:
        db.close()


def test_a_run_killed_with_sigkill_resumes_without_recomputing(tmp_path):
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    whole = tmp_path / "whole.csv"
    subprocess.run(_score_command(tmp_path / "whole.sqlite", whole), env=env, check=True,
                   cwd=REPO, capture_output=True)

    cache, out = tmp_path / "killed.sqlite", tmp_path / "resumed.csv"
    proc = subprocess.Popen(_score_command(cache, out), env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _cached_archs(cache) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _cached_archs(cache)
    assert 5 <= done < 40, "the run must be killed part-way"

    subprocess.run(_score_command(cache, out), env=env, check=True, cwd=REPO,
                   capture_output=True)
    meta = json.loads(Path(f"{out}.json").read_text())
    assert meta["scored_now"] == 40 - done  # nothing that was stored is recomputed
    assert out.read_text() == whole.read_text()


# ------------------------------------------------------------------------- the commands


def test_all_selects_every_architecture_of_a_finite_space_in_order():
    from argparse import Namespace

    from naslib_zero.cli.score import chosen_archs
    from tests.tiny_space import TinySpace

    every = Namespace(sample=None, archs=None, all=True)
    assert chosen_archs(TinySpace(), every) == list(TinySpace().enumerate())

    class Unbounded(TinySpace):
        def size(self):
            return None

    with pytest.raises(InvalidArgumentError, match="finite space"):
        chosen_archs(Unbounded(), every)


def test_shards_split_all_into_consecutive_blocks_in_order():
    from argparse import Namespace

    from naslib_zero.cli.score import chosen_archs
    from tests.tiny_space import TinySpace

    every = list(TinySpace().enumerate())
    shards = [chosen_archs(TinySpace(), Namespace(sample=None, archs=None, all=True,
                                                  shard=(k, 3))) for k in range(3)]
    assert [a for shard in shards for a in shard] == every
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    with pytest.raises(InvalidArgumentError, match="--shard splits --all"):
        chosen_archs(TinySpace(), Namespace(sample=4, archs=None, all=False, shard=(0, 2)))


@pytest.mark.parametrize("text", ["2/2", "1", "a/3", "-1/3", "1/0"])
def test_a_malformed_shard_is_refused(text, capsys):
    from naslib_zero.cli import main

    with pytest.raises(SystemExit):
        main(["score", "--all", f"--shard={text}"])
    assert "expected K/N with 0 <= K < N" in capsys.readouterr().err


def test_shard_files_evaluate_as_one_and_concatenate_to_the_whole_run(data_dir, tmp_path,
                                                                      capsys):
    from naslib_zero.analysis.evaluation import read_score_files
    from naslib_zero.cli import main
    from naslib_zero.core.errors import CorruptDataError

    common = ["--data-dir", str(data_dir), "-q", "score", "--space", "nb201", "--dataset",
              "synthetic", "--batch-size", "8", "--proxies", "params,synflow",
              "--cache", str(tmp_path / "c.sqlite")]
    shards = [tmp_path / f"shard-{k}.csv" for k in range(2)]
    for k, out in enumerate(shards):  # 15,625 // 5,000: positions 0-2 and 3-5
        assert main([*common, "--all", "--shard", f"{k}/5000", "--out", str(out)]) == 0
    meta = json.loads(Path(f"{shards[1]}.json").read_text())
    assert (meta["shard"], meta["architectures"]) == ("1/5000", 3)
    assert meta["peak_memory_mb"]["this_process"] > 50  # torch alone is larger
    (tmp_path / "first6.txt").write_text("\n".join(NB201.to_str(NB201.from_index(i))
                                                    for i in range(6)))
    whole = tmp_path / "whole.csv"
    assert main([*common, "--archs", str(tmp_path / "first6.txt"), "--out", str(whole)]) == 0
    body = [p.read_text().splitlines() for p in shards]
    assert whole.read_text().splitlines() == body[0] + body[1][1:]

    archs, scores = read_score_files(shards)
    assert archs == [NB201.to_str(NB201.from_index(i)) for i in range(6)]
    assert scores["params"].shape == (6,)
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "evaluate", *map(str, shards),
                 "--plots", str(tmp_path / "plots")]) == 0
    assert capsys.readouterr().out.startswith("6 architectures")
    with pytest.raises(CorruptDataError, match="more than once"):
        read_score_files([shards[0], shards[0]])
    (tmp_path / "other.csv").write_text("arch,snip\n" + body[1][1].split(",")[0] + ",1.0\n")
    with pytest.raises(CorruptDataError, match="columns"):
        read_score_files([shards[0], tmp_path / "other.csv"])


def test_score_with_a_process_pool_from_the_command_line(tmp_path):
    from naslib_zero.analysis.evaluation import read_scores
    from naslib_zero.cli import main

    common = ["-q", "score", "--sample", "6", "--dataset", "synthetic", "--batch-size", "8",
              "--proxies", "synflow,nwot"]
    assert main([*common, "--out", str(tmp_path / "serial.csv"),
                 "--cache", str(tmp_path / "a.sqlite")]) == 0
    assert main([*common, "--out", str(tmp_path / "pool.csv"), "--workers", "2",
                 "--cache", str(tmp_path / "b.sqlite")]) == 0
    archs, serial = read_scores(tmp_path / "serial.csv")
    pool_archs, pool = read_scores(tmp_path / "pool.csv")
    assert pool_archs == archs
    for name in serial:  # other thread counts: the last digits may differ
        assert pool[name] == pytest.approx(serial[name], rel=1e-5)


def test_search_seeds_in_parallel_equal_serial_runs(data_dir, tmp_path):
    from naslib_zero.cli import main

    common = ["--data-dir", str(data_dir), "-q", "search", "--strategy", "re", "--budget", "12",
              "--seeds", "3", "--proxy", "synflow", "--warmup", "8", "--proxy-data",
              "synthetic", "--batch-size", "8"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert main([*common, "--out", str(serial), "--cache", str(tmp_path / "a.sqlite")]) == 0
    cache = tmp_path / "b.sqlite"
    assert main([*common, "--out", str(parallel), "--workers", "2", "--cache", str(cache)]) == 0

    def trajectories(folder: Path) -> list[list[str]]:  # without the timing column
        rows = (folder / "trajectories.csv").read_text().splitlines()
        return [row.split(",")[:-1] for row in rows]

    assert trajectories(parallel) == trajectories(serial)
    assert _cached_archs(cache) >= 8  # the workers' proxy scores were written by the parent
