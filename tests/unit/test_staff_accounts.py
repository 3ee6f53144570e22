"""Console accounts: the password policy, known districts only, and sessions that end for good."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, select

from core import cli, staff
from core.cli import alembic_config, migrate
from core.content.loader import district_names
from core.db import make_engine
from core.models import AuditEvent, Base, StaffSession, StaffUser
from core.services import Services
from tests.conftest import pg_schema

NOW = datetime(2026, 11, 26, 6, 0)
PASSWORD = "correct horse battery"
NEW_PASSWORD = "another horse 2026"

POLICY = [
    ("short1A!", "lz", "密码至少要 10 个字符"),
    ("x" * 120 + "12345678A", "lz", "密码不能超过 128 个字符"),
    ("aaaaaaaaaa", "lz", "密码不能只用一类字符，请混合大小写字母、数字或符号"),
    ("abcdefghijkl", "lz", "密码不能只用一类字符，请混合大小写字母、数字或符号"),
    ("ABCDEFGHIJKL", "lz", "密码不能只用一类字符，请混合大小写字母、数字或符号"),
    ("13812345678", "lz", "密码不能只用一类字符，请混合大小写字母、数字或符号"),
    ("长治暖新驿站骑手之家", "lz", "密码不能只用一类字符，请混合大小写字母、数字或符号"),
    ("Password123", "lz", "这个密码太常见，容易被猜到，请换一个"),
    ("qwerty123456", "lz", "这个密码太常见，容易被猜到，请换一个"),
    ("woaini1314", "lz", "这个密码太常见，容易被猜到，请换一个"),
    ("qwerty 123456", "lz", "这个密码太常见，容易被猜到，请换一个"),
    ("zhangsan-2026!", "zhangsan", "密码不能包含用户名"),
    ("ZhangSan2026!", "zhangsan", "密码不能包含用户名"),
    ("my admin-2026 key", " Admin ", "密码不能包含用户名"),
    ("correct horse battery", "lz", None),
    ("lz-staff-password", "lz", None),  # a two-letter name inside a phrase is chance
    ("长治暖新2026站点", "lz", None),
    ("Tr0ub4dor&3", "admin", None),
]


@pytest.mark.parametrize("password, username, problem", POLICY)
def test_the_password_policy_says_why_in_chinese(password: str, username: str, problem: Optional[str]) -> None:
    assert staff.password_problem(password, username) == problem


def _name() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def _user(services: Services, role: str = "staff", district: Optional[str] = "潞州区") -> StaffUser:
    name = _name()
    return services.transaction(lambda s: staff.create_user(s, name, PASSWORD, role, district, name))


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "Password123", "short1A!"])
def test_a_weak_password_creates_no_account(services: Services, password: str) -> None:
    name = _name()
    with pytest.raises(staff.StaffError) as refused:
        services.transaction(lambda s: staff.create_user(s, name, password, "staff", "潞州区"))
    assert refused.value.args[0] == staff.password_problem(password, name)
    assert services.read(lambda s: s.scalars(select(StaffUser).where(StaffUser.username == name)).first()) is None


def test_a_password_holding_the_username_creates_no_account(services: Services) -> None:
    name = _name()
    with pytest.raises(staff.StaffError, match="密码不能包含用户名"):
        services.transaction(lambda s: staff.create_user(s, name, f"{name}-Secret!", "admin", None))


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_only_the_twelve_districts_are_accepted(services: Services, role: str) -> None:
    assert len(staff.known_districts()) == 12 and list(staff.known_districts()) == district_names()
    name = _name()
    with pytest.raises(staff.StaffError, match="没有“NoSuchDistrict”这个区县"):
        services.transaction(lambda s: staff.create_user(s, name, PASSWORD, role, "NoSuchDistrict"))
    with pytest.raises(staff.StaffError):
        services.transaction(lambda s: staff.create_user(s, name, PASSWORD, role, "潞州"))  # an alias, not a name
    assert services.read(lambda s: s.scalars(select(StaffUser).where(StaffUser.username == name)).first()) is None


def test_every_known_district_is_accepted_and_admins_need_none(services: Services) -> None:
    for district in district_names():
        assert _user(services, "staff", district).district == district
    assert _user(services, "admin", None).district is None
    assert _user(services, "admin", "潞州区").district is None  # admins see the whole city
    with pytest.raises(staff.StaffError, match="工作人员必须选一个区县"):
        services.transaction(lambda s: staff.create_user(s, _name(), PASSWORD, "staff", None))


def test_names_longer_than_their_columns_are_refused(services: Services) -> None:
    with pytest.raises(staff.StaffError, match="不能超过 40 个字"):
        services.transaction(lambda s: staff.create_user(s, "x" * 41, PASSWORD, "admin", None))


def _login(services: Services, user: StaffUser, when: datetime = NOW) -> str:
    return services.transaction(lambda s: staff.open_session(s, s.get(StaffUser, user.id), when)).token


def _live(services: Services, token: str, when: datetime = NOW) -> bool:
    return services.read(lambda s: staff.session_user(s, token, when)) is not None


def _set_active(services: Services, user: StaffUser, active: bool, admin: StaffUser) -> None:
    services.transaction(lambda s: staff.set_active(s, s.get(StaffUser, user.id), active, admin, NOW))


def test_disabling_an_account_ends_its_sessions_and_enabling_it_does_not_bring_them_back(services: Services) -> None:
    admin, user, other = _user(services, "admin", None), _user(services), _user(services)
    first, second, others = _login(services, user), _login(services, user), _login(services, other)
    stored = select(StaffSession).where(StaffSession.user_id == user.id)
    _set_active(services, user, False, admin)
    assert not _live(services, first) and not _live(services, second)
    assert services.read(lambda s: s.scalars(stored).all()) == []  # gone from the session store
    _set_active(services, user, True, admin)
    assert not _live(services, first) and not _live(services, second)  # what was seen: they worked again
    assert _live(services, others)
    assert _live(services, _login(services, user))  # a new login works
    assert services.read(lambda s: s.scalars(stored).all())
    actions = services.read(
        lambda s: list(
            s.scalars(
                select(AuditEvent.action).where(AuditEvent.detail == f"account:{user.username}").order_by(AuditEvent.id)
            )
        )
    )
    assert actions == ["account_disabled", "account_enabled"]


def test_a_session_written_by_a_login_racing_the_disabling_is_dead_too(services: Services) -> None:
    """A login that read the account before it was disabled may store its session after."""
    admin, user = _user(services, "admin", None), _user(services)
    stale_epoch = user.session_epoch
    _set_active(services, user, False, admin)
    _set_active(services, user, True, admin)
    token = "racing-login-token-" + uuid.uuid4().hex

    def racing_login(session) -> None:
        session.add(
            StaffSession(token_hash=staff._token_hash(token), user_id=user.id, csrf_token="c", created_at=NOW,
                         expires_at=NOW + staff.SESSION_LIFETIME, epoch=stale_epoch)
        )  # fmt: skip

    services.transaction(racing_login)
    assert not _live(services, token)


def test_an_admin_reset_ends_every_session_of_the_account_and_asks_for_a_new_password(services: Services) -> None:
    admin, user = _user(services, "admin", None), _user(services)
    token = _login(services, user)
    services.transaction(lambda s: staff.set_password(s, s.get(StaffUser, user.id), NEW_PASSWORD, admin, NOW))
    assert not _live(services, token)
    assert services.transaction(lambda s: staff.authenticate(s, user.username, PASSWORD)) is None
    assert services.transaction(lambda s: staff.authenticate(s, user.username, NEW_PASSWORD)) is not None
    assert services.read(lambda s: s.get(StaffUser, user.id).must_change_password) is True
    services.transaction(
        lambda s: staff.change_own_password(s, s.get(StaffUser, user.id), NEW_PASSWORD, "their own horse 26", NOW)
    )
    assert services.read(lambda s: s.get(StaffUser, user.id).must_change_password) is False
    assert _account_events(services, user) == [("password_reset", ""), ("password_changed", "")]


def _account_events(services: Services, user: StaffUser) -> list:
    """(action, change) of every audit entry about `user`'s account, oldest first."""
    about = AuditEvent.detail.like(f"account:{user.username}%")
    events = services.read(lambda s: s.execute(select(AuditEvent.action, AuditEvent.detail).where(about)).all())
    return [(action, detail[len(f"account:{user.username}") :].strip()) for action, detail in events]


