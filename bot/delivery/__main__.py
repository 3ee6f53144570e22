"""python -m bot.delivery: the delivery worker process."""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp

from bot.channels.senders import close_all, configured_senders
from bot.delivery.recorder import TrackerRecorder
from bot.delivery.render import Renderer
from bot.delivery.worker import DeliveryWorker
from core.services import Services
from core.settings import Settings


async def main() -> None:
    settings = Settings.from_env()
    services = Services.from_settings(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as client:
        senders = configured_senders()
        recorder = TrackerRecorder(client, settings.rasa_url, settings.rasa_token)
        worker = DeliveryWorker(services, senders, recorder, Renderer())
        task = asyncio.create_task(worker.run_forever())
        logging.getLogger(__name__).info("delivery worker running")
        await stop.wait()
        task.cancel()
        await close_all(senders)
    services.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main())
