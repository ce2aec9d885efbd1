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
    # Codes without the word "otp", spaced or dashed codes (issue 11 §2).
    ("ma la 482913", "ma la [mã bí mật]", {"otp"}),
    ("mã của tôi 482913", "mã của tôi [mã bí mật]", {"otp"}),
    ("mã OTP là 1 2 3 4 5 6", "mã OTP là [mã bí mật]", {"otp"}),
    ("otp 12-34-56", "otp [mã bí mật]", {"otp"}),
    ("code 4829.13 nhe", "code [mã bí mật] nhe", {"otp"}),
    ("ma pin 1234", "ma pin [mã bí mật]", {"otp"}),
    # Passwords with spaces and symbols; the plain words after them stay.
    ("pass = p@ss w0rd", "pass = [mật khẩu]", {"password"}),
    ("mk: Tr0ng Hoa 99 roi ma van sai", "mk: [mật khẩu] roi ma van sai", {"password"}),
    ("password là abc", "password là [mật khẩu]", {"password"}),
    # A chip ID is 12 digits however it is grouped: an ID, not an account.
    ("cccd 0012 0300 4567", "cccd [số định danh]", {"id_card"}),
    ("so can cuoc 001-203-004-567 a", "so can cuoc [số định danh] a", {"id_card"}),
    ("cc 00120 3004567", "cc [số định danh]", {"id_card"}),
    ("the 4111 1111 1111 1111", "the [số tài khoản]", {"account"}),
    # Not personal data: dates, years, short numbers, ordinary questions.
    ("ngay 10/10 nam 2025 co hoat dong gi", "ngay 10/10 nam 2025 co hoat dong gi", set()),
    ("chuyen tren 10 trieu co phai quet mat", "chuyen tren 10 trieu co phai quet mat", set()),
    ("quen mat khau vneid", "quen mat khau vneid", set()),
    ("ma so thue ca nhan la gi", "ma so thue ca nhan la gi", set()),
    ("mật khẩu là gì vậy", "mật khẩu là gì vậy", set()),
    ("mk la sao de manh", "mk la sao de manh", set()),
    ("nam 2025 ma toi chua lam", "nam 2025 ma toi chua lam", set()),
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


def test_an_id_typed_with_spaces_warns_the_citizen() -> None:
    spaced = mask("so cccd cua toi 0012 0300 4567")
    assert spaced.secret
    assert spaced.text == "so cccd cua toi [số định danh]"


def test_masking_comes_before_the_limit() -> None:
    """A long text full of numbers grows when masked; it must still fit, and no number may be
    cut in half and left readable."""
    text = "goi 0912345678 " * 250  # 3,750 characters; masked it would be 4,250
    result = mask(text, limit=4000)
    assert len(result.text) <= 4000
    assert "0912" not in result.text
    assert "091" not in result.text
    cut = mask("so 0912345678", limit=8)
    assert cut.text == "so [số …"
    assert "phone" in cut.found
