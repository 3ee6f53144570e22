"""A fake WeChat API: access tokens, customer-service messages and media downloads.

As the real API does: an access token lives `expires_in` seconds (7,200 by default);
a call with an unknown or missing token is refused with errcode 40001 (invalid
credential), one with an expired token with 42001 (access_token expired), both
with HTTP 200. `expire_tokens()` ends every token handed out so far, as if two
hours had passed; a client must then fetch a new one and call again.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

from aiohttp import web

from tests.fakes.telegram_api import JPEG

INVALID_CREDENTIAL, EXPIRED_TOKEN = 40001, 42001


class FakeWeChat:
    def __init__(self, appid: str, secret: str, lifetime_s: int = 7200) -> None:
        self.appid, self.secret, self.lifetime_s = appid, secret, lifetime_s
        self.token_fetches = 0
        self.refused: List[int] = []  # errcodes of the calls refused for their token, in order
        self.sent: List[Dict[str, Any]] = []
        self._tokens: Dict[str, float] = {}  # access token → when it expires (monotonic)
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

    def expire_tokens(self) -> None:
        """Every access token handed out so far has expired."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    async def token(self, request: web.Request) -> web.Response:
        if (request.query.get("appid"), request.query.get("secret")) != (self.appid, self.secret):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if request.query.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        with self._lock:
            self.token_fetches += 1
            token = f"token-{self.token_fetches}"
            self._tokens[token] = time.monotonic() + self.lifetime_s
        return web.json_response({"access_token": token, "expires_in": self.lifetime_s})

    def _refusal(self, request: web.Request) -> Optional[web.Response]:
        """The API's answer to a call whose access token is not good, else None."""
        with self._lock:
            expires = self._tokens.get(request.query.get("access_token", ""))
            if expires is None:
                code, text = INVALID_CREDENTIAL, "invalid credential, access_token is invalid or not latest"
            elif expires <= time.monotonic():
                code, text = EXPIRED_TOKEN, "access_token expired"
            else:
                return None
            self.refused.append(code)
        return web.json_response({"errcode": code, "errmsg": text})

    async def send(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        body = await request.json()
        with self._lock:
            self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)  # a Response is a mapping, falsy when empty: no `or` here
        return refusal if refusal is not None else web.Response(body=JPEG, content_type="image/jpeg")
