"""Starting the assistant for a benchmark: the project's stack or Rasa's stock one."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from bot.stack import Stack, StackConfig, free_port
from core.settings import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
OUTPUT = BENCH / "output"
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
QUIET = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
# A benchmark is one address sending as fast as it can: the per-address limits would measure themselves.
UNLIMITED = "rest=1000000/60,rest_address=1000000/60,chat=1000000/60,chat_address=1000000/60"


def newest(pattern: str) -> str:
    return str(max(PROJECT_ROOT.glob(pattern), key=os.path.getmtime))


def project_model() -> str:
    subprocess.run(["make", "--no-print-directory", "model"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    return newest("models/*.tar.gz")


def stock_model() -> str:
    """Rasa's default configuration trained on the same domain and data (cached by content)."""
    digest = hashlib.sha256()
    for path in sorted([*(PROJECT_ROOT / "data").rglob("*.yml"), PROJECT_ROOT / "domain.yml",
                        BENCH / "stock" / "config.yml"]):  # fmt: skip
        digest.update(path.read_bytes())
    name = f"stock-{digest.hexdigest()[:12]}"
    target = OUTPUT / "models" / f"{name}.tar.gz"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [RASA, "train", "--config", str(BENCH / "stock" / "config.yml"), "--domain", "domain.yml", "--data", "data",
             "--out", str(target.parent), "--fixed-model-name", name],
            cwd=PROJECT_ROOT, check=True, env={**os.environ, **QUIET}, capture_output=True,
        )  # fmt: skip
    return str(target)


def prepared_database(var_dir: Path, database_url: Optional[str] = None) -> Dict[str, str]:
    """The environment of a stack whose database (SQLite under `var_dir` by default) is migrated and loaded."""
    database_url = database_url or f"sqlite:///{var_dir / 'nuanxin.db'}"
    env = {"DATABASE_URL": database_url, "NUANXIN_VAR_DIR": str(var_dir),
           "NUANXIN_SECRET_KEY": uuid.uuid4().hex}  # fmt: skip
    subprocess.run([PYTHON, "-m", "core.cli", "init"], cwd=PROJECT_ROOT, env={**os.environ, **env}, check=True,
                   capture_output=True)  # fmt: skip
    return env


@contextmanager
def running(
    kind: str, var_dir: Path, model: Optional[str] = None, env: Optional[Dict[str, str]] = None, workers: int = 1
) -> Iterator[Stack]:
    """`project` (this repository's configuration) or `stock` (Rasa as released, with its defaults), on free ports.

    With several workers, nginx balances them (the production mode); `env`
    must then name a shared tracker database and REDIS_URL.
    """
    env = {**QUIET, "RATE_LIMITS": UNLIMITED, **(env or prepared_database(var_dir))}
    root = PROJECT_ROOT if kind == "project" else BENCH / "stock"
    setup: Dict[str, Any] = {"endpoints": root / "endpoints.yml", "credentials": root / "credentials.yml"}
    if kind == "stock":  # Rasa as released: its defaults, its own channel and stores, none of bot/rasa_fixes
        setup["rasa_fixes"] = False
    balanced = {}
    if workers > 1:
        balanced = {"rasa_workers": workers, "actions_workers": workers, "public_port": free_port(),
                    "internal_port": free_port()}  # fmt: skip
    config = StackConfig(
        rasa_port=free_port(workers), actions_port=free_port(workers), web_port=free_port(), token=uuid.uuid4().hex,
        action_token=uuid.uuid4().hex,
        model=model or (project_model() if kind == "project" else stock_model()), log_dir=var_dir / "log",
        env=env, **setup, **balanced,
    )  # fmt: skip
    stack = Stack(config)
    try:
        stack.start(timeout_s=600)
        yield stack
    finally:
        stack.stop()


def process_group_rss_mib(stack: Stack) -> float:
    """Resident memory of every process the stack started (each group, children included)."""
    groups = {s.process.pid for s in stack.services if s.process and s.process.poll() is None}
    total_kib = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) not in groups:
                continue
            status = (proc / "status").read_text()
        except (OSError, ProcessLookupError):
            continue
        total_kib += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total_kib / 1024


def rest_url(stack: Stack) -> str:
    """The REST webhook: through nginx when the stack is balanced, else Rasa's own port."""
    port = stack.config.public_port if stack.config.rasa_workers > 1 else stack.config.rasa_port
    return f"http://localhost:{port}/webhooks/rest/webhook"
