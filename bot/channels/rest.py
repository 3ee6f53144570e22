"""Rasa's `rest` channel, with every request checked before it reaches the assistant.

Same URL and payload as Rasa's own (`POST /webhooks/rest/webhook`,
`{"sender": ..., "message": ...}`), registered under the same name. The stock
channel answers a missing or non-object body with HTTP 500, files messages
without a sender under one shared "default" conversation, lets the client claim
any `input_channel` (and so pose as a Telegram user), and returns an empty list
when handling fails. Here: bad requests get a 400 that says why, the channel is
always `rest`, a blank message is asked to be retyped, and a message that would
otherwise go unanswered gets a polite "please try again", unless staff own the
conversation and the silence is intended.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import rate_limits
from bot.channels import conversations
from bot.channels.answer_sources import without_sources
from bot.channels.handling import answer
from bot.channels.replies import domain_messages
from core.settings import Settings

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
TOO_MANY = "发得太快了，请稍等一会儿再发。"
MAX_SENDER_CHARS = 128


class BadRequest(ValueError):
    """The request body is not what the channel accepts."""


def parse_body(request: Request) -> Dict[Text, Any]:
    """sender, message and metadata of a well-formed request; raises `BadRequest`."""
    try:
        body = request.json
    except Exception:  # sanic raises its own InvalidUsage for unreadable JSON
        raise BadRequest("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest('body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
    if not sender.isprintable():
        raise BadRequest("'sender' must not contain control characters")
    if message is None:
        raise BadRequest("'message' is missing")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"'message' is longer than {MAX_MESSAGE_CHARS} characters")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    return {"sender": sender, "message": message, "metadata": metadata}


class RestInput(RasaRestInput):
    """Rasa's rest channel behind a request check (see the module docstring).

    Its replies are Rasa's, without what produced each (`keeps_sources` says otherwise).
    It is for trying the assistant out and for integrations: with NUANXIN_ENV=production
    it is off unless REST_TOKEN is set, and with REST_TOKEN every post must carry it
    (`Authorization: Bearer …`). Each sender and each address has a rate limit.
    """

    keeps_sources = False

    def __init__(self) -> None:
        settings = Settings.from_env()
        self._production, self._token = settings.production, settings.rest_token
        self._limiter = rate_limits.limiter(settings.rate_limits, settings.redis_url)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self.refusal(request)
            if refused is not None:
                return refused
            try:
                body = parse_body(request)
                self.check_sender(body["sender"])
            except BadRequest as error:
                logger.info("rejected %s request: %s", self.name(), error)
                return response.json({"error": str(error)}, status=400)
            if self.over_limit(request, body["sender"]):
                return response.json({"error": TOO_MANY}, status=429)
            return response.json(await self.handle(request, on_new_message, **body))

        return webhook

    def refusal(self, request: Request) -> Optional[HTTPResponse]:
        """The answer to a post this channel does not accept at all; None lets it through."""
        if self._production and not self._token:
            return response.json({"error": "the rest channel is off in production (set REST_TOKEN)"}, status=404)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if self._token and not hmac.compare_digest(given.encode(), self._token.encode()):
            return response.json({"error": "this channel needs its token: Authorization: Bearer …"}, status=401)
        return None

    def over_limit(self, request: Request, sender: Text) -> bool:
        """Whether this sender or this address has sent too much lately."""
        return not (self._limiter.allows("rest", sender) and self._limiter.allows("rest_address", request.ip or ""))

    def check_sender(self, sender: Text) -> None:
        """A `rest` client names its own conversations, never another channel's (bot.channels.conversations)."""
        if conversations.belongs_to_a_marked_channel(sender):
            raise BadRequest("'sender' names a conversation of another channel")

    async def handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: Text,
        message: Text,
        metadata: Optional[Dict[Text, Any]],
    ) -> List[Dict[Text, Any]]:
        """Run the message through the assistant; never return an unexplained silence."""
        agent = request.app.ctx.agent
        if not message.strip():
            return domain_messages(agent, "utter_please_rephrase", sender)
        replies = await answer(request.app, on_new_message, message, sender, self.name(), metadata)
        return replies if self.keeps_sources else without_sources(replies)
