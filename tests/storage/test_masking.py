import pytest

from storage.masking import mask

CASES = [
    ("sdt cua toi 0912345678 nhe", "sdt cua toi [số điện thoại] nhe", {"phone"}),
    ("goi +84 912 345 678", "goi [số điện thoại]", {"phone"}),
    ("so dinh danh 001203004567", "so dinh danh [số định danh]", {"id_card"}),
    ("cccd 001 203 004 567", "cccd [số định danh]", {"id_card"}),
    ("stk 1903 6543 2100 17 techcombank", "stk [số tài khoản] techcombank", {"account"}),
    ("email nam.nguyen@gmail.com", "email [email]", {"email"}),
    ("ma otp la 483920", "ma otp la [mã bí mật]", {"otp"}),
    (
        "mật khẩu là Abc@123 mà không vào được",
        "mật khẩu là [mật khẩu] mà không vào được",
        {"password"},
    ),
    # Not personal data: dates, years, short numbers, ordinary questions.
    ("ngay 10/10 nam 2025 co hoat dong gi", "ngay 10/10 nam 2025 co hoat dong gi", set()),
    ("chuyen tren 10 trieu co phai quet mat", "chuyen tren 10 trieu co phai quet mat", set()),
    ("quen mat khau vneid", "quen mat khau vneid", set()),
]


@pytest.mark.parametrize(("text", "masked", "found"), CASES, ids=[c[0][:30] for c in CASES])
def test_mask(text: str, masked: str, found: set[str]) -> None:
    result = mask(text)
    assert result.text == masked
    assert result.found == found


def test_secrets_are_flagged_for_a_warning() -> None:
    assert mask("otp 123456").secret
    assert mask("so cccd 001203004567").secret
    assert not mask("sdt 0912345678").secret
