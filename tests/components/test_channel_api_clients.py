"""The channels' API clients against the local fakes, which check credentials as the real APIs do:
an expired or unknown WeChat access token (42001, 40001) is fetched again and the call repeated;
a wrong Telegram bot token is refused, for messages and for file downloads."""

from __future__ import annotations

import io
from typing import Iterator, Tuple

import aiohttp
import pytest
from aiogram import types

from bot.channels import conversations
from bot.channels.outgoing import SendError
from bot.channels.telegram import TelegramConfig, TelegramInput, TelegramSender
from bot.channels.wechat import ApiClient, WeChatConfig, WeChatSender
from tests.fakes.server import ThreadedServer
from tests.fakes.telegram_api import JPEG, FakeTelegram
from tests.fakes.wechat_api import EXPIRED_TOKEN, INVALID_CREDENTIAL, FakeWeChat

APPID, SECRET = "wx0123456789abcdef", "wechat-secret"
BOT_TOKEN = "123456:TEST-token"


@pytest.fixture
def wechat() -> Iterator[Tuple[FakeWeChat, WeChatConfig]]:
    fake = FakeWeChat(APPID, SECRET)
    server = ThreadedServer(fake.app()).start()
    yield fake, WeChatConfig("wechat-token", APPID, SECRET, None, f"{server.url}/cgi-bin/")
    server.stop()


@pytest.fixture
def telegram() -> Iterator[Tuple[FakeTelegram, str]]:
    fake = FakeTelegram(BOT_TOKEN)
    server = ThreadedServer(fake.app()).start()
    yield fake, server.url
    server.stop()


def to(openid: str) -> str:
    return conversations.marked(conversations.WECHAT, openid)


async def test_an_expired_wechat_token_is_fetched_again_and_the_message_still_sent(wechat) -> None:
    fake, config = wechat
    sender = WeChatSender(ApiClient(config))
    await sender.send(to("o-first"), {"text": "第一条"})
    await sender.send(to("o-first"), {"text": "第二条"})
    assert fake.token_fetches == 1  # kept while it lives
    fake.expire_tokens()
    await sender.send(to("o-first"), {"text": "过期以后"})
    assert fake.refused == [EXPIRED_TOKEN] and fake.token_fetches == 2
    assert fake.texts_to("o-first") == ["第一条", "第二条", "过期以后"]


async def test_a_wechat_token_the_api_no_longer_knows_is_replaced(wechat) -> None:
    fake, config = wechat
    client = ApiClient(config)
    await WeChatSender(client).send(to("o-2"), {"text": "一"})
    client.session.set(client.access_token_key, "token-revoked", 7200)  # another process fetched a newer one
    await WeChatSender(client).send(to("o-2"), {"text": "二"})
    assert fake.refused == [INVALID_CREDENTIAL] and fake.texts_to("o-2") == ["一", "二"]


def test_a_wechat_image_is_downloaded_after_the_token_is_refreshed(wechat) -> None:
    fake, config = wechat
    client = ApiClient(config)
    assert client.media.download("media-1").content == JPEG
    fake.expire_tokens()
    assert client.media.download("media-2").content == JPEG
    assert fake.refused == [EXPIRED_TOKEN] and fake.token_fetches == 2


async def test_a_wrong_wechat_secret_is_a_send_error(wechat) -> None:
    fake, config = wechat
    wrong = WeChatConfig(config.token, config.appid, "not-the-secret", None, config.api_url)
    with pytest.raises(SendError):
        await WeChatSender(ApiClient(wrong)).send(to("o-3"), {"text": "发不出去"})
    assert fake.sent == [] and fake.token_fetches == 0


async def test_the_telegram_fake_refuses_a_wrong_bot_token_for_messages_and_files(telegram) -> None:
    fake, url = telegram
    right = TelegramSender(TelegramConfig(BOT_TOKEN, "secret", url).bot(), attempts=1)
    wrong = TelegramSender(TelegramConfig("123456:WRONG-token", "secret", url).bot(), attempts=1)
    try:
        await right.send(conversations.marked(conversations.TELEGRAM, "42"), {"text": "你好"})
        with pytest.raises(SendError) as refused:
            await wrong.send(conversations.marked(conversations.TELEGRAM, "42"), {"text": "冒名"})
        assert not refused.value.retryable
        assert [c["text"] for c in fake.sent()] == ["你好"]
    finally:
        await right.close()
        await wrong.close()


async def test_the_telegram_fake_refuses_a_file_download_with_a_wrong_bot_token(telegram) -> None:
    _, url = telegram
    right, wrong = TelegramConfig(BOT_TOKEN, "s", url).bot(), TelegramConfig("123456:WRONG-token", "s", url).bot()
    try:
        good = io.BytesIO()
        await right.download_file("photos/1.jpg", destination=good)
        assert good.getvalue() == JPEG
        with pytest.raises(aiohttp.ClientResponseError) as refused:
            await wrong.download_file("photos/1.jpg", destination=io.BytesIO())
        assert refused.value.status == 401
    finally:
        await right.close()
        await wrong.close()


async def test_a_telegram_photo_that_cannot_be_downloaded_is_skipped_not_an_error(telegram) -> None:
    fake, url = telegram
    fake.files_gone = True  # getFile answers, the download link has expired
    channel = TelegramInput(TelegramConfig(BOT_TOKEN, "s", url))
    photo = types.PhotoSize(file_id="f-1", file_unique_id="u-1", width=1, height=1, file_size=len(JPEG))
    try:
        assert await channel._store_photo(conversations.marked(conversations.TELEGRAM, "42"), photo) is None
        assert [c["method"] for c in fake.calls] == ["getFile"]
    finally:
        await channel._get_bot().close()
