"""Console accounts: scrypt password hashes, server-side sessions, CSRF tokens, roles.

Also what keeps accounts safe: a password policy applied wherever a password is
set, districts limited to the city's twelve, sessions that end when an account is
disabled or its password set (for good: an epoch, not only deleted rows), and
failed logins counted per account and per address, with exponential delay.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import FrozenSet, List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import AuditEvent, LoginFailures, StaffSession, StaffUser

ROLES = ("staff", "admin")
SESSION_LIFETIME = timedelta(hours=12)
# scrypt cost: about 50 ms per check here, enough to make guessing expensive.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 128
MAX_NAME_CHARS = 40  # the columns' width
# A username this long or longer may not appear in the password ("lz" inside a phrase is chance).
MIN_USERNAME_IN_PASSWORD = 3
# Passwords people choose first, at least 10 characters long and of two kinds of character.
COMMON_PASSWORDS: FrozenSet[str] = frozenset(
    [
        "password123",
        "password1!",
        "password12",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "p@ssword123",
        "password!@#",
        "qwerty12345",
        "qwerty123456",
        "qwe123456789",
        "qwer123456",
        "qwer1234!@#$",
        "1qaz2wsx3edc",
        "1qaz@wsx3edc",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "qazwsx123456",
        "asdf123456",
        "asdfgh123456",
        "zxcv123456",
        "zxcvbnm123",
        "asdfghjkl1",
        "qwertyuiop1",
        "abc1234567",
        "abc12345678",
        "abc123456789",
        "abcd123456",
        "abcd1234567",
        "a123456789",
        "a1234567890",
        "aa12345678",
        "aa123456789",
        "123456789a",
        "1234567890a",
        "123456789abc",
        "12345678abc",
        "1234567890q",
        "123456abcd",
        "qq123456789",
        "woaini1314",
        "woaini5201314",
        "5201314woaini",
        "iloveyou123",
        "iloveyou1314",
        "admin12345",
        "admin123456",
        "admin@12345",
        "administrator1",
        "admin1234567",
        "root123456",
        "welcome123",
        "welcome1234",
        "changeme123",
        "letmein123",
        "test123456",
        "aa123456aa",
        "11111111aa",
        "88888888aa",
        "zhang123456",
        "wang123456",
        "li12345678",
        "nuanxin123",
        "nuanxin2026",
        "changzhi123",
        "changzhi2026",
    ]
)
DELAY_FREE_FAILURES = {"account": 5, "address": 20}  # an office behind one address has many people
MAX_LOGIN_DELAY = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(hours=24)


class StaffError(ValueError):
    """A staff account or session request that cannot be granted; the message is for the console.

    `field` names the form field at fault (username, password, display_name, role,
    district), so the console can show the reason beside it; empty for the whole request.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


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


def _character_classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    found = {next((i for i, kind in enumerate(kinds) if kind(c)), len(kinds)) for c in password}
    return len(found)


def password_problem(password: str, username: str = "") -> Optional[str]:
    """Why `password` may not be used for `username`, in Chinese; None when it may."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"密码至少要 {MIN_PASSWORD_CHARS} 个字符"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"密码不能超过 {MAX_PASSWORD_CHARS} 个字符"
    if _character_classes(password) < 2:
        return "密码不能只用一类字符，请混合大小写字母、数字或符号"
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or "".join(folded.split()) in COMMON_PASSWORDS:
        return "这个密码太常见，容易被猜到，请换一个"
    name = username.strip().casefold()
    if len(name) >= MIN_USERNAME_IN_PASSWORD and name in folded:
        return "密码不能包含用户名"
    return None


def check_password_policy(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem:
        raise StaffError(problem, "password")


@functools.lru_cache(maxsize=1)
def known_districts() -> Tuple[str, ...]:
    """The twelve districts and counties of content/gazetteer/districts.csv."""
    from core.content.loader import district_names

    return tuple(district_names())


def members(session: Session) -> List[StaffUser]:
    """Every console account, oldest first."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


