"""ImageNet batches at 224 px: the shared sample, a user's folder, the transform, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from naslib_zero.core.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArgumentError,
    UnknownNameError,
)
from naslib_zero.data import get_batch, imagenet


def test_sample_batches_carry_the_class_index_of_labels_csv(data_dir: Path) -> None:
    with (data_dir / "imagenet-sample" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = get_batch("imagenet", "sample", size=3, data_dir=data_dir)
    assert first.inputs.shape == (3, 3, 224, 224) and first.num_classes == 1000
    assert first.targets.tolist() == [int(r["class_index"]) for r in rows[:3]]
    drawn = get_batch("imagenet", "sample", size=3, seed=4, data_dir=data_dir)
    again = get_batch("imagenet", "sample", size=3, seed=4, data_dir=data_dir)
    assert drawn == again and drawn != first
    assert imagenet.wnids()[int(drawn.targets[0])] in {r["wnid"] for r in rows}


def write_image(path: Path, width: int, height: int) -> None:
    """Red = x, green = y (mod 256): the crop offset can be read off the pixels."""
    x = np.arange(width) % 256
    y = np.arange(height) % 256
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1] = x[None, :], y[:, None]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=100, subsampling=0)


def test_transform_resizes_the_shorter_side_and_crops_the_centre(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    write_image(path, 300, 256)  # shorter side already 256: no resampling, crop only
    image = imagenet.load_image(path)
    assert image.shape == (3, 224, 224)
    assert image[0, 5, 0] == (300 - 224) // 2 and image[0, 5, -1] == ((300 - 224) // 2 + 223) % 256
    assert image[1, 0, 5] == (256 - 224) // 2
    white = np.full((1, 3, 224, 224), 255, dtype=np.uint8)
    expected = (1 - np.array(imagenet.MEAN)) / np.array(imagenet.STD)
    torch.testing.assert_close(imagenet.to_inputs(white)[0, :, 0, 0],
                               torch.tensor(expected, dtype=torch.float32))
    small = tmp_path / "small.png"
    write_image(small, 64, 128)  # upscaled to 256 x 512, then cropped
    assert imagenet.load_image(small).shape == (3, 224, 224)


def test_a_users_imagenet_folder(tmp_path: Path) -> None:
    train = tmp_path / "imagenet" / "train"
    write_image(train / "n01443537" / "b.JPEG", 320, 240)
    write_image(train / "n01440764" / "a.JPEG", 500, 375)
    batch = get_batch("imagenet", "train", size=2, data_dir=tmp_path)
    assert batch.targets.tolist() == [0, 1]  # sorted wnids: tench 0, goldfish 1
    with pytest.raises(InvalidArgumentError, match="exceeds the 2 images"):
        get_batch("imagenet", "train", size=3, data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match="no folder .*imagenet/val"):
        get_batch("imagenet", "val", size=1, data_dir=tmp_path)
    (train / "n01440764" / "c.JPEG").write_bytes(b"not a jpeg")
    with pytest.raises(CorruptDataError, match="cannot decode image .*c.JPEG"):
        get_batch("imagenet", "train", size=3, data_dir=tmp_path)
    (train / "cats").mkdir()
    with pytest.raises(CorruptDataError, match="cats are not ILSVRC-2012 wnids"):
        get_batch("imagenet", "train", size=1, data_dir=tmp_path)


def test_bad_requests(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown split 'test' for imagenet"):
        get_batch("imagenet", "test", size=1, data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match="imagenet-sample"):
        get_batch("imagenet", "sample", size=1, data_dir=tmp_path)
    with pytest.raises(InvalidArgumentError, match=r"shape \(3, 224, 224\)"):
        get_batch("imagenet", "sample", size=1, shape=(3, 32, 32), data_dir=data_dir)
    assert len(imagenet.wnids()) == 1000 and list(imagenet.wnids()) == sorted(imagenet.wnids())
