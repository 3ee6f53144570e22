"""The real assistant as processes (Rasa, actions, web app, delivery) on free ports,
with local fakes of the Telegram and WeChat APIs for its channels to call.

Started once per test session on a database of its own; the model is the one
`make model` keeps current (trained once, reused by every test).
"""

from __future__ import annotations

import glob
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from bot.stack import Stack, StackConfig, free_port
from core.settings import PROJECT_ROOT
from tests.fakes.server import ThreadedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wechat_api import FakeWeChat

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")


def current_model() -> str:
    """The newest model, (re)trained by `make model` when its inputs changed."""
    subprocess.run(["make", "--no-print-directory", "model"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    return max(glob.glob(str(PROJECT_ROOT / "models" / "*.tar.gz")), key=os.path.getmtime)


@dataclass
class RunningStack:
    """Addresses of a running assistant, and a way to talk to it."""

    config: StackConfig
    stack: Stack
    var_dir: Path
    database_url: str

    @property
    def rasa(self) -> str:
        return f"http://localhost:{self.config.rasa_port}"

    @property
    def web(self) -> str:
        return f"http://localhost:{self.config.web_port}"

    def say(self, sender: str, message: str, **extra: Any) -> List[Dict[str, Any]]:
        """Send through Rasa's standard `rest` channel; returns the bot's messages."""
        response = requests.post(
            f"{self.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": message, **extra}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def texts(self, sender: str, message: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(sender, message))

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = requests.get(
            f"{self.rasa}/conversations/{sender}/tracker", params={"token": self.config.token}, timeout=30
        )
        response.raise_for_status()
        return response.json()


SUITE_RATE_LIMITS = "rest=100000/60,rest_address=100000/60,chat_address=100000/60"
TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = "telegram-secret-token"
WECHAT = {"token": "wechat-token", "appid": "wx0123456789abcdef", "secret": "wechat-secret"}
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class Fakes:
    telegram: FakeTelegram
    wechat: FakeWeChat
    telegram_url: str
    wechat_url: str


def start_fakes() -> Iterator[Fakes]:
    """Local fakes of the Telegram Bot API and the WeChat API, for the channels to call."""
    telegram, wechat = FakeTelegram(TELEGRAM_TOKEN), FakeWeChat(WECHAT["appid"], WECHAT["secret"])
    servers = [ThreadedServer(telegram.app()).start(), ThreadedServer(wechat.app()).start()]
    yield Fakes(telegram, wechat, servers[0].url, f"{servers[1].url}/cgi-bin/")
    for server in servers:
        server.stop()


def start_stack(tmp_path_factory: pytest.TempPathFactory, fakes: Fakes) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("stack")
    database_url = f"sqlite:///{var_dir / 'nuanxin.db'}"
    env = {
        "DATABASE_URL": database_url,
        "NUANXIN_VAR_DIR": str(var_dir),
        "NUANXIN_SECRET_KEY": "stack-secret",
        # The whole suite talks from one address: only the per-visitor limits stay as shipped.
        "RATE_LIMITS": SUITE_RATE_LIMITS,
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": fakes.telegram_url,
        "WECHAT_TOKEN": WECHAT["token"],
        "WECHAT_APPID": WECHAT["appid"],
        "WECHAT_SECRET": WECHAT["secret"],
        "WECHAT_AES_KEY": WECHAT_AES_KEY,
        "WECHAT_API_URL": fakes.wechat_url,
    }
    yield from _run(var_dir, env)


def staff_reply(stack: RunningStack, sender: str, text: str, key: str) -> str:
    """A staff member answers the worker's newest ticket, as the console would; returns its number."""
    from sqlalchemy import select

    from core import staff, tickets
    from core.db import make_engine, make_session_factory
    from core.models import StaffUser, Ticket

    factory = make_session_factory(make_engine(stack.database_url))
    with factory.begin() as session:
        agent = session.scalars(select(StaffUser).where(StaffUser.username == "tester")).first()
        agent = agent or staff.create_user(session, "tester", "Qiao-gong-2026", "admin", None, "测试员")
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == sender).order_by(Ticket.id.desc())).first()
        tickets.reply(session, ticket, agent, text, ticket.created_at, key)
        return ticket.number


def start_scaled_stack(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str, workers: int = 2,
    env: Optional[Dict[str, str]] = None,
) -> Iterator[RunningStack]:  # fmt: skip
    """Several Rasa and action-server workers behind nginx, sharing PostgreSQL and Redis (`env` added)."""
    var_dir = tmp_path_factory.mktemp("scaled")
    env = {
        **(env or {}),
        "DATABASE_URL": database_url,
        "TRACKER_DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "NUANXIN_VAR_DIR": str(var_dir),
        "NUANXIN_SECRET_KEY": "scaled-secret",
        "RATE_LIMITS": SUITE_RATE_LIMITS,
    }
    balanced = {"rasa_workers": workers, "actions_workers": workers, "public_port": free_port(),
                "internal_port": free_port()}  # fmt: skip
    yield from _run(var_dir, env, **balanced)


def _run(var_dir: Path, env: Dict[str, str], **extra: Any) -> Iterator[RunningStack]:
    """Migrate and load the database named in `env`, then run a stack on free ports until the caller is done."""
    subprocess.run([PYTHON, "-m", "core.cli", "init"], cwd=PROJECT_ROOT, env={**os.environ, **env}, check=True)
    config = StackConfig(
        rasa_port=free_port(extra.get("rasa_workers", 1)), actions_port=free_port(extra.get("actions_workers", 1)),
        web_port=free_port(), token=uuid.uuid4().hex, action_token=uuid.uuid4().hex, model=current_model(),
        log_dir=var_dir / "log", env=env,
        **extra,
    )  # fmt: skip
    with Stack(config) as running:
        yield RunningStack(config, running, var_dir, env["DATABASE_URL"])
