from datetime import datetime

from core import inbound
from core.services import Services

NOW = datetime(2026, 11, 26, 6, 0, 30)


def test_a_message_id_is_new_once(services: Services) -> None:
    assert services.transaction(lambda s: inbound.first_time(s, "telegram", "u-1", NOW))
    assert not services.transaction(lambda s: inbound.first_time(s, "telegram", "u-1", NOW))
    assert services.transaction(lambda s: inbound.first_time(s, "wechat", "u-1", NOW))
