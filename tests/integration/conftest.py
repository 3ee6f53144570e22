"""The real assistant as processes: Rasa server, action server and web app on free ports.

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
from typing import Any, Dict, Iterator, List

import pytest
import requests

from bot.stack import Stack, StackConfig, free_port
from core.settings import PROJECT_ROOT

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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("stack")
    database_url = f"sqlite:///{var_dir / 'nuanxin.db'}"
    env = {"DATABASE_URL": database_url, "NUANXIN_VAR_DIR": str(var_dir), "NUANXIN_SECRET_KEY": "stack-secret"}
    subprocess.run([PYTHON, "-m", "core.cli", "init"], cwd=PROJECT_ROOT, env={**os.environ, **env}, check=True)
    config = StackConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        token=uuid.uuid4().hex,
        model=current_model(),
        log_dir=var_dir / "log",
        env=env,
    )
    with Stack(config) as running:
        yield RunningStack(config, running, var_dir, database_url)
