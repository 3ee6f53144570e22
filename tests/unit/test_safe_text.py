"""Text from outside, made safe where it enters (core.safe_text): a property-based check."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import safe_text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=3000), st.integers(min_value=0, max_value=2500))
def test_any_text_becomes_storable_short_and_stays_so(text: str, limit: int) -> None:
    cleaned = safe_text.clean(text, limit)
    cleaned.encode("utf-8")  # a lone surrogate would raise here
    assert len(cleaned) <= limit and "\x00" not in cleaned and "\r" not in cleaned
    assert safe_text.clean(cleaned, limit) == cleaned


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("路灯坏了\ud800", "路灯坏了"),
        ("第一行\r\n第二行\r第三\t列", "第一行\n第二行\n第三\t列"),
        ("a\x00b\x1bc\x7fd\u2028e", "abcde"),
        ("驿站😀在哪", "驿站😀在哪"),
    ],
)
def test_what_goes_and_what_stays(text: str, cleaned: str) -> None:
    assert safe_text.clean(text) == cleaned


def test_long_text_is_cut_to_the_limit() -> None:
    assert len(safe_text.clean("长" * 10_000)) == safe_text.MESSAGE_LIMIT


def test_json_strings_are_cleaned_and_deep_nesting_refused() -> None:
    assert safe_text.clean_json({"a\ud800": ["x\x00", {"n": 1}]}) == {"a": ["x", {"n": 1}]}
    deep = json.loads("[" * 50 + "]" * 50)
    with pytest.raises(safe_text.TooDeep):
        safe_text.clean_json(deep)
