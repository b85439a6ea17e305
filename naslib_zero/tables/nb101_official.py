"""NB101 ground truth read from the official NAS-Bench-101 file, without TensorFlow.

The file is ``nasbench_only108.tfrecord`` (about 0.5 GB, 108-epoch runs only) from
https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord; ``nasbench_full.tfrecord``
(4, 12, 36 and 108 epochs) has the same layout. It is what the official API
(google-research/nasbench, ``nasbench/api.py``) loads with TensorFlow.

Record layout
-------------
TFRecord framing, all integers little-endian::

    uint64 length | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)

with ``masked(c) = ((c >> 15 | c << 17) + 0xA282EAD8) mod 2**32`` and CRC-32C (Castagnoli).
Each ``data`` is one training run (one repeat of one cell at one epoch budget): UTF-8 JSON
``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]`` where

* ``module_hash``: the cell's 32-hex-digit graph hash,
* ``epochs``: the epoch budget (int),
* ``raw_adjacency``: the n x n upper-triangular module matrix, row-major, as a string of
  ``0``/``1`` (the pruned module as stored, not padded to 7 x 7),
* ``raw_operations``: n comma-separated op names (``input,conv3x3-bn-relu,...,output``),
* ``raw_metrics``: base64 of a serialised proto2 ``nasbench.ModelMetrics``
  (``nasbench/lib/model_metrics.proto``): ``repeated EvaluationData evaluation_data = 1;
  optional int32 trainable_parameters = 2; optional double total_time = 3;`` with
  ``EvaluationData``: ``optional double current_epoch = 1, training_time = 2,
  train_accuracy = 3, validation_accuracy = 4, test_accuracy = 5; optional string
  checkpoint_path = 6``. The evaluations are taken at epoch 0, ``epochs / 2`` and ``epochs``.

Accuracies in the file are fractions in [0, 1]; :func:`nb101_official_table` reports percent.

Dependencies (extra ``nb101``): ``protobuf`` decodes ``ModelMetrics`` from a descriptor built
here at run time (no protoc, no generated module); ``google-crc32c`` checks the CRCs. Both are
imported only when a file is read.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from naslib_zero.core.errors import CorruptDataError, UnknownNameError
from naslib_zero.core.paths import existing_file
from naslib_zero.core.progress import progress

OFFICIAL_FILE = "nasbench_only108.tfrecord"
OFFICIAL_URL = "https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord"
METRICS = ("val", "test")

_HEADER = struct.Struct("<QI")  # length, masked crc32c of the 8 length bytes
_FOOTER = struct.Struct("<I")  # masked crc32c of the data
_MASK_DELTA = 0xA282EAD8
_POOLS: list[Any] = []  # descriptor pools kept alive for the message classes built from them
_INSTALL_HINT = "install the 'nb101' extra: pip install 'naslib-zero[nb101]'"


@dataclass(frozen=True)
class RunMetrics:
    """One training run (repeat). Accuracies are fractions; times are seconds.

    ``final_*`` come from the last evaluation, ``halfway_*`` from the one at ``epochs / 2``
    (``None`` if the run has none).
    """

    final_train_accuracy: float
    final_validation_accuracy: float
    final_test_accuracy: float
    training_time: float
    halfway_train_accuracy: float | None = None
    halfway_validation_accuracy: float | None = None
    halfway_test_accuracy: float | None = None
    halfway_training_time: float | None = None
    total_time: float | None = None


@dataclass(frozen=True)
class NB101Record:
    """All runs of one cell at one epoch budget, in file order."""

    hash: str
    epochs: int
    adjacency: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]
    trainable_parameters: int
    runs: tuple[RunMetrics, ...]


@dataclass(frozen=True)
class _Row:
    """One decoded TFRecord record (one run)."""

    hash: str
    epochs: int
    raw_adjacency: str
    raw_operations: str
    trainable_parameters: int
    run: RunMetrics


def _existing(path: str | os.PathLike[str]) -> Path:
    return existing_file(path, "NAS-Bench-101 file",
                         f"download {OFFICIAL_FILE} from {OFFICIAL_URL} and pass its path")


def _mask(crc: int) -> int:
    """TFRecord's masked CRC of a raw CRC-32C value."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _crc32c_function() -> Callable[[bytes], int]:
    try:
        import google_crc32c
    except ImportError as exc:
        raise ImportError(
            f"checking NAS-Bench-101 CRCs needs google-crc32c; {_INSTALL_HINT} "
            "(or pass verify_crc=False)"
        ) from exc
    return google_crc32c.value


