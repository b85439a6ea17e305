"""ImageNet-1k JPEG batches at 224 px: the shared sample and a user's own ImageNet folder.

Splits (below the data root):

* ``sample``: ``imagenet-sample/images/<wnid>.JPEG`` with ``imagenet-sample/labels.csv``
  (columns ``file``, ``wnid``, ``class_index``; one image per class, 1,000 in all);
* ``train`` / ``val``: ``imagenet/<split>/<wnid>/*.JPEG`` (the usual ILSVRC-2012 folder
  layout, one folder per class; any subset of the classes).

Labels are the class index in the standard order (the 1,000 ILSVRC-2012 wnids sorted, as
torchvision's ``ImageFolder`` and Keras number them; ``resources/imagenet_wnids.txt``). Each
image gets the standard evaluation transform: resize so that the shorter side is 256 px
(bilinear), centre crop 224 x 224, scale to [0, 1], normalise with mean (0.485, 0.456, 0.406)
and std (0.229, 0.224, 0.225). Only the images a batch needs are decoded.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from naslib_zero.core.errors import CorruptDataError, DataNotFoundError, UnknownNameError

NAME = "imagenet"
NUM_CLASSES = 1000
SHAPE = (3, 224, 224)
RESIZE = 256
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SPLITS = ("sample", "train", "val")
SOURCE = ("the shared data's imagenet-sample/ (split 'sample'), or ILSVRC-2012 from "
          "https://image-net.org/download-images unpacked as DATA_ROOT/imagenet/train/<wnid>/"
          "*.JPEG and DATA_ROOT/imagenet/val/<wnid>/*.JPEG")


@functools.cache
def wnids() -> tuple[str, ...]:
    """The 1,000 ILSVRC-2012 class ids in class-index order."""
    text = resources.files("naslib_zero").joinpath("resources/imagenet_wnids.txt").read_text()
    return tuple(text.split())


def list_images(split: str, root: Path) -> tuple[list[Path], np.ndarray]:
    """(image files, int64 class indices) of a split, in a fixed order."""
    if split not in SPLITS:
        raise UnknownNameError(
            f"unknown split {split!r} for imagenet; valid splits: {', '.join(SPLITS)}")
    return _sample(root) if split == "sample" else _folder(root / NAME / split)


def _missing(what: str, root: Path) -> DataNotFoundError:
    return DataNotFoundError(
        f"imagenet data not found: {what}. To fix, get {SOURCE.replace('DATA_ROOT', str(root))}"
        f"; point the tool at the data root with --data-dir DIR or $NASLIB_ZERO_DATA (now "
        f"looking in {root})")


def _sample(root: Path) -> tuple[list[Path], np.ndarray]:
    folder = root / "imagenet-sample"
    table = folder / "labels.csv"
    if not table.is_file():
        raise _missing(f"no {table}", root)
    index = {w: i for i, w in enumerate(wnids())}
    files, labels = [], []
    with table.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not {"file", "wnid", "class_index"} <= set(reader.fieldnames or ()):
            raise CorruptDataError(
                f"{table}: header {reader.fieldnames}, expected file, wnid, class_index")
        for lineno, row in enumerate(reader, start=2):
            if index.get(row["wnid"]) != _int(row["class_index"], table, lineno):
                raise CorruptDataError(
                    f"{table}, line {lineno}: class_index {row['class_index']!r} is not the "
                    f"index of {row['wnid']!r} in the ILSVRC-2012 order")
            files.append(folder / row["file"])
            labels.append(index[row["wnid"]])
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise _missing(f"{len(missing)} images listed in {table} are absent, e.g. {missing[0]}",
                       root)
    return files, np.asarray(labels, dtype=np.int64)


def _int(text: str, path: Path, lineno: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise CorruptDataError(f"{path}, line {lineno}: non-integer {text!r}") from None


def _folder(folder: Path) -> tuple[list[Path], np.ndarray]:
    if not folder.is_dir():
        raise _missing(f"no folder {folder}", folder.parent.parent)
    index = {w: i for i, w in enumerate(wnids())}
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    unknown = [c for c in classes if c not in index]
    if unknown:
        raise CorruptDataError(
            f"{folder}: class folders {', '.join(unknown[:5])} are not ILSVRC-2012 wnids")
    files, labels = [], []
    for wnid in classes:
        for path in sorted((folder / wnid).iterdir()):
            if path.suffix.lower() in (".jpeg", ".jpg", ".png") and path.is_file():
                files.append(path)
                labels.append(index[wnid])
    if not files:
        raise _missing(f"no images in {folder}/<wnid>/", folder.parent.parent)
    return files, np.asarray(labels, dtype=np.int64)


def load_image(path: Path) -> np.ndarray:
    """One image through resize-256 / centre-crop-224: uint8 3 x 224 x 224."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            width, height = image.size
            scale = RESIZE / min(width, height)
            size = (max(RESIZE, round(width * scale)), max(RESIZE, round(height * scale)))
            image = image.resize(size, Image.Resampling.BILINEAR)
            left, top = (size[0] - SHAPE[2]) // 2, (size[1] - SHAPE[1]) // 2
            image = image.crop((left, top, left + SHAPE[2], top + SHAPE[1]))
            return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
    except (UnidentifiedImageError, OSError) as exc:
        raise CorruptDataError(f"cannot decode image {path}: {exc}") from exc


def to_inputs(images: np.ndarray) -> torch.Tensor:
    """uint8 N x 3 x 224 x 224 -> normalised float32 tensor."""
    mean = np.asarray(MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(STD, dtype=np.float32).reshape(1, 3, 1, 1)
    return torch.from_numpy((images.astype(np.float32) / 255 - mean) / std)