def member(session: Session, user_id: Optional[int]) -> Optional[StaffUser]:
    return session.get(StaffUser, user_id) if user_id is not None else None


def signed_in_member(session: Session, user_id: int) -> StaffUser:
    """The account behind a console session, fresh from this transaction (gone: StaffError)."""
    user = member(session, user_id)
    if user is None:
        raise StaffError("账号不存在")
    return user


def _checked_role_and_district(role: str, district: Optional[str]) -> Optional[str]:
    """The district the account keeps: a staff member's, which they must have; an admin's none (the whole city)."""
    if role not in ROLES:
        raise StaffError("角色只能是工作人员或管理员", "role")
    if district and district not in known_districts():
        raise StaffError(f"没有“{district}”这个区县；可选：{'、'.join(known_districts())}", "district")
    if role == "staff" and not district:
        raise StaffError("工作人员必须选一个区县；管理员看全市，不选区县", "district")
    return district if role == "staff" else None


def _checked_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if len(display_name) > MAX_NAME_CHARS:
        raise StaffError(f"姓名不能超过 {MAX_NAME_CHARS} 个字", "display_name")
    return display_name


def create_user(
    session: Session, username: str, password: str, role: str, district: Optional[str], display_name: str = ""
) -> StaffUser:
    username = username.strip()
    district = _checked_role_and_district(role, district)
    if not username or len(username) > MAX_NAME_CHARS:
        raise StaffError(f"用户名不能为空，也不能超过 {MAX_NAME_CHARS} 个字", "username")
    display_name = _checked_display_name(display_name)
    check_password_policy(password, username)
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first():
        raise StaffError(f"用户名“{username}”已经有人用了", "username")
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        district=district,
    )
    session.add(user)
    session.flush()
    return user


def update_account(
    session: Session,
    user: StaffUser,
    display_name: str,
    role: str,
    district: Optional[str],
    actor: StaffUser,
    now: datetime,
) -> List[str]:
    """Change an account's name, role and district; returns the fields changed, each audited.

    A new role or district ends the account's sessions, so nothing it had open (a live
    queue of the old district, say) keeps the old scope. Admins cannot demote themselves:
    the city must not be left without one by a slip.
    """
    district = _checked_role_and_district(role, district)
    display_name = _checked_display_name(display_name) or user.username
    if actor.id == user.id and user.role == "admin" and role != "admin":
        raise StaffError("不能取消自己的管理员身份；如确需调整，请另一位管理员来改", "role")
    changes = [
        (name, before, after)
        for name, before, after in (
            ("display_name", user.display_name, display_name),
            ("role", user.role, role),
            ("district", user.district, district),
        )
        if before != after
    ]
    for name, before, after in changes:
        setattr(user, name, after)
        _audit(session, actor, "account_updated", user, now, f"{name}:{before or ''}→{after or ''}")
    if any(name != "display_name" for name, _, _ in changes):
        end_sessions(session, user)
    session.flush()
    return [name for name, _, _ in changes]


def _audit(session: Session, actor: StaffUser, action: str, user: StaffUser, now: datetime, change: str = "") -> None:
    detail = f"account:{user.username}" + (f" {change}" if change else "")
    session.add(AuditEvent(at=now, actor=f"staff:{actor.username}", action=action, detail=detail))


def end_sessions(session: Session, user: StaffUser) -> None:
    """End every console session of `user`: those stored, and any a racing login is writing now."""
    user.session_epoch = StaffUser.session_epoch + 1  # in SQL, so two changes at once both count
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()


def set_active(session: Session, user: StaffUser, active: bool, actor: StaffUser, now: datetime) -> None:
    """Disable or enable an account; either way its old sessions are over for good. Never one's own."""
    if actor.id == user.id:
        raise StaffError("不能停用自己的账号")
    user.active = active
    end_sessions(session, user)
    _audit(session, actor, "account_enabled" if active else "account_disabled", user, now)