def _iter_tfrecords(path: Path, verify_crc: bool = True) -> Iterator[tuple[int, bytes]]:
    """``(record number, data)`` of each TFRecord record; CorruptDataError on bad framing."""
    crc32c = _crc32c_function() if verify_crc else None
    size = path.stat().st_size
    with open(path, "rb", buffering=1 << 20) as f:
        offset = 0
        number = 0
        while True:
            header = f.read(_HEADER.size)
            if not header:
                return
            where = f"{path}: record {number} (byte offset {offset})"
            if len(header) < _HEADER.size:
                raise CorruptDataError(f"{where}: truncated header ({len(header)} of 12 bytes)")
            length, length_crc = _HEADER.unpack(header)
            if crc32c is not None and _mask(crc32c(header[:8])) != length_crc:
                raise CorruptDataError(f"{where}: CRC mismatch in the length field")
            end = offset + _HEADER.size + length + _FOOTER.size
            if end > size:
                raise CorruptDataError(
                    f"{where}: truncated, record of {length} bytes needs {end} bytes, "
                    f"file has {size}"
                )
            data = f.read(length)
            footer = f.read(_FOOTER.size)
            if len(data) < length or len(footer) < _FOOTER.size:  # file shrank while reading
                raise CorruptDataError(f"{where}: truncated record")
            if crc32c is not None and _mask(crc32c(data)) != _FOOTER.unpack(footer)[0]:
                raise CorruptDataError(f"{where}: CRC mismatch in the data")
            yield number, data
            offset = end
            number += 1


@functools.lru_cache(maxsize=1)
def _model_metrics_class() -> Any:
    """The ``nasbench.ModelMetrics`` message class, built from a descriptor in a private pool."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError as exc:
        raise ImportError(f"reading NAS-Bench-101 metrics needs protobuf; {_INSTALL_HINT}") from exc
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="naslib_zero/nasbench_model_metrics.proto", package="nasbench", syntax="proto2"
    )
    evaluation = proto.message_type.add(name="EvaluationData")
    for number, name in enumerate(
        ("current_epoch", "training_time", "train_accuracy", "validation_accuracy",
         "test_accuracy"),
        start=1,
    ):
        evaluation.field.add(
            name=name, number=number, type=field.TYPE_DOUBLE, label=field.LABEL_OPTIONAL
        )
    evaluation.field.add(
        name="checkpoint_path", number=6, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL
    )
    metrics = proto.message_type.add(name="ModelMetrics")
    metrics.field.add(
        name="evaluation_data", number=1, type=field.TYPE_MESSAGE, label=field.LABEL_REPEATED,
        type_name=".nasbench.EvaluationData",
    )
    metrics.field.add(
        name="trainable_parameters", number=2, type=field.TYPE_INT32, label=field.LABEL_OPTIONAL
    )
    metrics.field.add(
        name="total_time", number=3, type=field.TYPE_DOUBLE, label=field.LABEL_OPTIONAL
    )
    pool = descriptor_pool.DescriptorPool()  # private: no clash with nasbench's model_metrics_pb2
    pool.Add(proto)
    _POOLS.append(pool)  # a message class must not outlive its pool
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("nasbench.ModelMetrics"))


def _optional(message: Any, name: str) -> float | None:
    return getattr(message, name) if message.HasField(name) else None


def _decode_metrics(raw_metrics: str, epochs: int, where: str) -> tuple[int, RunMetrics]:
    """``(trainable_parameters, RunMetrics)`` of a base64 ``ModelMetrics``."""
    from google.protobuf.message import DecodeError

    try:
        serialized = base64.b64decode(raw_metrics, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CorruptDataError(f"{where}: raw_metrics is not base64 ({exc})") from exc
    try:
        metrics = _model_metrics_class().FromString(serialized)
    except DecodeError as exc:
        raise CorruptDataError(f"{where}: undecodable ModelMetrics protobuf ({exc})") from exc
    evaluations = list(metrics.evaluation_data)
    if not evaluations:
        raise CorruptDataError(f"{where}: ModelMetrics has no evaluation_data")
    final = evaluations[-1]
    required = ("train_accuracy", "validation_accuracy", "test_accuracy", "training_time")
    missing = [name for name in required if not final.HasField(name)]
    if missing:
        raise CorruptDataError(f"{where}: final evaluation lacks {', '.join(missing)}")
    halfway = next(
        (
            e for e in evaluations[:-1]
            if e.HasField("current_epoch")
            and math.isclose(e.current_epoch, epochs / 2, rel_tol=1e-9, abs_tol=1e-6)
        ),
        None,
    )
    run = RunMetrics(
        final_train_accuracy=final.train_accuracy,
        final_validation_accuracy=final.validation_accuracy,
        final_test_accuracy=final.test_accuracy,
        training_time=final.training_time,
        halfway_train_accuracy=None if halfway is None else _optional(halfway, "train_accuracy"),
        halfway_validation_accuracy=(
            None if halfway is None else _optional(halfway, "validation_accuracy")
        ),
        halfway_test_accuracy=None if halfway is None else _optional(halfway, "test_accuracy"),
        halfway_training_time=None if halfway is None else _optional(halfway, "training_time"),
        total_time=_optional(metrics, "total_time"),
    )
    return metrics.trainable_parameters, run


def _decode_row(data: bytes, where: str, epochs: int | None) -> _Row | None:
    """One record's JSON row, or ``None`` if its epoch budget is not ``epochs``."""
    try:
        row = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptDataError(f"{where}: not a UTF-8 JSON row ({exc})") from exc
    if not isinstance(row, list) or len(row) != 5:
        raise CorruptDataError(f"{where}: expected a JSON list of 5 items, got {row!r:.80}")
    module_hash, row_epochs, raw_adjacency, raw_operations, raw_metrics = row
    if not (isinstance(row_epochs, int) and not isinstance(row_epochs, bool)):
        raise CorruptDataError(f"{where}: epochs is {row_epochs!r}, expected an integer")
    if epochs is not None and row_epochs != epochs:
        return None
    if not all(isinstance(v, str) for v in (module_hash, raw_adjacency, raw_operations,
                                              raw_metrics)):
        raise CorruptDataError(f"{where}: hash, adjacency, operations and metrics must be strings")
    dim = math.isqrt(len(raw_adjacency))
    if dim * dim != len(raw_adjacency) or set(raw_adjacency) - {"0", "1"}:
        raise CorruptDataError(f"{where}: adjacency {raw_adjacency!r} is no square 0/1 matrix")
    if len(raw_operations.split(",")) != dim:
        raise CorruptDataError(f"{where}: {raw_operations!r} is not {dim} operations")
    parameters, run = _decode_metrics(raw_metrics, row_epochs, where)
    return _Row(module_hash, row_epochs, raw_adjacency, raw_operations, parameters, run)


