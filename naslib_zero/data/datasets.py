"""Image data: readers for the official dataset files, normalisation and deterministic minibatches.

Data root
    Readers look for the dataset folders below one root folder, chosen by
    :func:`naslib_zero.core.paths.data_root`: the ``data_dir`` argument (the CLI's
    ``--data-dir``), else
    ``$NASLIB_ZERO_DATA``, else the user cache folder (``~/.cache/naslib-zero`` on Linux).
    Nothing is downloaded implicitly: a missing file raises
    :class:`~naslib_zero.core.errors.DataNotFoundError` saying what to get and where to put it;
    :func:`download` fetches CIFAR-10/100 on request.

Formats (all pickled dicts; images are uint8 rows, channel-major: all R, then G, then B)
    ``cifar10``         ``cifar-10-batches-py/``: ``data_batch_1..5`` (split ``train``),
                        ``test_batch`` (split ``test``); keys ``data`` (N x 3072), ``labels``
                        (0..9).
    ``cifar100``        ``cifar-100-python/``: ``train``, ``test``; keys ``data`` (N x 3072),
                        ``fine_labels`` (0..99).
    ``ImageNet16-120``  ``ImageNet16/`` or ``imagenet16/`` (NAS-Bench-201's downsampled ImageNet):
                        ``train_data_batch_1..10`` (split ``train``; the batches present are read,
                        at least one is needed) and ``val_data`` (split ``val``; ``test`` is an
                        alias of ``val``); keys ``data`` (N x 768) and ``labels`` (1-based,
                        1..1000). As in NAS-Bench-201, only labels 1..120 are kept and shifted to
                        0..119.
    ``imagenet``        JPEGs at 224 px (:mod:`naslib_zero.data.imagenet`): split ``sample`` is the
                        shared ``imagenet-sample/`` (one image per class), ``train``/``val`` a
                        user's ``imagenet/<split>/<wnid>/*.JPEG``; resize-256, centre-crop-224,
                        the usual ImageNet mean and std; decoded only when batched.
    Row counts are read from the files (partial copies are fine). Pickles are loaded with an
    allow-list of globals (numpy arrays only), so a hostile file cannot run code.

Normalisation (images scaled to [0, 1], then ``(x - mean) / std`` per channel; float32 NCHW)
    ``cifar10``         mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010): the values
                        of the zero-cost-proxies reference code (not the exact CIFAR-10 std).
    ``cifar100``        mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762).
    ``ImageNet16-120``  mean (122.68, 116.66, 104.01) / 255, std (63.22, 61.26, 65.09) / 255
                        (NAS-Bench-201).

Batches
    :func:`get_batch` returns a :class:`Batch` that depends only on (dataset, split, size, seed,
    balanced): ``seed=None`` takes the first ``size`` images in file order (for CIFAR-10 ``train``
    the first rows of ``data_batch_1``), an int seed draws a random subset with
    ``numpy.random.default_rng(seed)``. ``dataset="synthetic"`` gives Gaussian inputs for data-free
    use; :func:`synthetic_batch` also offers all-ones inputs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
import torch
from tqdm.auto import tqdm

from naslib_zero.core.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArgumentError,
    UnknownNameError,
)
from naslib_zero.core.paths import ENV_VAR, data_root

_PathLike = str | os.PathLike[str]
SYNTHETIC = "synthetic"
SYNTHETIC_KINDS = ("gaussian", "ones")


@dataclass(frozen=True)
class Archive:
    """An official archive: where to fetch it and its md5 checksum."""

    url: str
    md5: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of one image dataset: classes, image shape, constants and on-disk layout."""

    name: str
    num_classes: int
    shape: tuple[int, int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    folders: tuple[str, ...]  # accepted folder names below the data root, canonical first
    splits: dict[str, tuple[str, ...]]  # split -> files, in reading order
    label_key: str
    label_offset: int  # the file's label of class 0
    raw_classes: int  # labels in the files lie in label_offset .. label_offset + raw_classes - 1
    all_files_required: bool  # False: read the files of a split that exist (at least one)
    source: str  # where to get the files, for error messages
    archive: Archive | None = None
    split_aliases: dict[str, str] = field(default_factory=dict)


_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"

DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo(
        name="cifar10",
        num_classes=10,
        shape=(3, 32, 32),
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2023, 0.1994, 0.2010),
        folders=("cifar-10-batches-py",),
        splits={
            "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
            "test": ("test_batch",),
        },
        label_key="labels",
        label_offset=0,
        raw_classes=10,
        all_files_required=True,
        source=(
            "get CIFAR-10 (python version) 'cifar-10-python.tar.gz' from "
            f"{_CIFAR10_URL} (https://www.cs.toronto.edu/~kriz/cifar.html) and extract it in "
            "the data root, or call naslib_zero.data.download('cifar10', 'DATA_ROOT')"
        ),
        archive=Archive(_CIFAR10_URL, "c58f30108f718f92721af3b95e74349a"),
    ),
    "cifar100": DatasetInfo(
        name="cifar100",
        num_classes=100,
        shape=(3, 32, 32),
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        folders=("cifar-100-python",),
        splits={"train": ("train",), "test": ("test",)},
        label_key="fine_labels",
        label_offset=0,
        raw_classes=100,
        all_files_required=True,
        source=(
            "get CIFAR-100 (python version) 'cifar-100-python.tar.gz' from "
            f"{_CIFAR100_URL} (https://www.cs.toronto.edu/~kriz/cifar.html) and extract it in "
            "the data root, or call naslib_zero.data.download('cifar100', 'DATA_ROOT')"
        ),
        archive=Archive(_CIFAR100_URL, "eb9058c3a382ffc7106e4002c42a8d85"),
    ),
    "ImageNet16-120": DatasetInfo(
        name="ImageNet16-120",
        num_classes=120,
        shape=(3, 16, 16),
        mean=(122.68 / 255, 116.66 / 255, 104.01 / 255),
        std=(63.22 / 255, 61.26 / 255, 65.09 / 255),
        folders=("ImageNet16", "imagenet16"),
        splits={
            "train": tuple(f"train_data_batch_{i}" for i in range(1, 11)),
            "val": ("val_data",),
        },
        label_key="labels",
        label_offset=1,
        raw_classes=1000,
        all_files_required=False,
        source=(
            "get the ImageNet16 files (train_data_batch_1..10, val_data) from the NAS-Bench-201 "
            "authors (https://github.com/D-X-Y/NAS-Bench-201) or the downsampled ImageNet 16x16 "
            "(Imagenet16_train.zip, Imagenet16_val.zip) from https://image-net.org/download-images "
            "and unpack them into DATA_ROOT/ImageNet16/ (there is no public direct download)"
        ),
        split_aliases={"test": "val"},
    ),
}

