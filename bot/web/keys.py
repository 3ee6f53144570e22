"""Typed keys of what the web app keeps on its `Application`."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.rate_limits import RateLimiter
from bot.stores.conversation_log import ConversationLog
from core.services import Services

SERVICES = web.AppKey("services", Services)
LIMITER = web.AppKey("limiter", RateLimiter)
HTTP_CLIENT = web.AppKey("http_client", aiohttp.ClientSession)
CONVERSATION_LOG = web.AppKey("conversation_log", ConversationLog)
