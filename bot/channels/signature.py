"""How the web app signs what it posts to the web chat channel (stdlib only: both sides import it)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Nuanxin-Signature"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_signed(secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(sign(secret, body), given)