IMAGENET = "imagenet"
_ALIASES = {name.lower().replace("-", "").replace("_", ""): name
            for name in (*DATASETS, IMAGENET, SYNTHETIC)}


def resolve_dataset(name: str) -> str:
    """Return the canonical dataset name (case, ``-`` and ``_`` ignored: ``imagenet16-120``)."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in _ALIASES:
        valid = ", ".join((*DATASETS, IMAGENET, SYNTHETIC))
        raise UnknownNameError(f"unknown dataset {name!r}; valid names: {valid}")
    return _ALIASES[key]


def _info(dataset: str) -> DatasetInfo:
    name = resolve_dataset(dataset)
    if name == SYNTHETIC:
        raise InvalidArgumentError("'synthetic' has no files; use synthetic_batch() or get_batch()")
    if name == IMAGENET:
        raise InvalidArgumentError("imagenet is read image by image; use get_batch()")
    return DATASETS[name]


def _resolve_split(info: DatasetInfo, split: str) -> str:
    split = info.split_aliases.get(split, split)
    if split not in info.splits:
        names = [*info.splits, *(f"{a} (= {t})" for a, t in info.split_aliases.items())]
        raise UnknownNameError(
            f"unknown split {split!r} for {info.name}; valid splits: {', '.join(names)}"
        )
    return split


# --------------------------------------------------------------------------------------------
# Reading


def _not_found(info: DatasetInfo, root: Path, problem: str) -> DataNotFoundError:
    hint = info.source.replace("DATA_ROOT", str(root))
    return DataNotFoundError(
        f"{problem}. To fix, {hint}. Point the tool at the folder "
        f"that holds '{info.folders[0]}/' with --data-dir DIR or the {ENV_VAR} environment "
        f"variable (now looking in {root})."
    )


def _split_files(info: DatasetInfo, split: str, root: Path) -> list[Path]:
    """The files of a split that exist, or DataNotFoundError naming what is missing."""
    expected = info.splits[split]
    folder = next((root / f for f in info.folders if (root / f).is_dir()), None)
    if folder is None:
        looked = " or ".join(f"'{f}/'" for f in info.folders)
        raise _not_found(
            info,
            root,
            f"{info.name} data not found: no folder {looked} in {root} "
            f"(split {split!r} needs {', '.join(expected)})",
        )
    present = [folder / f for f in expected if (folder / f).is_file()]
    if present and (len(present) == len(expected) or not info.all_files_required):
        return present
    missing = [f for f in expected if not (folder / f).is_file()]
    found = sorted(p.name for p in folder.iterdir())[:10]
    need = "all of" if info.all_files_required else "at least one of"
    raise _not_found(
        info,
        root,
        f"{info.name} data not found: missing {', '.join(missing)} in {folder} "
        f"(split {split!r} needs {need} {', '.join(expected)}; "
        f"found: {', '.join(found) or 'nothing'})",
    )


_PICKLE_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # bytes pickled by Python 3 with protocol 2
}


_UNPICKLE_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    ImportError,
)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds numpy arrays and builtin containers."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a data file")
        return super().find_class(module, name)


def _read_file(path: Path, info: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    """Decode one batch file into (uint8 N x C x H x W, int64 0-based labels), validated."""
    try:
        with open(path, "rb") as f:
            content = _ArrayUnpickler(f, encoding="latin1").load()
    except _UNPICKLE_ERRORS as exc:
        raise CorruptDataError(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(content, dict):
        raise CorruptDataError(f"{path} holds a {type(content).__name__}, expected a dict")
    content = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in content.items()}
    if "data" not in content or info.label_key not in content:
        raise CorruptDataError(
            f"{path} has keys {sorted(map(str, content))}, expected 'data' and '{info.label_key}'"
        )
    data = content["data"]
    try:
        labels = np.asarray(content[info.label_key])
    except (ValueError, TypeError) as exc:
        raise CorruptDataError(f"{path}: unreadable '{info.label_key}': {exc}") from exc
    row = int(np.prod(info.shape))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        kind = getattr(data, "dtype", type(data).__name__)
        raise CorruptDataError(f"{path}: 'data' is {kind}, expected a 2-D uint8 array")
    if data.shape[1] != row:
        raise CorruptDataError(
            f"{path}: rows of {data.shape[1]} values, expected {row} (= {info.shape})"
        )
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise CorruptDataError(
            f"{path}: {labels.size} labels ({labels.dtype}) for {len(data)} images"
        )
    low, high = info.label_offset, info.label_offset + info.raw_classes - 1
    if labels.size and (labels.min() < low or labels.max() > high):
        raise CorruptDataError(
            f"{path}: labels span {labels.min()}..{labels.max()}, expected {low}..{high}"
        )
    labels = labels.astype(np.int64) - info.label_offset
    keep = labels < info.num_classes
    if not keep.all():
        data, labels = data[keep], labels[keep]
    return data.reshape(-1, *info.shape), labels


@functools.lru_cache(maxsize=4)
def _read_split(
    name: str, files: tuple[tuple[str, int, int], ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Decode and concatenate files; cached on (dataset, (path, mtime_ns, size) of each file)."""
    parts = [_read_file(Path(path), DATASETS[name]) for path, _, _ in files]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_split(
    dataset: str, split: str = "train", data_dir: _PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a whole split: (uint8 images N x 3 x H x W, int64 labels 0..num_classes-1).

    The arrays are read-only and cached in-process (keyed by each file's resolved path, mtime and
    size). Raises DataNotFoundError for missing files and CorruptDataError for unreadable ones.
    """
    info = _info(dataset)
    split = _resolve_split(info, split)
    paths = _split_files(info, split, data_root(data_dir))
    keys = []
    for path in paths:
        stat = path.stat()
        keys.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    return _read_split(info.name, tuple(keys))


def normalize(images: np.ndarray, dataset: str) -> torch.Tensor:
    """uint8 N x 3 x H x W -> float32 tensor scaled to [0, 1] and normalised per channel."""
    info = _info(dataset)
    mean = np.asarray(info.mean, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(info.std, dtype=np.float32).reshape(1, 3, 1, 1)
    return torch.from_numpy((images.astype(np.float32) / 255 - mean) / std)


# --------------------------------------------------------------------------------------------
# Batches


@dataclass(frozen=True, eq=False)
class Batch:
    """One minibatch: float32 inputs N x C x H x W, int64 targets N, and a content hash.

    ``hash`` is computed from the content (first 16 hex digits of the sha256 of the input shape,
    the float32 input bytes and the int64 target bytes); batches compare and hash by
    (dataset, num_classes, hash). Treat the tensors as read-only.
    """

    inputs: torch.Tensor = field(repr=False)
    targets: torch.Tensor = field(repr=False)
    dataset: str
    num_classes: int
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        inputs, targets = self.inputs, self.targets
        if inputs.dtype != torch.float32 or inputs.dim() != 4:
            raise InvalidArgumentError(
                f"inputs must be float32 N x C x H x W, got {inputs.dtype} {tuple(inputs.shape)}"
            )
        if targets.dtype != torch.int64 or targets.shape != inputs.shape[:1]:
            raise InvalidArgumentError(
                f"targets must be int64 of shape ({len(inputs)},), got {targets.dtype} "
                f"{tuple(targets.shape)}"
            )
        digest = hashlib.sha256(str(tuple(self.inputs.shape)).encode())
        digest.update(self.inputs.detach().cpu().contiguous().numpy().tobytes())
        digest.update(self.targets.detach().cpu().contiguous().numpy().tobytes())
        object.__setattr__(self, "hash", digest.hexdigest()[:16])

    def __len__(self) -> int:
        return len(self.targets)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Batch):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, int, str]:
        return self.dataset, self.num_classes, self.hash


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size <= 0:
        raise InvalidArgumentError(f"batch size must be a positive integer, got {size!r}")


def _balanced_indices(
    labels: np.ndarray, size: int, num_classes: int, rng: np.random.Generator | None, what: str
) -> np.ndarray:
    if size % num_classes:
        raise InvalidArgumentError(
            f"a balanced batch of {what} needs a size divisible by its {num_classes} classes, "
            f"got {size}"
        )
    per_class = size // num_classes
    counts = np.bincount(labels, minlength=num_classes)
    short = np.flatnonzero(counts < per_class)
    if short.size:
        listed = ", ".join(f"{c} ({counts[c]})" for c in short[:10])
        more = f" and {short.size - 10} more" if short.size > 10 else ""
        raise InvalidArgumentError(
            f"a balanced batch of {size} needs {per_class} images per class, but {what} has "
            f"fewer for classes {listed}{more}"
        )
    picks = []
    for c in range(num_classes):
        members = np.flatnonzero(labels == c)
        picks.append(members[:per_class] if rng is None else rng.choice(members, per_class, False))
    chosen = np.concatenate(picks)
    return np.sort(chosen) if rng is None else rng.permutation(chosen)


def default_split(dataset: str) -> str:
    """The split batches come from unless one is named: ``sample`` (the shared one-per-class
    images) for imagenet, ``train`` for every other dataset."""
    return "sample" if resolve_dataset(dataset) == IMAGENET else "train"


def get_batch(
    dataset: str,
    split: str | None = None,
    size: int = 64,
    seed: int | None = None,
    balanced: bool = False,
    data_dir: _PathLike | None = None,
    *,
    shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
) -> Batch:
    """A deterministic minibatch of ``size`` normalised images of one split.

    ``split=None``: :func:`default_split`. ``seed=None``: the first ``size`` images in file
    order (``balanced``: the first ``size / num_classes`` of each class, kept in file order).
    An int ``seed``: a random subset drawn with ``numpy.random.default_rng(seed)``, in random
    order. ``balanced=True`` requires ``size`` divisible by the number of classes and enough
    images of every class in the split; otherwise ValueError. ``size`` must be 1 .. the
    split's image count.

    ``dataset="synthetic"`` returns ``synthetic_batch("gaussian", size, shape, num_classes,
    seed)`` (defaults (3, 32, 32), 10 classes, seed 0); ``split`` and ``data_dir`` are ignored
    and ``balanced`` is refused. For a real dataset, ``shape`` and ``num_classes`` may only
    repeat its own values.
    """
    _check_size(size)
    name = resolve_dataset(dataset)
    if name == SYNTHETIC:
        if balanced:
            raise InvalidArgumentError("balanced=True needs a real dataset, not 'synthetic'")
        return synthetic_batch("gaussian", size, shape or (3, 32, 32), num_classes or 10, seed or 0)
    split = split or default_split(name)
    if name == IMAGENET:
        from naslib_zero.data import imagenet

        files, labels = imagenet.list_images(split, data_root(data_dir))
        own_shape, classes = imagenet.SHAPE, imagenet.NUM_CLASSES
    else:
        info = DATASETS[name]
        own_shape, classes = info.shape, info.num_classes
    if (shape is not None and tuple(shape) != own_shape) or num_classes not in (None, classes):
        raise InvalidArgumentError(
            f"{name} has images of shape {own_shape} and {classes} classes; "
            f"got shape={shape}, num_classes={num_classes}"
        )
    if name == IMAGENET:
        index = _batch_indices(labels, size, seed, balanced, classes, f"imagenet split {split!r}")
        images = np.stack([imagenet.load_image(files[i]) for i in index])
        return Batch(imagenet.to_inputs(images), torch.from_numpy(labels[index]), name, classes)
    split = _resolve_split(info, split)
    images, labels = load_split(name, split, data_dir)
    index = _batch_indices(labels, size, seed, balanced, classes, f"{name} split {split!r}")
    inputs = normalize(images[index], name)
    return Batch(inputs, torch.from_numpy(labels[index]), name, info.num_classes)


def _batch_indices(labels: np.ndarray, size: int, seed: int | None, balanced: bool,
                   num_classes: int, what: str) -> np.ndarray:
    """The rows of a batch (see :func:`get_batch`)."""
    if size > len(labels):
        raise InvalidArgumentError(f"batch size {size} exceeds the {len(labels)} images of {what}")
    rng = None if seed is None else np.random.default_rng(seed)
    if balanced:
        return _balanced_indices(labels, size, num_classes, rng, what)
    if rng is None:
        return np.arange(size)
    return rng.choice(len(labels), size, replace=False)


def synthetic_batch(
    kind: str = "gaussian",
    size: int = 64,
    shape: tuple[int, int, int] = (3, 32, 32),
    num_classes: int = 10,
    seed: int = 0,
) -> Batch:
    """Data-free batch: N(0, 1) (``gaussian``) or all-ones (``ones``) float32 inputs and
    uniform random labels, all drawn with ``numpy.random.default_rng(seed)``."""
    if kind not in SYNTHETIC_KINDS:
        raise UnknownNameError(
            f"unknown synthetic kind {kind!r}; valid kinds: {', '.join(SYNTHETIC_KINDS)}"
        )
    _check_size(size)
    if num_classes < 1:
        raise InvalidArgumentError(f"num_classes must be >= 1, got {num_classes}")
    rng = np.random.default_rng(seed)
    targets = torch.from_numpy(rng.integers(num_classes, size=size, dtype=np.int64))
    if kind == "gaussian":
        inputs = torch.from_numpy(rng.standard_normal((size, *shape), dtype=np.float32))
    else:
        inputs = torch.ones((size, *shape), dtype=torch.float32)
    return Batch(inputs, targets, SYNTHETIC, num_classes)


# --------------------------------------------------------------------------------------------
# Download


def _fetch(url: str, dest: Path, progress: bool) -> str:
    """Stream ``url`` into ``dest`` with a progress bar; return the md5 hex digest."""
    md5 = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=dest.name,
            disable=not progress,
        )
        with bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                md5.update(chunk)
                bar.update(len(chunk))
    return md5.hexdigest()


def _safe_extract(archive: Path, dest: Path) -> None:
    """Extract a tar archive after checking every member (no absolute paths, '..' or links)."""
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                posix, windows = PurePosixPath(member.name), PureWindowsPath(member.name)
                if (
                    posix.is_absolute()
                    or windows.is_absolute()
                    or windows.drive
                    or ".." in posix.parts
                    or ".." in windows.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise CorruptDataError(
                        f"refusing to extract {archive.name}: unsafe member {member.name!r}"
                    )
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **safe)
    except (tarfile.TarError, EOFError) as exc:
        raise CorruptDataError(f"cannot extract {archive}: {exc}") from exc


def download(dataset: str, data_dir: _PathLike | None = None, *, progress: bool = True) -> Path:
    """Fetch, md5-check and extract a dataset's official archive into the data root.

    Returns the dataset folder. Does nothing when all its files are already there. A checksum
    mismatch deletes the download and raises CorruptDataError; a failed download raises
    DataNotFoundError. ImageNet16-120 has no public direct URL: raises DataNotFoundError saying
    where to get it.
    """
    info = _info(dataset)
    root = data_root(data_dir)
    folder = root / info.folders[0]
    if info.archive is None:
        raise _not_found(info, root, f"{info.name} cannot be downloaded automatically")
    if all((folder / f).is_file() for files in info.splits.values() for f in files):
        return folder
    archive = info.archive
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f"{archive.filename}.part"
    try:
        try:
            md5 = _fetch(archive.url, partial, progress)
        except (urllib.error.URLError, OSError) as exc:
            raise _not_found(info, root, f"downloading {archive.url} failed: {exc}") from exc
        if md5 != archive.md5:
            raise CorruptDataError(
                f"checksum mismatch for {archive.url}: md5 {md5}, expected {archive.md5}; "
                "the download was deleted, try again"
            )
        _safe_extract(partial, root)
    finally:
        partial.unlink(missing_ok=True)
    if not folder.is_dir():
        raise CorruptDataError(f"{archive.url} did not contain the folder '{info.folders[0]}/'")
    return folder
