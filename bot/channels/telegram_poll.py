"""Telegram without a public URL: poll getUpdates and hand each update to the webhook.

    TELEGRAM_TOKEN=… TELEGRAM_SECRET_TOKEN=… python -m bot.channels.telegram_poll

For a first try on a laptop. Each update is posted to the local Rasa server's
Telegram webhook with the secret token, so it goes through exactly the same
checks and handling as in webhook mode; the offset moves on only once the
webhook has taken an update, so none is lost when Rasa restarts.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp
from aiogram.utils import exceptions

from bot.channels.telegram import SECRET_HEADER, TelegramConfig
from core.settings import Settings

logger = logging.getLogger(__name__)
POLL_TIMEOUT_S = 25


async def poll(config: TelegramConfig, webhook_url: str, stop: asyncio.Event) -> None:
    bot = config.bot()
    await bot.delete_webhook()  # getUpdates refuses to run while a webhook is set
    offset = 0
    async with aiohttp.ClientSession() as client:
        while not stop.is_set():
            try:
                updates = await bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_S)
            except (exceptions.TelegramAPIError, exceptions.NetworkError, OSError) as error:
                logger.warning("getUpdates failed (%s); retrying", error)
                await asyncio.sleep(3)
                continue
            for update in updates:
                headers = {SECRET_HEADER: config.secret_token}
                try:
                    async with client.post(webhook_url, json=update.to_python(), headers=headers) as reply:
                        if reply.status >= 500:
                            raise aiohttp.ClientError(f"webhook answered {reply.status}")
                except aiohttp.ClientError as error:
                    logger.warning("the assistant did not take update %s (%s); retrying", update.update_id, error)
                    await asyncio.sleep(3)
                    break
                offset = update.update_id + 1
    await bot.close()


async def main() -> None:
    config = TelegramConfig.load()
    if config is None:
        raise SystemExit("set TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN first")
    rasa = Settings.from_env().rasa_url
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(poll(config, f"{rasa}/webhooks/telegram/webhook", stop))
    await stop.wait()
    task.cancel()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main())