def set_password(session: Session, user: StaffUser, password: str, actor: StaffUser, now: datetime) -> None:
    """A new password (an admin's reset, or the user's own change); every session of the account ends.

    An admin's reset is a temporary password, which its owner must change at the next
    login: the admin knows it, and it travelled to the owner by phone or chat.
    """
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = actor.id != user.id
    end_sessions(session, user)
    _audit(session, actor, "password_changed" if actor.id == user.id else "password_reset", user, now)


def change_own_password(session: Session, user: StaffUser, current: str, new: str, now: datetime) -> NewSession:
    """The user's own change: the current password first; returns the one session left, this browser's."""
    if not verify_password(current, user.password_hash):
        raise StaffError("当前密码不对")
    set_password(session, user, new, user, now)
    return open_session(session, user, now)


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
                             expires_at=now + SESSION_LIFETIME, epoch=user.session_epoch))  # fmt: skip
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
    if user is None or not user.active or found.epoch != user.session_epoch:
        return None
    return user, found.csrf_token


def close_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def csrf_matches(expected: str, given: Optional[str]) -> bool:
    """Constant-time comparison; bytes, because `compare_digest` refuses non-ASCII strings."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


# Login throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt: the session opened, or why not and how long to wait before the next."""

    opened: Optional[NewSession] = None
    retry_after: Optional[timedelta] = None  # set when this account or address must wait
    throttled: bool = False  # refused without checking the password: it was too soon


def _throttle_keys(username: str, address: str) -> List[Tuple[str, str]]:
    """(kind, key) of the account and the address; the account first, so locks are taken in one order."""
    return [("account", f"account:{username.strip().casefold()}"[:120]), ("address", f"address:{address}"[:120])]


def _locked_row(session: Session, key: str, now: datetime) -> LoginFailures:
    """The failures row of `key`, locked until the transaction ends; created when missing."""
    query = select(LoginFailures).where(LoginFailures.key == key).with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(LoginFailures(key=key, failures=0, last_failure_at=now))
        except IntegrityError:
            pass  # another worker made it first
        row = session.scalars(query.execution_options(populate_existing=True)).one()
    if row.last_failure_at < now - FORGET_FAILURES_AFTER:
        row.failures, row.blocked_until = 0, None
    return row


def _delay(kind: str, failures: int) -> Optional[timedelta]:
    """2, 4, 8 … seconds once the free failures are used up, at most MAX_LOGIN_DELAY."""
    over = failures - DELAY_FREE_FAILURES[kind]
    if over < 0:
        return None
    return min(timedelta(seconds=2 ** min(over + 1, 20)), MAX_LOGIN_DELAY)


def log_in(session: Session, username: str, password: str, address: str, now: datetime) -> LoginOutcome:
    """Check a console login, unless this account or address must still wait after failures.

    A success resets the account's count (not the address's: one working account must not
    clear the way for guesses at others); a failure adds one to both.
    """
    rows = [(kind, _locked_row(session, key, now)) for kind, key in _throttle_keys(username, address)]
    waits = [row.blocked_until - now for _, row in rows if row.blocked_until and row.blocked_until > now]
    if waits:
        return LoginOutcome(retry_after=max(waits), throttled=True)
    user = authenticate(session, username, password)
    if user is not None:
        user.last_login_at = now
        account, address_row = rows[0][1], rows[1][1]
        session.delete(account)
        if address_row.failures == 0:
            session.delete(address_row)
        return LoginOutcome(opened=open_session(session, user, now))
    delays = []
    for kind, row in rows:
        row.failures += 1
        row.last_failure_at = now
        delay = _delay(kind, row.failures)
        row.blocked_until = now + delay if delay else None
        delays.append(delay)
    _forget_old_failures(session, now)
    waits = [d for d in delays if d]
    return LoginOutcome(retry_after=max(waits) if waits else None)


def _forget_old_failures(session: Session, now: datetime) -> None:
    """Drop rows untouched for a day; rows another login holds are left for next time."""
    stale = (
        select(LoginFailures.key)
        .where(LoginFailures.last_failure_at < now - FORGET_FAILURES_AFTER)
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    keys = list(session.scalars(stale))
    if keys:
        session.execute(delete(LoginFailures).where(LoginFailures.key.in_(keys)))
