"""The senders configured for this installation, by channel name."""

from __future__ import annotations

from typing import Dict

import aiohttp

from bot.channels.outgoing import Sender


def configured_senders(client: aiohttp.ClientSession) -> Dict[str, Sender]:
    """Senders of the channels that have credentials; web chat and REST need none (queued)."""
    return {}
