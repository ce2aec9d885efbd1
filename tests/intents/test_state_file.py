"""A matcher's state file (intents/state_file.py): JSON for the strings, raw bytes for the
arrays, every damage refused."""

from __future__ import annotations

import array
import gzip
import io
from typing import Any

import numpy
import pytest

import intents.state_file as state_file
from intents.state_file import MAGIC, dumps, loads, read


def _state() -> dict[str, Any]:
    return {
        "version": "abc",
        "terms": "mat\nkhau\nmat_khau",
        "nested": [["one", array.array("i", [3, -1, 2**31 - 1])], {"kinds": {"what": 1.5}}],
        "columns": numpy.array([0, 5, 7], dtype=numpy.int32),
        "values": numpy.array([0.1, -2.5, 1e-300], dtype=numpy.float64),
        "empty": array.array("d"),
        "odd": array.array("i", [1]),  # 4 bytes: the next array is padded to 8
        "last": numpy.array([2.0**-1074, 7.25]),
    }


def _same(found: Any, expected: Any) -> None:
    if isinstance(expected, dict):
        assert isinstance(found, dict)
        assert found.keys() == expected.keys()
        for key, value in expected.items():
            _same(found[key], value)
    elif isinstance(expected, (list, tuple)):
        assert isinstance(found, list)
        assert len(found) == len(expected)
        for one, other in zip(found, expected, strict=True):
            _same(one, other)
    elif isinstance(expected, (array.array, numpy.ndarray)):
        assert isinstance(found, numpy.ndarray)
        assert found.dtype == (numpy.int32 if _kind(expected) == "i" else numpy.float64)
        assert found.tolist() == expected.tolist()  # bit for bit: floats compared exactly
        assert found.flags.aligned
    else:
        assert found == expected


def _kind(found: Any) -> str:
    return found.typecode if isinstance(found, array.array) else found.dtype.kind


def test_a_state_reads_back_the_same_from_bytes_a_file_and_a_gzip_file(tmp_path) -> None:
    data = dumps(_state())
    assert data.startswith(MAGIC)
    _same(loads(data), _state())
    _same(read(io.BytesIO(data)), _state())
    (tmp_path / "state.gz").write_bytes(gzip.compress(data))
    with gzip.open(tmp_path / "state.gz", "rb") as stream:
        _same(read(stream), _state())


def test_the_arrays_are_raw_bytes_not_text() -> None:
    numbers = numpy.arange(10_000, dtype=numpy.float64) / 3
    data = dumps({"values": numbers})
    assert numbers.tobytes() in data
    assert len(data) < numbers.nbytes + 200


def test_without_numpy_arrays_read_back_as_array_array(monkeypatch) -> None:
    data = dumps(_state())
    monkeypatch.setattr(state_file, "numpy_or_none", lambda: None)
    found = loads(data)
    assert isinstance(found["columns"], array.array)
    assert found["columns"].typecode == "i"
    assert found["columns"].tolist() == [0, 5, 7]
    assert found["values"].tolist() == [0.1, -2.5, 1e-300]
    assert found["nested"][0][1].tolist() == [3, -1, 2**31 - 1]
    assert found["empty"].tolist() == []


def test_what_cannot_be_kept_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        dumps({"a": {"$array": 1}})
    with pytest.raises(ValueError, match="not kept"):
        dumps({"a": numpy.array([1, 2], dtype=numpy.int64)})
    with pytest.raises(ValueError, match="not kept"):
        dumps({"a": array.array("h", [1])})


def _header_of(data: bytes) -> tuple[int, bytes]:
    length = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    return length, data[len(MAGIC) + 8 : len(MAGIC) + 8 + length]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[:10],
        lambda data: b"X" + data[1:],  # another magic (an earlier format's JSON, say)
        lambda data: data[: len(MAGIC) + 20],  # the header cut short
        lambda data: data[:-1],  # the last array cut short
        lambda data: data.replace(b'"$array":["d",', b'"$array":["x",', 1),  # unknown kind
        lambda data: data.replace(b'"$array":["i",0,', b'"$array":["i",4,', 1),  # misaligned
        lambda data: data.replace(b'"$array":["i",0,', b'"$array":["i",-8,', 1),
        lambda data: data.replace(b'"$array":["i",0,3]', b'"$array":["i",0,9e9]', 1),
        lambda data: data.replace(b'"$array":["i",0,', b'"$array":["i","0",', 1),
    ],
)
def test_a_damaged_file_is_refused(damage) -> None:
    data = dumps(_state())
    damaged = damage(data)
    assert damaged != data
    refused = "state file|damaged array|out of bounds"
    with pytest.raises(ValueError, match=refused):
        loads(damaged)
    with pytest.raises(ValueError, match=refused):
        read(io.BytesIO(damaged))


def test_an_array_reaching_past_the_end_is_refused() -> None:
    data = dumps({"a": array.array("i", [1, 2])})
    length, header = _header_of(data)
    assert b'"$array":["i",0,2]' in header
    longer = header.replace(b"0,2]", b"0,3]")
    assert len(longer) == length
    forged = data.replace(header, longer)
    with pytest.raises(ValueError, match="out of bounds"):
        loads(forged)
