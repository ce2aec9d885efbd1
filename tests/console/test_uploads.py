"""The console's multipart reader: what browsers send, and what it refuses."""

from __future__ import annotations

from bot.features.console.uploads import MAX_FIELDS, parse_multipart

KIND = "multipart/form-data; boundary=----b0undary"


def _body(*parts: bytes) -> bytes:
    return (
        b"".join(b"------b0undary\r\n" + part + b"\r\n" for part in parts)
        + b"------b0undary--\r\n"
    )


def _field(name: str, value: str) -> bytes:
    return f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode()


def _file(name: str, filename: str, data: bytes) -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
    return head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data


def test_fields_and_a_binary_file_come_back_intact() -> None:
    data = b"PK\x03\x04\r\n--\x00\xff binary \r\n\r\n end"
    parsed = parse_multipart(
        KIND, _body(_field("csrf", "tok"), _file("tep", "C:\\Users\\Lan\\nhật ký.xlsx", data))
    )
    assert parsed is not None
    fields, files = parsed
    assert fields == {"csrf": "tok"}
    assert files["tep"].data == data
    assert files["tep"].filename == "nhật ký.xlsx"  # no path of the sender's computer


def test_an_empty_file_input_sends_no_file() -> None:
    parsed = parse_multipart(KIND, _body(_field("csrf", "tok"), _file("tep", "", b"")))
    assert parsed == ({"csrf": "tok"}, {})


def test_malformed_bodies_are_refused() -> None:
    good = _body(_field("csrf", "tok"))
    assert parse_multipart("multipart/form-data", good) is None  # no boundary
    assert parse_multipart(KIND, good.replace(b"--\r\n", b"\r\n")) is None  # never closed
    assert parse_multipart(KIND, b"garbage") is None
    assert parse_multipart(KIND, _body(b"Content-Disposition: form-data\r\n\r\nx")) is None
    many = _body(*[_field(f"f{i}", "x") for i in range(MAX_FIELDS + 1)])
    assert parse_multipart(KIND, many) is None
    # A long plain field is read (the route's body limit bounds it, as it bounds a file).
    assert parse_multipart(KIND, _body(_field("long", "x" * 5000))) == ({"long": "x" * 5000}, {})