def _update(services: Services, user: StaffUser, actor: StaffUser, name: str, role: str, district: Optional[str]):
    return services.transaction(
        lambda s: staff.update_account(s, s.get(StaffUser, user.id), name, role, district, actor, NOW)
    )


def test_an_admin_edits_name_role_and_district_and_each_change_is_audited(services: Services) -> None:
    admin, user = _user(services, "admin", None), _user(services, "staff", "潞州区")
    token = _login(services, user)
    assert _update(services, user, admin, "潞州小李", "staff", "潞州区") == ["display_name"]
    assert _live(services, token)  # a new name changes no one's scope
    assert _update(services, user, admin, "潞州小李", "staff", "屯留区") == ["district"]
    assert not _live(services, token)  # a page of the old district must not stay open
    assert _update(services, user, admin, "潞州小李", "admin", "屯留区") == ["role", "district"]
    stored = services.read(lambda s: s.get(StaffUser, user.id))
    assert (stored.display_name, stored.role, stored.district) == ("潞州小李", "admin", None)  # admins: the city
    assert _update(services, user, admin, "  ", "admin", None) == ["display_name"]  # blank: the username
    assert services.read(lambda s: s.get(StaffUser, user.id).display_name) == user.username
    assert _account_events(services, user) == [
        ("account_updated", f"display_name:{user.username}→潞州小李"),
        ("account_updated", "district:潞州区→屯留区"),
        ("account_updated", "role:staff→admin"),
        ("account_updated", "district:屯留区→"),
        ("account_updated", f"display_name:潞州小李→{user.username}"),
    ]


