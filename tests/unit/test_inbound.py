from datetime import datetime

from core import inbound
from core.services import Services

NOW = datetime(2026, 11, 26, 6, 0, 30)


def test_a_message_id_is_new_once(services: Services) -> None:
    assert services.transaction(lambda s: inbound.first_time(s, "telegram", "u-1", NOW))
    assert not services.transaction(lambda s: inbound.first_time(s, "telegram", "u-1", NOW))
    assert services.transaction(lambda s: inbound.first_time(s, "wechat", "u-1", NOW))


def test_a_signed_nonce_is_good_for_one_body(services: Services) -> None:
    def use(token: str, digest: str) -> bool:
        return services.transaction(lambda s: inbound.first_use(s, "wechat-nonce", token, digest, NOW))

    assert use("1700000000:abc", "body1")
    assert use("1700000000:abc", "body1")  # WeChat's own retry: same request again
    assert not use("1700000000:abc", "body2")  # the signature replayed with another body
    assert use("1700000000:abd", "body2")
    assert use("17000000_0:%x", "b") and not use("17000000_0:%x", "c")  # LIKE wildcards are literal
    assert use("17000000a0:%xy", "c")
