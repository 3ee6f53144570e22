"""Console accounts: scrypt password hashes, server-side sessions, CSRF tokens, roles."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.models import StaffSession, StaffUser

ROLES = ("staff", "admin")
SESSION_LIFETIME = timedelta(hours=12)
# scrypt cost: about 50 ms per check here, enough to make guessing expensive.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 10


class StaffError(ValueError):
    """A staff account or session request that cannot be granted."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(actual, expected)


# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def create_user(
    session: Session, username: str, password: str, role: str, district: Optional[str], display_name: str = ""
) -> StaffUser:
    username = username.strip()
    if role not in ROLES:
        raise StaffError(f"role must be one of {ROLES}")
    if role == "staff" and not district:
        raise StaffError("staff need a district; admins see all districts")
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"password needs at least {MIN_PASSWORD_CHARS} characters")
    if not username or session.scalars(select(StaffUser).where(StaffUser.username == username)).first():
        raise StaffError(f"username '{username}' is empty or taken")
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        district=district if role == "staff" else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> Optional[StaffUser]:
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


@dataclass(frozen=True)
class NewSession:
    """The cookie value (only ever seen by the browser) and the session's CSRF token."""

    token: str
    csrf_token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: StaffUser, now: datetime) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf, created_at=now,
                             expires_at=now + SESSION_LIFETIME))  # fmt: skip
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    return NewSession(token, csrf)


def session_user(session: Session, token: Optional[str], now: datetime) -> Optional[tuple]:
    """(user, csrf token) of a live session, else None."""
    if not token:
        return None
    found = session.get(StaffSession, _token_hash(token))
    if found is None or found.expires_at < now:
        return None
    user = session.get(StaffUser, found.user_id)
    if user is None or not user.active:
        return None
    return user, found.csrf_token


def close_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def csrf_matches(expected: str, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(expected, given)
