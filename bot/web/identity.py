"""A visitor's conversation id in a signed, HttpOnly cookie.

The page never sees the id; a forged or altered cookie is replaced by a new
conversation, so one visitor can never read or write another's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

from bot.channels import conversations

COOKIE = "nx_chat"
MAX_AGE_S = 180 * 24 * 3600


def sign(conversation_id: str, key: str) -> str:
    mac = hmac.new(key.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{conversation_id}.{mac}"


def verify(cookie: Optional[str], key: str) -> Optional[str]:
    """The conversation id if the cookie is genuine, else None."""
    if not cookie or "." not in cookie:
        return None
    conversation_id, _, _mac = cookie.rpartition(".")
    if not conversation_id or len(conversation_id) > 64:
        return None
    return conversation_id if hmac.compare_digest(sign(conversation_id, key), cookie) else None


def new_conversation_id() -> str:
    return conversations.marked(conversations.WEBCHAT, secrets.token_urlsafe(16))
