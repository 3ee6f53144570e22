"""The web chat page's channel: Rasa's rest contract, reachable only through the web app.

The web app knows the visitor from a signed cookie and posts on their behalf,
signing each body with the installation's secret; a post without a valid
signature is refused, so no one can write into a visitor's conversation by
guessing its id. Staff replies reach the page through the reply queue.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import conversations
from bot.channels.rest import BadRequest, RestInput
from bot.channels.signature import SIGNATURE_HEADER, is_signed
from core.settings import Settings

logger = logging.getLogger(__name__)


class WebChatInput(RestInput):
    """`POST /webhooks/webchat/webhook`, signed by the web app.

    Replies keep what produced them: the web app stores the answer a visitor
    may rate with its source, and strips the source before the page sees it.
    """

    keeps_sources = True

    def __init__(self, secret: Text) -> None:
        self._secret = secret

    def over_limit(self, request: Request, sender: Text) -> bool:
        return False  # the web app limits each visitor and address before it signs the post

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        secret = (credentials or {}).get("secret") or Settings.from_env().secret_key
        return cls(secret)

    def check_sender(self, sender: Text) -> None:
        """Only the web chat's own conversations (the web app signs every post besides)."""
        if not sender.startswith(conversations.WEBCHAT):
            raise BadRequest("'sender' is not a web chat conversation")

    def refusal(self, request: Request) -> Optional[HTTPResponse]:
        if is_signed(self._secret, request.body or b"", request.headers.get(SIGNATURE_HEADER, "")):
            return None
        logger.warning("refused a web chat post without a valid signature")
        return response.json({"error": "signature missing or wrong"}, status=403)