def _iter_rows(path: Path, epochs: int | None, verify_crc: bool) -> Iterator[_Row]:
    """Decoded runs of an existing file, in file order, filtered by ``epochs``."""
    records = _iter_tfrecords(path, verify_crc=verify_crc)
    for number, data in progress(records, desc=f"NAS-Bench-101 {path.name}"):
        row = _decode_row(data, f"{path}: record {number}", epochs)
        if row is not None:
            yield row


def _adjacency(raw: str) -> tuple[tuple[int, ...], ...]:
    dim = math.isqrt(len(raw))
    return tuple(tuple(int(c) for c in raw[i * dim:(i + 1) * dim]) for i in range(dim))


def read_nb101_tfrecord(
    path: str | os.PathLike[str], epochs: int | None = 108, *, verify_crc: bool = True
) -> Iterator[NB101Record]:
    """The cells of an official NAS-Bench-101 file, with all their runs.

    ``epochs`` keeps one epoch budget (``None``: all, one record per cell and budget). Runs of a
    cell are grouped wherever they lie in the file, so the whole file is read (and held in
    memory, as the official API does) before the first record is yielded, in first-seen order.
    ``verify_crc=False`` skips the CRC checks. Raises DataNotFoundError for a missing file and
    CorruptDataError, naming the record, for bad framing, CRC, JSON or protobuf.
    """
    path = _existing(path)  # checked now, not at the first next()
    if verify_crc:
        _crc32c_function()
    return _grouped(path, epochs, verify_crc)


def _grouped(path: Path, epochs: int | None, verify_crc: bool) -> Iterator[NB101Record]:
    """The NB101Records of :func:`read_nb101_tfrecord`."""
    groups: dict[tuple[str, int], tuple[_Row, list[RunMetrics]]] = {}
    for row in _iter_rows(path, epochs, verify_crc):
        key = (row.hash, row.epochs)
        group = groups.get(key)
        if group is None:
            groups[key] = (row, [row.run])
            continue
        first, runs = group
        if (row.raw_adjacency, row.raw_operations) != (first.raw_adjacency, first.raw_operations):
            raise CorruptDataError(
                f"{path}: cell {row.hash} at {row.epochs} epochs has runs with different graphs"
            )
        runs.append(row.run)
    for first, runs in groups.values():
        yield NB101Record(
            hash=first.hash,
            epochs=first.epochs,
            adjacency=_adjacency(first.raw_adjacency),
            ops=tuple(first.raw_operations.split(",")),
            trainable_parameters=first.trainable_parameters,
            runs=tuple(runs),
        )


def nb101_official_table(
    path: str | os.PathLike[str], metric: str = "val", epochs: int = 108
) -> dict[str, float]:
    """Cell hash -> final validation (``"val"``) or test (``"test"``) accuracy in percent,
    averaged over the repeats at ``epochs`` epochs."""
    if metric not in METRICS:
        raise UnknownNameError(f"unknown NB101 metric {metric!r}; choose from {', '.join(METRICS)}")
    sums: dict[str, list[float]] = {}
    for row in _iter_rows(_existing(path), epochs, verify_crc=True):
        value = (row.run.final_validation_accuracy if metric == "val"
                 else row.run.final_test_accuracy)
        sums.setdefault(row.hash, []).append(value)
    return {h: 100.0 * math.fsum(values) / len(values) for h, values in sums.items()}
