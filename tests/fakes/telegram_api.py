"""A fake Telegram Bot API server: records what the bot sends, can answer 429; a wrong bot token is a 401,
for methods and file downloads alike, as on the real Bot API."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

from aiohttp import web

# The smallest valid JPEG: what getFile/download returns.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e"
    "1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501"
    "010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Dict[str, Any]] = []
        self.rate_limit_next = 0  # answer the next n sendMessage calls with 429
        self.rate_limited = 0  # how many were
        self.outage = False  # answer every sendMessage with 502, as during a Bot API outage
        self.files_gone = False  # answer downloads with 404, as for a file whose link has expired
        self._lock = threading.Lock()
        self._message_id = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.method)
        app.router.add_get("/file/bot{token}/{path:.*}", self.file)
        return app

    def sent(self, method: str = "sendMessage") -> List[Dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

    async def method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        name = request.match_info["method"]
        params: Dict[str, Any] = (
            dict(await request.post()) if request.content_type != "application/json" else await request.json()
        )
        with self._lock:
            if name == "sendMessage" and self.outage:
                return web.Response(status=502, text="Bad Gateway")
            if name == "sendMessage" and self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.rate_limited += 1
                return web.json_response(
                    {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                     "parameters": {"retry_after": 1}},
                    status=429,
                )  # fmt: skip
            self.calls.append({"method": name, **{k: str(v) for k, v in params.items()}})
            self._message_id += 1
            message_id = self._message_id
        if name == "sendMessage":
            chat = {"id": int(params["chat_id"]), "type": "private"}
            result: Any = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": params.get("text")}
        elif name == "getFile":
            result = {
                "file_id": params["file_id"],
                "file_unique_id": "u",
                "file_size": len(JPEG),
                "file_path": "photos/1.jpg",
            }
        elif name == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "暖新助手", "username": "nuanxin_bot"}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    async def file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:  # as the Bot API answers a download with a wrong token
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if self.files_gone:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=JPEG, content_type="image/jpeg")
