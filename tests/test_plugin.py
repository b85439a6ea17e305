"""A user adds a proxy with one decorated function in their own module, loaded as a plug-in."""

import csv
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from naslib_zero.core import plugins
from naslib_zero.proxies import compute, get_proxy, list_proxies, unregister


def test_user_module_registers_a_proxy(tmp_path, monkeypatch):
    (tmp_path / "my_proxies.py").write_text(textwrap.dedent('''
        from naslib_zero.proxies import proxy

        @proxy("grad_max", needs=["ce_grads"], uses_labels=True, reference="example")
        def grad_max(ctx):
            """Largest |dL/dW| over Conv/Linear weights."""
            return max(float(g.abs().max()) for g in ctx["ce_grads"])
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import my_proxies  # noqa: F401

        assert "grad_max" in list_proxies("grad_*") and get_proxy("grad_max").uses_labels
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
        x, y = torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0])
        values = compute(net, x, y, ["grad_max", "grad_norm"])
        loss = torch.nn.functional.cross_entropy(net(x), y)
        (g,) = torch.autograd.grad(loss, [net[1].weight])
        assert values["grad_max"] == float(g.abs().max())
        assert values["grad_norm"] == float(g.norm())
    finally:
        unregister("grad_max")
        sys.modules.pop("my_proxies", None)


# ------------------------------------------------------------- plug-ins from the command line

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("naslib-zero")  # the console script

PLUGIN = '''"""A plug-in written by the test."""
from naslib_zero.proxies import proxy

@proxy("{name}", needs=["activations"], uses_labels=True, reference="test plug-in")
def score(ctx):
    """Trainable parameters, counted by the plug-in."""
    return float(sum(p.numel() for p in ctx.model.parameters() if p.requires_grad))
'''


def write_plugin(folder: Path, module: str, proxy_name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(PLUGIN.format(name=proxy_name))
    return path


def cli(*args: str, cwd: Path, pythonpath: tuple[Path, ...] = (), env_plugins: str = "",
        ) -> subprocess.CompletedProcess:
    """The ``naslib-zero`` script (which, unlike ``python -m``, does not put ``cwd`` on
    sys.path) in a fresh process, with only the given plug-in settings."""
    env = {k: v for k, v in os.environ.items() if k != plugins.ENV_VAR}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(REPO)])
    if env_plugins:
        env[plugins.ENV_VAR] = env_plugins
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_plugins_from_the_environment_and_before_and_after_the_command(tmp_path):
    folder = tmp_path / "plugins"
    from_env = write_plugin(folder, "env_mod", "env_proxy")
    by_path = write_plugin(folder, "path_mod", "path_proxy")
    write_plugin(folder, "name_mod", "name_proxy")
    run = cli("--plugins", str(by_path), "proxies", "--plugins", "name_mod", cwd=folder,
              pythonpath=(folder,), env_plugins=f" ,{from_env},")
    assert run.returncode == 0, run.stderr
    rows = {line.split()[0]: line for line in run.stdout.splitlines()}
    header = rows["name"]
    assert header.split() == ["name", "needs", "direction", "labels", "settings", "reference"]
    for name in ("env_proxy", "path_proxy", "name_proxy"):
        assert rows[name].split(maxsplit=5) == [name, "activations", "higher", "yes", "-",
                                                "test plug-in"]
        assert rows[name].index("test plug-in") == header.index("reference")  # aligned
    assert rows["zen"].split()[4] == "mixup_gamma=0.01"
    assert rows["synflow"].split()[1:4] == ["synflow_grads", "higher", "no"]


def test_process_workers_load_the_plugins_of_the_parent(tmp_path):
    path = write_plugin(tmp_path / "plugins", "my_mod", "my_proxy")
    work = tmp_path / "work"
    run = cli("-q", "--plugins", str(path), "score", "--space", "nb201", "--sample", "2",
              "--dataset", "synthetic", "--batch-size", "8", "--proxies", "my_proxy,params",
              "--workers", "2", "--executor", "process", "--cache", "tmp/x.sqlite",
              "--out", "tmp/s.csv", cwd=work)
    assert run.returncode == 0, run.stderr
    with open(work / "tmp" / "s.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2
    assert all(row["my_proxy"] == row["params"] and float(row["params"]) > 0 for row in rows)


def test_a_plugin_that_fails_to_import_is_one_line(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "my_mod.py").write_text("import foo\n")
    run = cli("--plugins", "my_mod", "proxies", cwd=tmp_path / "work",
              pythonpath=(tmp_path / "plugins",))
    assert run.returncode == 2
    assert run.stderr == ("naslib-zero: error: plug-in 'my_mod' failed to import: "
                          "ModuleNotFoundError: No module named 'foo'\n")
    assert run.stdout == ""


def test_an_installed_package_registers_through_its_entry_point(tmp_path):
    site = tmp_path / "site"
    write_plugin(site, "ep_plugin", "ep_proxy")
    info = site / "ep_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[naslib_zero.plugins]\nmine = ep_plugin\n")
    run = cli("proxies", "ep_proxy", cwd=tmp_path / "work", pythonpath=(site,))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "name        ep_proxy",
        "needs       activations (shared)",
        "direction   higher is better (cannot be scored: -inf)",
        "labels      used",
        "settings    -",
        "reference   test plug-in",
        f"defined in  ep_plugin ({site / 'ep_plugin.py'})",
        "",
        "Trainable parameters, counted by the plug-in."]


# ------------------------------------------------------------------------- in this process


@pytest.fixture
def fresh_plugins(monkeypatch):
    """An empty record of loaded plug-ins; the proxies the test's plug-ins register removed."""
    monkeypatch.setattr(plugins, "_LOADED", [])
    monkeypatch.delenv(plugins.ENV_VAR, raising=False)
    before = set(list_proxies())
    yield
    for name in set(list_proxies()) - before:
        unregister(name)
    for name in [m for m in sys.modules if m.startswith("naslib_zero_plugin_")]:
        del sys.modules[name]


def test_a_plugin_file_runs_once_under_a_name_fixed_by_its_path(tmp_path, monkeypatch,
                                                                fresh_plugins):
    path = write_plugin(tmp_path, "once", "once_proxy")
    monkeypatch.chdir(tmp_path)
    assert plugins.load_plugins(["once.py", str(path)]) == [str(path), str(path)]
    assert plugins.loaded_plugins() == (str(path),)
    module = sys.modules[plugins.module_name_for(path)]
    assert get_proxy("once_proxy").fn is module.score
    assert plugins.module_name_for(path) == plugins.module_name_for(Path(str(path)))
    assert plugins.module_name_for(path) != plugins.module_name_for(tmp_path / "x" / "once.py")


def test_plugin_errors_name_the_plugin(tmp_path, monkeypatch, fresh_plugins):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(plugins.PluginError, match=r"plug-in 'gone\.py' not found: no file "):
        plugins.load_plugin("gone.py")
    with pytest.raises(plugins.PluginError, match=r"No module named 'gone_mod' \(the current "
                                                  r"folder is not searched: .*\./gone_mod\.py"):
        plugins.load_plugin("gone_mod")
    (tmp_path / "twice.py").write_text(PLUGIN.format(name="grad_norm"))
    with pytest.raises(plugins.PluginError, match="ValueError: proxy 'grad_norm' is already "):
        plugins.load_plugin("twice.py")
    assert plugins.loaded_plugins() == ()
    assert not [m for m in sys.modules if m.startswith("naslib_zero_plugin_twice")]


def test_a_broken_entry_point_names_its_package(tmp_path, monkeypatch, fresh_plugins):
    info = tmp_path / "broken_ep-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-ep\nVersion: 2.0\n")
    (info / "entry_points.txt").write_text("[naslib_zero.plugins]\nbroken = no_such_module_x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(plugins.PluginError, match=r"plug-in 'no_such_module_x' failed to "
                                                  r"import: .* \(entry point 'broken' of "
                                                  r"broken-ep\)"):
        plugins.load_startup_plugins()
