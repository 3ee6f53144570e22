import pytest

from core import validation


@pytest.mark.parametrize(
    ("text", "age"),
    [("8岁", 8), ("孩子七岁了", 7), ("十二", 12), ("两岁半", 2), ("6岁半", 6), ("九", 9), ("不知道", None)],
)
def test_age_in_digits_or_chinese(text: str, age: int) -> None:
    assert validation.parse_age(text) == age


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13812345678", "13812345678"),
        ("我手机139 1234 5678", "13912345678"),
        ("号码是150-3551-2345", "15035512345"),
        ("1381234567", None),
        ("23812345678", None),
        ("138123456789", None),
    ],
)
def test_mobile_numbers(text: str, phone: str) -> None:
    assert validation.parse_mobile(text) == phone


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("王小明", "王小明"),
        ("孩子叫李想", "李想"),
        ("我叫张伟。", "张伟"),
        ("a", None),
        ("王" * 11, None),
        ("13812345678", None),
    ],
)
def test_names(text: str, name: str) -> None:
    assert validation.parse_name(text) == name


def test_masking_keeps_only_what_identifies_nobody() -> None:
    assert validation.mask_phone("13812345678") == "138****5678"
    assert validation.mask_name("王小明") == "王*明"
    assert validation.mask_name("李想") == "李*"


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (36.19, 113.11, (36.19, 113.11)),
        ("36.19", "113.11", (36.19, 113.11)),
        (-90, 180, (-90.0, 180.0)),
        ("abc", 113.1, None),
        (36.19, None, None),
        (None, None, None),
        (float("nan"), 113.1, None),
        (1e400, 113.1, None),
        (91, 0, None),
        (0, -180.5, None),
        (True, 113.1, None),
        ([36], 113.1, None),
    ],
)
def test_coordinates_are_two_finite_numbers_on_the_globe(lat: object, lon: object, expected: object) -> None:
    assert validation.coordinates(lat, lon) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (42, 42),
        (7.0, 7),
        (str(validation.MAX_ID), validation.MAX_ID),
        (str(validation.MAX_ID + 1), None),
        ("9" * 5000, None),  # int() itself refuses over 4,300 digits
        ("0042", 42),
        ("-1", None),
        ("4.2", None),
        ("４２", None),  # full-width digits are not an id
        ("x", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_a_record_id_is_a_plain_number_a_database_column_holds(value: object, expected: object) -> None:
    assert validation.record_id(value) == expected
