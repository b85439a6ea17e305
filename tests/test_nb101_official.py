"""Reading the official NAS-Bench-101 TFRecord format, on small files written here.

The writer below is independent of the reader: protobuf wire format and CRC-32C are built by
hand, so a wrong field number, wire type or CRC mask in the reader makes these tests fail.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from naslib_zero.core.errors import CorruptDataError, DataNotFoundError, UnknownNameError
from naslib_zero.tables.nb101_official import (
    OFFICIAL_URL,
    NB101Record,
    RunMetrics,
    nb101_official_table,
    read_nb101_tfrecord,
)

if os.environ.get("CI", "").lower() != "true":  # CI installs the nb101 backends: fail there
    pytest.importorskip("google.protobuf")
    pytest.importorskip("google_crc32c")

# --- independent CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) ----------------------


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def test_reference_crc32c() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value


# --- hand-built protobuf wire format ------------------------------------------------------


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def double_field(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def bytes_field(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def evaluation(epoch: float, time: float, train: float, val: float, test: float) -> bytes:
    return (
        double_field(1, epoch) + double_field(2, time) + double_field(3, train)
        + double_field(4, val) + double_field(5, test) + bytes_field(6, b"/ckpt/model.ckpt-1")
    )


def model_metrics(params: int, total: float, evaluations: list[bytes]) -> bytes:
    body = b"".join(bytes_field(1, e) for e in evaluations)
    return body + varint(2 << 3 | 0) + varint(params) + double_field(3, total)


def frame(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))


def row(module_hash: str, epochs: int, adjacency: str, ops: str, metrics: bytes) -> bytes:
    raw = base64.b64encode(metrics).decode("ascii")
    return json.dumps([module_hash, epochs, adjacency, ops, raw]).encode("utf-8")


HASH_A = "a" * 31 + "1"
HASH_B = "b" * 31 + "2"
ADJ_A = "0110" "0001" "0001" "0000"  # 4 x 4
OPS_A = "input,conv3x3-bn-relu,maxpool3x3,output"
ADJ_B = "011" "001" "000"  # 3 x 3
OPS_B = "input,conv1x1-bn-relu,output"


def run_metrics(params: int, seed: float, epochs: int = 108) -> bytes:
    """Three evaluations at 0, epochs / 2 and epochs, values derived from ``seed``."""
    return model_metrics(params, 2000.0 + seed, [
        evaluation(0.0, 0.0, 0.1, 0.1, 0.1),
        evaluation(epochs / 2, 400.0 + seed, 0.80 + seed / 100, 0.70 + seed / 100,
                   0.69 + seed / 100),
        evaluation(float(epochs), 800.0 + seed, 1.0, 0.90 + seed / 100, 0.89 + seed / 100),
    ])


def records() -> list[bytes]:
    """Five runs: A and B at 108 epochs (two repeats each, interleaved), A once at 36."""
    return [
        row(HASH_A, 108, ADJ_A, OPS_A, run_metrics(1234567, 1.0)),
        row(HASH_B, 108, ADJ_B, OPS_B, run_metrics(2222, 3.0)),
        row(HASH_A, 36, ADJ_A, OPS_A, run_metrics(1234567, 5.0, epochs=36)),
        row(HASH_A, 108, ADJ_A, OPS_A, run_metrics(1234567, 2.0)),
        row(HASH_B, 108, ADJ_B, OPS_B, run_metrics(2222, 4.0)),
    ]


def write(path: Path, datas: list[bytes]) -> Path:
    path.write_bytes(b"".join(frame(d) for d in datas))
    return path


@pytest.fixture()
def nb101_file(tmp_path: Path) -> Path:
    return write(tmp_path / "nasbench_only108.tfrecord", records())


def expected_run(seed: float) -> RunMetrics:
    return RunMetrics(
        final_train_accuracy=1.0,
        final_validation_accuracy=0.90 + seed / 100,
        final_test_accuracy=0.89 + seed / 100,
        training_time=800.0 + seed,
        halfway_train_accuracy=0.80 + seed / 100,
        halfway_validation_accuracy=0.70 + seed / 100,
        halfway_test_accuracy=0.69 + seed / 100,
        halfway_training_time=400.0 + seed,
        total_time=2000.0 + seed,
    )


# --- tests ---------------------------------------------------------------------------------


def test_reads_every_field(nb101_file: Path) -> None:
    got = list(read_nb101_tfrecord(nb101_file))
    assert got == [
        NB101Record(
            hash=HASH_A, epochs=108,
            adjacency=((0, 1, 1, 0), (0, 0, 0, 1), (0, 0, 0, 1), (0, 0, 0, 0)),
            ops=("input", "conv3x3-bn-relu", "maxpool3x3", "output"),
            trainable_parameters=1234567,
            runs=(expected_run(1.0), expected_run(2.0)),
        ),
        NB101Record(
            hash=HASH_B, epochs=108,
            adjacency=((0, 1, 1), (0, 0, 1), (0, 0, 0)),
            ops=("input", "conv1x1-bn-relu", "output"),
            trainable_parameters=2222,
            runs=(expected_run(3.0), expected_run(4.0)),
        ),
    ]
    with pytest.raises(AttributeError):  # frozen
        got[0].hash = "x"  # type: ignore[misc]


def test_epochs_filter(nb101_file: Path) -> None:
    only36 = list(read_nb101_tfrecord(nb101_file, epochs=36))
    assert [(r.hash, r.epochs, len(r.runs)) for r in only36] == [(HASH_A, 36, 1)]
    assert only36[0].runs[0] == expected_run(5.0)
    everything = list(read_nb101_tfrecord(nb101_file, epochs=None))
    assert [(r.hash, r.epochs, len(r.runs)) for r in everything] == [
        (HASH_A, 108, 2), (HASH_B, 108, 2), (HASH_A, 36, 1)
    ]
    assert list(read_nb101_tfrecord(nb101_file, epochs=12)) == []


def test_halfway_absent_when_no_mid_evaluation(tmp_path: Path) -> None:
    metrics = model_metrics(7, 1.5, [evaluation(108.0, 10.0, 0.5, 0.4, 0.3)])
    path = write(tmp_path / "f.tfrecord", [row(HASH_A, 108, ADJ_B, OPS_B, metrics)])
    (record,) = read_nb101_tfrecord(path)
    assert record.runs == (RunMetrics(0.5, 0.4, 0.3, 10.0, total_time=1.5),)


def test_table_mean_percent(nb101_file: Path) -> None:
    val = nb101_official_table(nb101_file)
    assert val.keys() == {HASH_A, HASH_B}
    assert val[HASH_A] == pytest.approx(100 * (0.91 + 0.92) / 2)
    assert val[HASH_B] == pytest.approx(100 * (0.93 + 0.94) / 2)
    test = nb101_official_table(nb101_file, metric="test")
    assert test[HASH_A] == pytest.approx(90.5)
    assert nb101_official_table(nb101_file, epochs=36) == {HASH_A: pytest.approx(95.0)}
    with pytest.raises(UnknownNameError):
        nb101_official_table(nb101_file, metric="train")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        read_nb101_tfrecord(tmp_path / "nope.tfrecord")  # raised at the call, not at next()
    assert "nope.tfrecord" in str(info.value)
    assert OFFICIAL_URL in str(info.value)
    with pytest.raises(DataNotFoundError):
        nb101_official_table(tmp_path / "nope.tfrecord")


def test_empty_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.tfrecord"
    path.write_bytes(b"")
    assert list(read_nb101_tfrecord(path)) == []


@pytest.mark.parametrize("cut", [5, 14, -2])  # in the header, in the data, in the footer
def test_truncated_file(tmp_path: Path, cut: int) -> None:
    datas = records()
    start = sum(len(frame(d)) for d in datas[:3])  # record 3 is cut
    end = start + len(frame(datas[3]))
    content = b"".join(frame(d) for d in datas[:4])
    path = tmp_path / "cut.tfrecord"
    path.write_bytes(content[: (start + cut if cut > 0 else end + cut)])
    with pytest.raises(CorruptDataError, match=r"record 3 \(byte offset"):
        list(read_nb101_tfrecord(path))


@pytest.mark.parametrize("where", ["length", "data", "data_crc"])
def test_flipped_byte(tmp_path: Path, where: str) -> None:
    datas = records()
    start = sum(len(frame(d)) for d in datas[:2])  # record 2 is damaged
    position = {"length": start + 1, "data": start + 12 + 20,
                "data_crc": start + 12 + len(datas[2]) + 1}[where]
    content = bytearray(b"".join(frame(d) for d in datas))
    content[position] ^= 0x04
    path = tmp_path / "flip.tfrecord"
    path.write_bytes(bytes(content))
    with pytest.raises(CorruptDataError, match="record 2 .*(CRC|truncated)"):
        list(read_nb101_tfrecord(path, epochs=None))


def test_verify_crc_off_reads_damaged_data(tmp_path: Path) -> None:
    data = row(HASH_A, 108, ADJ_A, OPS_A, run_metrics(1, 1.0))
    content = bytearray(frame(data))
    content[12 + data.index(b"a")] = ord("c")  # first hash character, a valid change
    path = tmp_path / "flip.tfrecord"
    path.write_bytes(bytes(content))
    with pytest.raises(CorruptDataError, match="CRC"):
        list(read_nb101_tfrecord(path))
    (record,) = read_nb101_tfrecord(path, verify_crc=False)
    assert record.hash == "c" + HASH_A[1:]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe not utf-8", "UTF-8 JSON"),
        (b"[1, 2", "UTF-8 JSON"),
        (json.dumps({"a": 1}).encode(), "list of 5"),
        (json.dumps([HASH_A, "108", ADJ_B, OPS_B, ""]).encode(), "epochs"),
        (json.dumps([HASH_A, 108, "0101", OPS_B, ""]).encode(), "operations"),
        (json.dumps([HASH_A, 108, "01x", OPS_B, ""]).encode(), "square"),
        (json.dumps([HASH_A, 108, ADJ_B, OPS_B, "not base64!"]).encode(), "base64"),
        (row(HASH_A, 108, ADJ_B, OPS_B, b"\x0a\x7f\x01"), "protobuf"),  # truncated sub-message
        (row(HASH_A, 108, ADJ_B, OPS_B, varint(2 << 3) + varint(5)), "no evaluation_data"),
        (row(HASH_A, 108, ADJ_B, OPS_B,
             model_metrics(1, 1.0, [double_field(4, 0.5)])), "lacks train_accuracy"),
    ],
)
def test_bad_content_names_the_record(tmp_path: Path, data: bytes, message: str) -> None:
    good = records()[0]
    path = write(tmp_path / "bad.tfrecord", [good, data])  # valid framing and CRCs
    with pytest.raises(CorruptDataError, match=f"record 1: .*{message}"):
        list(read_nb101_tfrecord(path))
    with pytest.raises(CorruptDataError, match="record 1"):
        nb101_official_table(path)


def test_inconsistent_repeats(tmp_path: Path) -> None:
    datas = [row(HASH_A, 108, ADJ_A, OPS_A, run_metrics(1, 1.0)),
             row(HASH_A, 108, ADJ_A, OPS_A.replace("maxpool3x3", "conv1x1-bn-relu"),
                 run_metrics(1, 2.0))]
    with pytest.raises(CorruptDataError, match="different graphs"):
        list(read_nb101_tfrecord(write(tmp_path / "f.tfrecord", datas)))


def test_backends_not_imported_at_module_import() -> None:
    code = (
        "import sys, naslib_zero.tables.nb101_official; "
        "bad = [m for m in ('google.protobuf', 'google_crc32c') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
