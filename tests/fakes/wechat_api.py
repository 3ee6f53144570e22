"""A fake WeChat API: access tokens, customer-service messages and media downloads."""

from __future__ import annotations

import threading
from typing import Any, Dict, List

from aiohttp import web

from tests.fakes.telegram_api import JPEG


class FakeWeChat:
    def __init__(self, appid: str, secret: str) -> None:
        self.appid, self.secret = appid, secret
        self.token_fetches = 0
        self.sent: List[Dict[str, Any]] = []
        self._lock = threading.Lock()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        app.router.add_get("/cgi-bin/media/get", self.media)
        return app

    def texts_to(self, openid: str) -> List[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    async def token(self, request: web.Request) -> web.Response:
        if (request.query.get("appid"), request.query.get("secret")) != (self.appid, self.secret):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        with self._lock:
            self.token_fetches += 1
        return web.json_response({"access_token": f"token-{self.token_fetches}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        with self._lock:
            self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media(self, request: web.Request) -> web.Response:
        return web.Response(body=JPEG, content_type="image/jpeg")
