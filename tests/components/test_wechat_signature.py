"""WeChat's request signature as WeChat documents it, computed here and by wechatpy, never by the
function under test: sha1 of token, timestamp and nonce sorted as strings and joined."""

import hashlib

import pytest
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels.wechat import signature_of

# (token, timestamp, nonce): orders in which sorting changes the joined string.
CASES = [
    ("wechat-token", "1700000000", "123456"),
    ("abc", "1409304348", "xxxxxx"),
    ("zzz", "1000000000", "aaa"),
    ("token", "1", "2"),
    ("M", "9", "a"),
]


@pytest.mark.parametrize(("token", "timestamp", "nonce"), CASES)
def test_the_signature_is_the_sha1_of_the_three_values_sorted(token: str, timestamp: str, nonce: str) -> None:
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    assert signature_of(token, timestamp, nonce) == expected
    check_signature(token, signature_of(token, timestamp, nonce), timestamp, nonce)  # wechatpy agrees


def test_a_known_signature() -> None:
    # sorted: "1409304348" < "abc" < "xxxxxx"; the sha1 of "1409304348abcxxxxxx", computed once with sha1sum.
    assert signature_of("abc", "1409304348", "xxxxxx") == "021fe7f121b5ca14c95b07a474c0deb21b78fc4b"


@pytest.mark.parametrize(("token", "timestamp", "nonce"), CASES)
def test_wechatpy_refuses_a_signature_made_without_sorting(token: str, timestamp: str, nonce: str) -> None:
    unsorted = hashlib.sha1(f"{token}{timestamp}{nonce}".encode()).hexdigest()
    assert unsorted != signature_of(token, timestamp, nonce)
    with pytest.raises(InvalidSignatureException):
        check_signature(token, unsorted, timestamp, nonce)