@pytest.mark.parametrize(
    ("name", "role", "district", "field", "reason"),
    [
        ("x", "staff", None, "district", "工作人员必须选一个区县"),
        ("x", "staff", "潞州", "district", "没有“潞州”这个区县"),
        ("x", "boss", "潞州区", "role", "角色只能是工作人员或管理员"),
        ("x" * 41, "staff", "潞州区", "display_name", "姓名不能超过 40 个字"),
    ],
)
def test_a_refused_edit_names_its_field_and_changes_nothing(
    services: Services, name: str, role: str, district: Optional[str], field: str, reason: str
) -> None:
    admin, user = _user(services, "admin", None), _user(services, "staff", "屯留区")
    token = _login(services, user)
    with pytest.raises(staff.StaffError, match=reason) as refused:
        _update(services, user, admin, name, role, district)
    assert refused.value.field == field
    stored = services.read(lambda s: s.get(StaffUser, user.id))
    assert (stored.display_name, stored.role, stored.district) == (user.username, "staff", "屯留区")
    assert _live(services, token) and _account_events(services, user) == []


def test_an_admin_can_neither_demote_nor_disable_themself(services: Services) -> None:
    admin, other = _user(services, "admin", None), _user(services, "admin", None)
    with pytest.raises(staff.StaffError, match="不能取消自己的管理员身份") as refused:
        _update(services, admin, admin, "我", "staff", "潞州区")
    assert refused.value.field == "role"
    with pytest.raises(staff.StaffError, match="不能停用自己的账号"):
        _set_active(services, admin, False, admin)
    assert services.read(lambda s: (s.get(StaffUser, admin.id).role, s.get(StaffUser, admin.id).active)) == (
        "admin",
        True,
    )
    assert _update(services, admin, admin, "我", "admin", None) == ["display_name"]  # their own name is fine
    assert _update(services, admin, other, "我", "staff", "潞州区") == ["role", "district"]  # another admin may


def test_a_login_is_recorded_and_a_failed_one_is_not(services: Services) -> None:
    user = _user(services)
    assert services.read(lambda s: s.get(StaffUser, user.id).last_login_at) is None
    later, address = NOW + timedelta(hours=3), f"address-{uuid.uuid4().hex[:8]}"
    services.transaction(lambda s: staff.log_in(s, user.username, "wrong password", address, later))
    assert services.read(lambda s: s.get(StaffUser, user.id).last_login_at) is None
    assert services.transaction(lambda s: staff.log_in(s, user.username, PASSWORD, address, later)).opened
    assert services.read(lambda s: s.get(StaffUser, user.id).last_login_at) == later


