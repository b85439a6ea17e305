"""The trainer, the training estimators and the training oracle, on tiny settings."""

import csv
import json
import math

import pytest
import torch

from naslib_zero.cli import main
from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from naslib_zero.scoring import ScoreCache, build_model
from naslib_zero.scoring.estimators import (
    EstimatorRun,
    estimate_architectures,
    get_estimator,
    split_names,
)
from naslib_zero.scoring.executors import ProcessExecutor
from naslib_zero.scoring.training import (
    Recipe,
    TrainingData,
    load_training_data,
    prepare,
    train_model,
)
from search_spaces import get_space
from strategies.oracle import TrainingOracle

TINY = "nb201:C=2,N=1"  # NB201 cells in a network small enough to train in a second


def random_data(n: int = 64, seed: int = 0) -> TrainingData:
    """``n`` random 32x32 images with random labels of 10 classes (train and val the same)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return TrainingData("cifar10", 10, images, labels, images, labels,
                        torch.full((1, 3, 1, 1), 0.5), torch.full((1, 3, 1, 1), 0.25))


def test_trainer_learns_a_fixed_small_batch():
    space = get_space("nb201", C=4, N=1)
    model = build_model(space, space.from_index(6111), "cifar10", seed=0)
    recipe = Recipe(epochs=40, batch_size=64, lr=0.1, weight_decay=0.0, augment=False,
                    grad_clip=None)
    result = train_model(model, random_data(), recipe)
    assert result.train_losses[-1] < 0.3 * result.train_losses[0]
    assert result.val_accuracy > 60  # random labels: only memorising gets above 10 %
    assert result.images_seen == 40 * 64


def test_training_is_reproducible_from_its_seed():
    space = get_space("nb201", C=2, N=1)
    recipe = Recipe(epochs=2, batch_size=16)
    runs = [train_model(build_model(space, space.from_index(100), "cifar10", seed=0),
                        random_data(), recipe, seed=s) for s in (0, 0, 1)]
    assert runs[0].train_losses == runs[1].train_losses
    assert runs[0].train_losses != runs[2].train_losses


def test_recipe_validates_and_keys_every_field():
    with pytest.raises(InvalidArgumentError, match="epochs"):
        Recipe(epochs=0)
    with pytest.raises(InvalidArgumentError, match="sample_ratio"):
        Recipe(sample_ratio=1.5)
    keys = {Recipe().key(), Recipe(epochs=3).key(), Recipe(resolution=16).key(),
            Recipe(space_options=(("C", 4),)).key()}
    assert len(keys) == 4
    assert Recipe(space_options=(("N", 1), ("C", 4))) == Recipe(space_options=(("C", 4), ("N", 1)))


def test_prepare_augments_reproducibly_and_resizes():
    data, recipe = random_data(8), Recipe(resolution=16)
    first = prepare(data.train_images, data, recipe, torch.Generator().manual_seed(0))
    again = prepare(data.train_images, data, recipe, torch.Generator().manual_seed(0))
    plain = prepare(data.train_images, data, recipe)
    assert first.shape == plain.shape == (8, 3, 16, 16)
    assert torch.equal(first, again) and not torch.equal(first, plain)


def test_training_split_holds_out_a_fifth_disjointly(data_dir):
    data = load_training_data("cifar10", data_dir)
    assert (len(data.train_labels), len(data.val_labels)) == (3728, 932)  # 4,660 images here
    train = {bytes(x.numpy()) for x in data.train_images}
    assert not any(bytes(x.numpy()) in train for x in data.val_images)
    assert load_training_data("cifar10", data_dir).fingerprint == data.fingerprint
    assert load_training_data("cifar10", data_dir, val_fraction=0.5).fingerprint != \
        data.fingerprint


def test_names_split_into_proxies_and_estimators():
    assert split_names("synflow,econas,oneshot") == (["synflow"], ["econas", "oneshot"])
    with pytest.raises(UnknownNameError, match="available"):
        split_names("no_such_thing")
    assert get_estimator("econas", epochs=1).recipe.epochs == 1
    with pytest.raises(UnknownNameError):
        get_estimator("nope")


def test_reduced_channels_need_a_space_that_can_narrow(data_dir):
    with pytest.raises(InvalidArgumentError, match="space options"):
        estimate_architectures(get_space("nats_sss"), ["8:8:8:8:8"], [get_estimator("econas")],
                               EstimatorRun("cifar10", data_dir, show_progress=False))


def test_training_oracle_caches_and_reuses_results(data_dir, tmp_path):
    space = get_space(TINY)
    arch = space.from_index(6111)
    cache = ScoreCache(tmp_path / "c.sqlite")
    oracle = TrainingOracle(space, "cifar10", epochs=1, cache=cache, data_dir=data_dir)
    value = oracle(arch)
    assert 0 <= value <= 100 and oracle.trained == 1 and oracle.seconds > 0
    assert oracle(arch) == value and (oracle.trained, oracle.reused) == (1, 1)
    cache.close()
    again = TrainingOracle(space, "cifar10", epochs=1, cache=ScoreCache(tmp_path / "c.sqlite"),
                           data_dir=data_dir)
    assert again(arch) == value and (again.trained, again.reused) == (0, 1)
    longer = TrainingOracle(space, "cifar10", epochs=2, cache=ScoreCache(tmp_path / "c.sqlite"),
                            data_dir=data_dir)
    longer(arch)
    assert longer.trained == 1  # another recipe is another cache entry


def test_training_oracle_rejects_what_does_not_train_one_by_one(data_dir, capsys):
    with pytest.raises(InvalidArgumentError, match="training oracle"):
        TrainingOracle(get_space(TINY), estimator="oneshot", data_dir=data_dir)
    assert main(["search", "--space", TINY, "--oracle", "nope", "--budget", "2"]) == 2
    err = capsys.readouterr().err
    assert "unknown --oracle 'nope'" in err and "econas" in err and "oneshot" not in err


def test_trainings_on_workers_equal_serial_ones(data_dir, one_thread):
    space = get_space(TINY)
    archs = [space.to_str(space.from_index(i)) for i in (6111, 100, 2000)]
    estimator = get_estimator("reduced_samples", epochs=1)
    serial = estimate_architectures(space, archs, [estimator],
                                    EstimatorRun("cifar10", data_dir, show_progress=False))
    with ProcessExecutor(2, threads=1) as pool:
        parallel = estimate_architectures(
            space, archs, [estimator],
            EstimatorRun("cifar10", data_dir, executor=pool, show_progress=False))
    assert parallel.values == serial.values and parallel.computed == 3


def test_score_and_evaluate_report_an_estimator_beside_proxies(data_dir, tmp_path, capsys):
    out = tmp_path / "s.csv"
    args = ["--data-dir", str(data_dir), "-q", "score", "--space", TINY, "--sample", "4",
            "--proxies", "params,reduced_samples", "--epochs", "1", "--batch-size", "8",
            "--cache", str(tmp_path / "c.sqlite"), "--out", str(out)]
    assert main(args) == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and all(0 <= float(r["reduced_samples"]) <= 100 for r in rows)
    assert main(args) == 0
    assert "0 scored now" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "evaluate", str(out), "--space", TINY,
                 "--plots", str(tmp_path / "p")]) == 0
    report = capsys.readouterr().out
    assert "reduced_samples" in report and "spearman" in report.lower()


def test_search_with_the_training_oracle_resumes_from_the_cache(data_dir, tmp_path, capsys):
    args = ["--data-dir", str(data_dir), "-q", "search", "--space", TINY, "--oracle", "train",
            "--epochs", "1", "--strategy", "rs", "--budget", "3", "--seeds", "1",
            "--cache", str(tmp_path / "c.sqlite"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    first = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert first["oracle"] == "train" and first["trained"] == 3
    best = first["best_trained"][0]
    assert 0 <= best["val_accuracy"] <= 100 and not math.isnan(best["benchmark_test"])
    capsys.readouterr()
    assert main(args) == 0
    second = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (second["trained"], second["reused_from_cache"]) == (0, 3)
    assert second["best_trained"] == first["best_trained"]


def test_oneshot_variants_share_one_supernet_and_resume_from_it(data_dir, tmp_path):
    space = get_space(TINY)
    archs = [space.to_str(space.from_index(i)) for i in (6111, 100, 2000)]
    folder = tmp_path / "supernets"
    run = EstimatorRun("cifar10", data_dir, checkpoints=folder, show_progress=False)
    plain, ensemble = get_estimator("oneshot", epochs=2), get_estimator("oneshot_ensemble",
                                                                         epochs=2)
    first = estimate_architectures(space, archs, [plain, ensemble], run)
    (trained,) = folder.iterdir()  # one supernet for both: same sampling, BN and recipe
    checkpoints = sorted(trained.iterdir())
    assert [p.name for p in checkpoints] == ["epoch_0001.pt", "epoch_0002.pt"]
    stamps = [p.stat().st_mtime_ns for p in checkpoints]
    again = estimate_architectures(space, archs, [plain], run)
    assert again.values["oneshot"] == first.values["oneshot"]
    assert [p.stat().st_mtime_ns for p in checkpoints] == stamps  # loaded, not retrained
    assert all(0 <= v <= 100 for v in first.values["oneshot_ensemble"])
    assert first.values["oneshot_ensemble"] != first.values["oneshot"]  # mean of epochs 1-2


def test_a_training_estimator_warm_starts_and_prunes_a_search(data_dir, tmp_path):
    args = ["--data-dir", str(data_dir), "-q", "search", "--space", TINY, "--strategy", "re",
            "--proxy", "reduced_samples", "--epochs", "1", "--warmup", "4", "--move",
            "--budget", "3", "--seeds", "1", "--cache", str(tmp_path / "c.sqlite"),
            "--out", str(tmp_path / "out")]
    assert main(args) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["proxy"] == "reduced_samples" and summary["proxy_evals_median"] >= 4
    cache = ScoreCache(tmp_path / "c.sqlite")
    trained = cache.db.execute("SELECT COUNT(*) FROM scores WHERE proxy='reduced_samples'")
    assert trained.fetchone()[0] >= 4  # the warm-up pool was trained and cached
