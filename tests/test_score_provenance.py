"""What the score cache records beside each value without changing its key: the torch thread
count (a run that mixes counts says so) and the engine's verdict whether the network's output
depends on its input (values cached before the rule stay valid, except for such networks)."""

import json
import sqlite3

import pytest
import torch

from naslib_zero.cli import main
from naslib_zero.data import synthetic_batch
from naslib_zero.proxies import get_proxy
from naslib_zero.scoring import BatchSettings, ScoreCache, score_architectures, settings_key
from naslib_zero.scoring.executors import SerialExecutor
from naslib_zero.scoring.score import VERDICT
from search_spaces import get_space
from tests.tiny_space import TinySpace

NB201 = get_space("nb201")
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
SKIP_PATH = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"
OLD_SCHEMA = ("CREATE TABLE scores (space TEXT, arch TEXT, proxy TEXT, settings TEXT, "
              "batch TEXT, seed INTEGER, value REAL, seconds REAL, "
              "PRIMARY KEY (space, arch, proxy, settings, batch, seed))")


class RecordingExecutor(SerialExecutor):
    """The serial executor, remembering the tasks it ran."""

    def __init__(self) -> None:
        self.tasks: list = []

    def map(self, fn, shared, items):
        for item in items:
            self.tasks.append(item)
            yield fn(shared, item)


def with_threads(threads: int, fn, *args, **kwargs):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return fn(*args, **kwargs)
    finally:
        torch.set_num_threads(before)


def test_thread_count_is_recorded_with_each_value_and_a_mix_is_reported(tmp_path):
    space = TinySpace()
    archs = [(0, 0, 0, 0), (1, 2, 3, 0), (3, 3, 3, 1), (2, 0, 1, 3)]
    batch = synthetic_batch("gaussian", 8, (3, 32, 32), 10, seed=0)
    cache = ScoreCache(tmp_path / "c.sqlite")
    kwargs = {"cache": cache, "show_progress": False}
    one = with_threads(1, score_architectures, space, archs[:2], "snip,grasp", batch, **kwargs)
    two = with_threads(2, score_architectures, space, archs[2:], "snip,grasp", batch, **kwargs)
    assert one.thread_counts == {1: 4} and two.thread_counts == {2: 4}
    assert one.thread_warning() is None and two.thread_warning() is None
    both = score_architectures(space, archs, "snip,grasp", batch, **kwargs)
    assert both.computed == 0 and both.thread_counts == {1: 4, 2: 4}
    assert "1 threads: 4 values, 2 threads: 4 values" in both.thread_warning()
    skeys = {n: settings_key(BatchSettings("synthetic", 8), n) for n in ("snip", "grasp")}
    recorded = cache.threads((space.name, "1-2-3-0", batch.hash, 0), skeys)
    assert recorded == {"snip": 1, "grasp": 1}


def test_score_command_writes_thread_counts_and_warns_on_a_mix(tmp_path, capsys):
    archs = tmp_path / "archs.txt"
    common = ["-q", "score", "--archs", str(archs), "--proxies", "params,snip", "--dataset",
              "synthetic", "--batch-size", "4", "--cache", str(tmp_path / "c.sqlite"),
              "--out", str(tmp_path / "s.csv")]
    archs.write_text(SKIP_PATH + "\n")
    assert with_threads(1, main, common) == 0
    archs.write_text(ALL_NONE + "\n")
    assert with_threads(2, main, common) == 0
    archs.write_text(SKIP_PATH + "\n" + ALL_NONE + "\n")
    capsys.readouterr()
    assert main(common) == 0
    meta = json.loads((tmp_path / "s.csv.json").read_text())
    assert meta["torch_threads (proxy values per count)"] == {"1": 2, "2": 2}
    assert "warning: the proxy values mix torch thread counts" in capsys.readouterr().out


def old_cache(path, batch, values: dict[str, dict[str, float]]) -> None:
    """A cache as written before thread counts and verdicts were recorded."""
    settings = BatchSettings("synthetic", len(batch))
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        db.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [("nb201", arch, name, settings_key(settings, name), batch.hash, 0, v,
                         1.0)
                        for arch, by_name in values.items() for name, v in by_name.items()])
    db.close()


def test_old_cache_stays_valid_and_its_degenerate_networks_become_worst(tmp_path):
    batch = synthetic_batch("gaussian", 4, (3, 32, 32), 10, seed=0)
    # finite values for the all-none network, as before the rule; the values are made up, to
    # show that the skip-path ones are read, not recomputed
    old_cache(tmp_path / "old.sqlite", batch, {ALL_NONE: {"params": 650.0, "snip": 0.0},
                                               SKIP_PATH: {"params": 42.0, "snip": 3.5}})
    cache = ScoreCache(tmp_path / "old.sqlite")
    archs = [NB201.from_str(a) for a in (ALL_NONE, SKIP_PATH)]
    executor = RecordingExecutor()
    run = score_architectures(NB201, archs, "params,snip", batch, cache=cache,
                              executor=executor, show_progress=False)
    assert run.scores == {"params": [-float("inf"), 42.0], "snip": [-float("inf"), 3.5]}
    assert run.computed == 0 and [t.proxies for t in executor.tasks] == [(), ()]  # verdicts
    assert run.thread_counts == {None: 4}  # written before counts were recorded
    again = RecordingExecutor()
    assert score_architectures(NB201, archs, "params,snip", batch, cache=cache,
                               executor=again, show_progress=False).scores == run.scores
    assert again.tasks == []  # the verdicts are cached now
    rows = dict(cache.db.execute("SELECT arch, value FROM scores WHERE proxy=?", (VERDICT,)))
    assert rows == {ALL_NONE: 0.0, SKIP_PATH: 1.0}


def test_newly_scored_degenerate_network_is_worst_for_every_requested_proxy(tmp_path):
    batch = synthetic_batch("gaussian", 4, (3, 32, 32), 10, seed=0)
    run = score_architectures(NB201, [NB201.from_str(ALL_NONE)], "all", batch,
                              cache=ScoreCache(tmp_path / "c.sqlite"), show_progress=False)
    assert run.computed == 1
    assert run.scores == {n: [get_proxy(n).worst] for n in run.proxies}


@pytest.mark.parametrize(("proxy", "device", "key"), [
    ("snip", None, "45686f69dcc50e14"), ("sweet", None, "b44709dafd1fcba6"),
    ("zen", torch.device("cuda"), "52e8fd5f047ce4f7")])
def test_settings_keys_are_those_of_values_cached_before(proxy, device, key):
    """Keys computed by the code before thread counts and verdicts were recorded."""
    assert settings_key(BatchSettings("cifar10", 64), proxy, device) == key