def test_a_reset_to_a_weak_password_changes_nothing(services: Services) -> None:
    admin, user = _user(services, "admin", None), _user(services)
    token = _login(services, user)
    with pytest.raises(staff.StaffError, match="密码不能只用一类字符"):
        services.transaction(lambda s: staff.set_password(s, s.get(StaffUser, user.id), "aaaaaaaaaa", admin, NOW))
    assert _live(services, token)
    assert services.transaction(lambda s: staff.authenticate(s, user.username, PASSWORD)) is not None


def test_changing_ones_own_password_keeps_only_this_browser_logged_in(services: Services) -> None:
    user = _user(services)
    elsewhere = _login(services, user)
    with pytest.raises(staff.StaffError, match="当前密码不对"):
        services.transaction(
            lambda s: staff.change_own_password(s, s.get(StaffUser, user.id), "wrong password", NEW_PASSWORD, NOW)
        )
    assert _live(services, elsewhere)
    kept = services.transaction(
        lambda s: staff.change_own_password(s, s.get(StaffUser, user.id), PASSWORD, NEW_PASSWORD, NOW)
    )
    assert not _live(services, elsewhere) and _live(services, kept.token)


def test_create_admin_on_the_command_line_applies_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for name, value in {"DATABASE_URL": url, "NUANXIN_VAR_DIR": str(tmp_path), "NUANXIN_SECRET_KEY": "k"}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("aaaaaaaaaa\n"))
    assert cli.main(["create-admin", "boss", "--password-stdin"]) == 1
    assert "密码不能只用一类字符" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("boss-Password-1\n"))
    assert cli.main(["create-admin", "boss", "--password-stdin"]) == 1
    assert "密码不能包含用户名" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert cli.main(["create-admin", "boss", "--password-stdin"]) == 0
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(select(StaffUser.username, StaffUser.role)).all() == [("boss", "admin")]
    engine.dispose()


def test_create_admin_asks_twice_when_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for name, value in {"DATABASE_URL": url, "NUANXIN_VAR_DIR": str(tmp_path), "NUANXIN_SECRET_KEY": "k"}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["migrate"]) == 0
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert cli.main(["create-admin", "boss"]) == 1
    assert "两次输入的密码不一样" in capsys.readouterr().err


@pytest.fixture(params=["sqlite", "pg"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with pg_schema("nx_staff_migrate") as url:
        yield url


def test_the_migration_matches_the_models_and_goes_down_and_up_again(empty_database: str) -> None:
    migrate(empty_database)
    config = alembic_config(empty_database)
    ours = {"staff_users", "staff_sessions", "login_failures"}

    def differences() -> list:
        engine = make_engine(empty_database)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            found = compare_metadata(context, Base.metadata)
        engine.dispose()
        return [d for d in found if ours & _names(d)]

    assert differences() == []
    command.downgrade(config, "0007")
    assert differences()  # the new table and columns are gone
    command.upgrade(config, "head")
    assert differences() == []


def _names(difference: object) -> set:
    """Every table name a difference from `compare_metadata` mentions, however deeply nested."""
    if isinstance(difference, (list, tuple)):
        return {name for item in difference for name in _names(item)}
    if isinstance(difference, str):
        return {difference}
    if isinstance(difference, Table):
        return {difference.name}
    table = getattr(difference, "table", None)  # an index or a constraint
    return {table.name} if isinstance(table, Table) else set()


def test_sessions_expire(services: Services) -> None:
    user = _user(services)
    token = _login(services, user)
    assert _live(services, token, NOW + staff.SESSION_LIFETIME - timedelta(seconds=1))
    assert not _live(services, token, NOW + staff.SESSION_LIFETIME + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("given", "matches"),
    [("tok-123", True), ("tok-124", False), ("", False), (None, False), ("令牌", False), ("\ud800", False)],
)
def test_a_csrf_token_matches_only_itself_whatever_the_browser_sends(given: Optional[str], matches: bool) -> None:
    assert staff.csrf_matches("tok-123", given) is matches
