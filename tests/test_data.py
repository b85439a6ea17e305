"""Tests of naslib_zero.data: readers, errors, batches, synthetic data and download (no network)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from naslib_zero import data
from naslib_zero.core.errors import CorruptDataError, DataNotFoundError, UnknownNameError

CIFAR10_MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(1, 3, 1, 1)
CIFAR10_STD = np.array([0.2023, 0.1994, 0.2010], np.float32).reshape(1, 3, 1, 1)
CIFAR10_FILES = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]


def _write_pickle(path: Path, content: object, protocol: int = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(content, protocol=protocol))


def _cifar_rows(n: int, seed: int, row: int = 3072, classes: int = 10) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    return {
        "data": rng.integers(0, 256, (n, row), dtype=np.uint8),
        "labels": [int(v) for v in rng.integers(0, classes, n)],
    }


def _fake_cifar10(root: Path, n: int = 20) -> Path:
    folder = root / "cifar-10-batches-py"
    for seed, name in enumerate(CIFAR10_FILES):
        _write_pickle(folder / name, _cifar_rows(n, seed))
    return folder


# --------------------------------------------------------------------------------------------
# Real CIFAR-10 (partial copy: 932 images per train batch, 846 test images)


def test_cifar10_split_shapes_and_counts(data_dir: Path) -> None:
    images, labels = data.load_split("cifar10", "train", data_dir)
    assert images.shape == (4660, 3, 32, 32) and images.dtype == np.uint8
    assert labels.shape == (4660,) and labels.dtype == np.int64
    assert labels.min() == 0 and labels.max() == 9
    test_images, test_labels = data.load_split("cifar10", "test", data_dir)
    assert test_images.shape == (846, 3, 32, 32) and len(test_labels) == 846
    assert not images.flags.writeable  # cached arrays are protected


def test_cifar10_train_concatenates_batches_in_order(data_dir: Path) -> None:
    images, labels = data.load_split("cifar10", "train", data_dir)
    for i in range(5):
        with open(data_dir / "cifar-10-batches-py" / f"data_batch_{i + 1}", "rb") as f:
            raw = pickle.load(f, encoding="bytes")
        assert len(raw[b"labels"]) == 932
        rows = slice(932 * i, 932 * (i + 1))
        np.testing.assert_array_equal(images[rows].reshape(932, -1), raw[b"data"])
        np.testing.assert_array_equal(labels[rows], raw[b"labels"])


def test_first_64_images_match_manual_decode(data_dir: Path) -> None:
    batch = data.get_batch("cifar10", "train", 64, data_dir=data_dir)
    with open(data_dir / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        raw = pickle.load(f, encoding="bytes")
    pixels = raw[b"data"][:64].reshape(64, 3, 32, 32).astype(np.float32) / 255
    expected = (pixels - CIFAR10_MEAN) / CIFAR10_STD
    assert batch.inputs.dtype == torch.float32 and batch.inputs.shape == (64, 3, 32, 32)
    np.testing.assert_allclose(batch.inputs.numpy(), expected, rtol=0, atol=1e-6)
    assert batch.targets.tolist() == raw[b"labels"][:64]
    assert (batch.dataset, batch.num_classes, len(batch)) == ("cifar10", 10, 64)
    assert batch == data.get_batch("cifar10", size=64, data_dir=data_dir)


def test_seeded_batches_are_deterministic(data_dir: Path) -> None:
    first = data.get_batch("cifar10", size=32, seed=3, data_dir=data_dir)
    again = data.get_batch("cifar10", size=32, seed=3, data_dir=data_dir)
    other = data.get_batch("cifar10", size=32, seed=4, data_dir=data_dir)
    assert first.hash == again.hash and torch.equal(first.inputs, again.inputs)
    assert other.hash != first.hash
    assert first.hash != data.get_batch("cifar10", size=32, data_dir=data_dir).hash


@pytest.mark.parametrize("seed", [None, 0])
def test_balanced_batch_has_equal_class_counts(data_dir: Path, seed: int | None) -> None:
    batch = data.get_batch("cifar10", "test", 100, seed=seed, balanced=True, data_dir=data_dir)
    assert torch.bincount(batch.targets, minlength=10).tolist() == [10] * 10


def test_data_root_from_environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASLIB_ZERO_DATA", str(data_dir))
    assert data.get_batch("CIFAR-10", size=8) == data.get_batch(
        "cifar10", size=8, data_dir=data_dir
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "positive"),
        ({"size": 4661}, "exceeds the 4660 images"),
        ({"size": 64, "balanced": True}, "divisible"),
        ({"size": 20000, "balanced": True}, "exceeds"),
        ({"num_classes": 100}, "10 classes"),
    ],
)
def test_bad_batch_requests(data_dir: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.get_batch("cifar10", data_dir=data_dir, **kwargs)


def test_bad_split_lists_valid_splits(data_dir: Path) -> None:
    with pytest.raises(UnknownNameError, match="train, test"):
        data.get_batch("cifar10", "val", data_dir=data_dir)


# --------------------------------------------------------------------------------------------
# ImageNet16-120 sample (folder imagenet16/: train_data_batch_1 with 7,000 rows, val_data 820)


def test_imagenet16_splits(data_dir: Path) -> None:
    images, labels = data.load_split("imagenet16-120", "val", data_dir)
    assert images.shape == (820, 3, 16, 16) and images.dtype == np.uint8
    assert sorted(set(labels.tolist())) == list(range(120))
    train_images, train_labels = data.load_split("ImageNet16-120", "train", data_dir)
    assert train_images.shape == (7000, 3, 16, 16)
    one_based = [7, 8, 10, 11, 12, 24, 52, 59, 61, 83, 96, 101, 104, 108]  # data/README.md
    counts = np.bincount(train_labels, minlength=120)
    assert np.flatnonzero(counts).tolist() == [c - 1 for c in one_based]
    assert set(counts[counts > 0].tolist()) == {500}
    test_images, _ = data.load_split("ImageNet16-120", "test", data_dir)  # alias of val
    assert test_images is images


def test_imagenet16_batches(data_dir: Path) -> None:
    batch = data.get_batch("ImageNet16-120", "val", 120, seed=1, balanced=True, data_dir=data_dir)
    assert batch.inputs.shape == (120, 3, 16, 16) and batch.num_classes == 120
    assert sorted(batch.targets.tolist()) == list(range(120))
    with pytest.raises(ValueError, match="fewer for classes"):  # train holds 14 classes only
        data.get_batch("ImageNet16-120", "train", 120, balanced=True, data_dir=data_dir)


def test_imagenet16_official_folder_name_and_label_filter(tmp_path: Path) -> None:
    rows = np.arange(4 * 768, dtype=np.uint8).reshape(4, 768)
    _write_pickle(
        tmp_path / "ImageNet16" / "val_data", {"data": rows, "labels": [1, 121, 120, 500]}
    )
    images, labels = data.load_split("ImageNet16-120", "val", tmp_path)
    assert labels.tolist() == [0, 119]
    np.testing.assert_array_equal(images.reshape(2, -1), rows[[0, 2]])
    with pytest.raises(DataNotFoundError, match="at least one of train_data_batch_1"):
        data.load_split("ImageNet16-120", "train", tmp_path)


# --------------------------------------------------------------------------------------------
# Missing and corrupt files


def test_missing_folder_message(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        data.get_batch("cifar10", data_dir=tmp_path)
    message = str(info.value)
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    for part in ("data_batch_1", "cifar-10-batches-py", str(tmp_path), url, "--data-dir"):
        assert part in message
    assert "NASLIB_ZERO_DATA" in message


def test_missing_imagenet16_names_its_sources(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        data.load_split("ImageNet16-120", "val", tmp_path)
    message = str(info.value)
    assert "val_data" in message and "github.com/D-X-Y/NAS-Bench-201" in message
    assert "image-net.org/download-images" in message and "Imagenet16_train.zip" in message


def test_folder_with_unrelated_files_lists_expected(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(DataNotFoundError) as info:
        data.load_split("cifar10", "train", tmp_path)
    message = str(info.value)
    assert all(f"data_batch_{i}" in message for i in range(1, 6))
    assert "notes.txt" in message and str(folder) in message


def test_one_missing_train_batch(tmp_path: Path) -> None:
    (_fake_cifar10(tmp_path) / "data_batch_3").unlink()
    with pytest.raises(DataNotFoundError, match="missing data_batch_3"):
        data.load_split("cifar10", "train", tmp_path)


def test_truncated_pickle(data_dir: Path, tmp_path: Path) -> None:
    original = (data_dir / "cifar-10-batches-py" / "test_batch").read_bytes()
    folder = _fake_cifar10(tmp_path)
    (folder / "test_batch").write_bytes(original[: len(original) // 2])
    with pytest.raises(CorruptDataError, match="test_batch"):
        data.load_split("cifar10", "test", tmp_path)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[()]]:
        return os.getcwd, ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"pixels": np.zeros((2, 3072), np.uint8), "labels": [0, 1]}, "expected 'data'"),
        ({"data": np.zeros((2, 3000), np.uint8), "labels": [0, 1]}, "rows of 3000 values"),
        ({"data": np.zeros((2, 3072), np.float32), "labels": [0, 1]}, "uint8"),
        ({"data": np.zeros((3, 3072), np.uint8), "labels": [0, 1]}, "2 labels .* for 3 images"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, "expected 0..9"),
        ([1, 2, 3], "expected a dict"),
        ({"data": _Evil(), "labels": [0]}, "unexpected object posix.getcwd|nt.getcwd"),
    ],
)
def test_corrupt_content(tmp_path: Path, content: object, message: str) -> None:
    _write_pickle(_fake_cifar10(tmp_path) / "test_batch", content, protocol=4)
    with pytest.raises(CorruptDataError, match=message) as info:
        data.load_split("cifar10", "test", tmp_path)
    assert "test_batch" in str(info.value)


def test_cache_follows_file_changes(tmp_path: Path) -> None:
    folder = _fake_cifar10(tmp_path)
    first, _ = data.load_split("cifar10", "test", tmp_path)
    assert data.load_split("cifar10", "test", tmp_path)[0] is first
    _write_pickle(folder / "test_batch", _cifar_rows(7, seed=99))
    os.utime(folder / "test_batch", ns=(1, 1))
    assert len(data.load_split("cifar10", "test", tmp_path)[0]) == 7


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        data.get_batch("mnist")
    assert all(name in str(info.value) for name in ("cifar10", "cifar100", "ImageNet16-120"))
    assert data.resolve_dataset("IMAGENET16_120") == "ImageNet16-120"


def test_cifar100_reader(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-100-python"
    rows = _cifar_rows(30, seed=5, classes=100)
    _write_pickle(folder / "train", {"data": rows["data"], "fine_labels": rows["labels"]})
    batch = data.get_batch("cifar100", size=30, data_dir=tmp_path)
    assert batch.num_classes == 100 and batch.targets.tolist() == rows["labels"]


# --------------------------------------------------------------------------------------------
# Synthetic batches and the Batch value


def test_synthetic_batches() -> None:
    gaussian = data.synthetic_batch("gaussian", 16, (3, 16, 16), num_classes=120, seed=2)
    assert gaussian.inputs.shape == (16, 3, 16, 16) and gaussian.inputs.dtype == torch.float32
    assert gaussian.targets.dtype == torch.int64 and int(gaussian.targets.max()) < 120
    assert gaussian == data.synthetic_batch("gaussian", 16, (3, 16, 16), 120, seed=2)
    assert gaussian != data.synthetic_batch("gaussian", 16, (3, 16, 16), 120, seed=3)
    ones = data.synthetic_batch("ones", 8)
    assert torch.all(ones.inputs == 1) and ones.inputs.shape == (8, 3, 32, 32)
    assert data.get_batch("synthetic", size=8, seed=0) == data.synthetic_batch(size=8)
    with pytest.raises(UnknownNameError, match="gaussian, ones"):
        data.synthetic_batch("uniform")
    with pytest.raises(ValueError, match="balanced"):
        data.get_batch("synthetic", balanced=True)


def test_batch_validates_and_hashes_content() -> None:
    inputs, targets = torch.zeros(2, 3, 4, 4), torch.tensor([0, 1])
    batch = data.Batch(inputs, targets, "synthetic", 2)
    assert len(batch.hash) == 16 and batch == data.Batch(inputs.clone(), targets, "synthetic", 2)
    assert batch.hash != data.Batch(inputs + 1, targets, "synthetic", 2).hash
    assert batch.hash != data.Batch(inputs.reshape(2, 3, 2, 8), targets, "synthetic", 2).hash
    assert len({batch, data.Batch(inputs, targets, "synthetic", 2)}) == 1
    with pytest.raises(ValueError, match="float32"):
        data.Batch(inputs.double(), targets, "synthetic", 2)
    with pytest.raises(ValueError, match="int64"):
        data.Batch(inputs, targets[:1], "synthetic", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        batch.dataset = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Download (a local file:// archive; no network)


def _tar_gz(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload))
        for name, target in (links or {}).items():
            member = tarfile.TarInfo(name)
            member.type, member.linkname = tarfile.SYMTYPE, target
            tar.addfile(member)
    return hashlib.md5(path.read_bytes()).hexdigest()


def _use_archive(monkeypatch: pytest.MonkeyPatch, path: Path, md5: str) -> None:
    info = dataclasses.replace(data.DATASETS["cifar10"], archive=data.Archive(path.as_uri(), md5))
    monkeypatch.setitem(data.DATASETS, "cifar10", info)


def _cifar_archive_files() -> dict[str, bytes]:
    return {
        f"cifar-10-batches-py/{name}": pickle.dumps(_cifar_rows(12, seed))
        for seed, name in enumerate(CIFAR10_FILES)
    }


def test_download_verifies_and_extracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "src" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    _use_archive(monkeypatch, archive, _tar_gz(archive, _cifar_archive_files()))
    root = tmp_path / "root"
    folder = data.download("cifar10", root, progress=False)
    assert folder == root / "cifar-10-batches-py"
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py"]  # no leftovers
    assert len(data.get_batch("cifar10", "train", 60, data_dir=root)) == 60
    archive.unlink()  # files present: nothing is fetched again
    assert data.download("cifar10", root, progress=False) == folder


def test_download_checksum_mismatch_deletes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    _tar_gz(archive, _cifar_archive_files())
    _use_archive(monkeypatch, archive, "0" * 32)
    root = tmp_path / "root"
    with pytest.raises(CorruptDataError, match="checksum mismatch"):
        data.download("cifar10", root, progress=False)
    assert list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("files", "links"),
    [
        ({"../evil.txt": b"x"}, None),
        ({"cifar-10-batches-py/../../evil.txt": b"x"}, None),
        ({"/tmp/evil.txt": b"x"}, None),
        ({}, {"cifar-10-batches-py/link": "/etc/passwd"}),
    ],
)
def test_download_rejects_unsafe_members(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes],
    links: dict[str, str] | None,
) -> None:
    archive = tmp_path / "src" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    _use_archive(monkeypatch, archive, _tar_gz(archive, {**_cifar_archive_files(), **files}, links))
    root = tmp_path / "root"
    with pytest.raises(CorruptDataError, match="unsafe member"):
        data.download("cifar10", root, progress=False)
    assert list(root.iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_download_failure_and_imagenet16(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_archive(monkeypatch, tmp_path / "absent.tar.gz", "0" * 32)
    with pytest.raises(DataNotFoundError, match="downloading file:"):
        data.download("cifar10", tmp_path / "root", progress=False)
    assert list((tmp_path / "root").iterdir()) == []
    with pytest.raises(DataNotFoundError, match="cannot be downloaded automatically"):
        data.download("ImageNet16-120", tmp_path)
