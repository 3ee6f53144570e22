"""Settings from environment variables, each with a working default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# var/ holds the database, conversations, secrets and logs: for the service's own user only.
PRIVATE_DIR_MODE, PRIVATE_FILE_MODE = 0o700, 0o600


@dataclass(frozen=True)
class Settings:
    """Everything configurable; build it once per process with `from_env`."""

    database_url: str
    tracker_database_url: str
    redis_url: Optional[str]
    rasa_url: str
    rasa_token: Optional[str]
    timezone: str
    enrolment_retention_days: int
    secret_key: str
    var_dir: Path
    ticket_deadlines: str
    messages_at_once: int = 2
    # While staff own a conversation, a rider's first message after this many quiet
    # minutes is acknowledged (「已转给工作人员」); the ones right after it are not.
    handoff_quiet_minutes: int = 10
    # The address every server binds to: loopback unless a proxy on another host needs more.
    host: str = "127.0.0.1"
    # NUANXIN_ENV=production: the `rest` channel (for trying things out) is off unless REST_TOKEN is set.
    production: bool = False
    rest_token: Optional[str] = None
    # Rasa sends it with every call to the action server, which refuses calls without it.
    action_token: Optional[str] = None
    # Requests per sender or address and window (bot.rate_limits), e.g. `chat=30/60,photo=6/600`.
    rate_limits: str = ""
    # Photo bytes one sender may store in a day.
    attachment_bytes_per_day: int = 20 * 1024 * 1024
    # The processes `make run` starts (bot.stack): ports, and how many Rasa and action
    # workers (more than one each puts nginx in front, on the public and internal ports).
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    rasa_workers: int = 1
    actions_workers: int = 1
    public_port: int = 8080
    internal_port: int = 8081
    # Trained model archives; the newest is the live one (DESIGN's fixed interface).
    models_dir: Path = PROJECT_ROOT / "models"
    # Gated retraining: a candidate goes live only if no figure is worse than the live model's by more.
    training_tolerance: float = 0.005
    # The nginx configuration in front of several Rasa workers (bot.stack writes it): a rolling
    # reload takes each worker out of it in turn.
    balancer_conf: Optional[Path] = None
    # The shared evaluation sets (../shared/eval): read to measure a model, never trained on.
    eval_dir: Path = PROJECT_ROOT.parent / "shared" / "eval"

    def rasa_worker_urls(self) -> Tuple[str, ...]:
        """Each Rasa worker's own address (consecutive ports from `rasa_port`), not the balancer's."""
        return tuple(f"http://localhost:{self.rasa_port + i}" for i in range(self.rasa_workers))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        var_dir = Path(environ.get("NUANXIN_VAR_DIR", PROJECT_ROOT / "var"))
        if var_dir.is_dir():
            private_dir(var_dir)  # one made before var/ was kept private (644 databases inside)
        return cls(
            database_url=environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'nuanxin.db'}",
            tracker_database_url=environ.get("TRACKER_DATABASE_URL") or f"sqlite:///{var_dir / 'tracker.db'}",
            redis_url=environ.get("REDIS_URL") or None,
            rasa_url=environ.get("RASA_URL", "http://localhost:5005").rstrip("/"),
            rasa_token=environ.get("RASA_TOKEN") or _local_secret(var_dir, "rasa_token"),
            timezone=environ.get("NUANXIN_TIMEZONE", "Asia/Shanghai"),
            enrolment_retention_days=int(environ.get("ENROLMENT_RETENTION_DAYS", "30")),
            secret_key=environ.get("NUANXIN_SECRET_KEY") or _local_secret(var_dir),
            var_dir=var_dir,
            ticket_deadlines=environ.get("TICKET_DEADLINES", "urgent=2h/24h,ordinary=24h/7d,complex=24h/15d"),
            messages_at_once=max(1, int(environ.get("RASA_MESSAGES_AT_ONCE", "2"))),
            handoff_quiet_minutes=max(0, int(environ.get("HANDOFF_QUIET_MINUTES", "10"))),
            host=environ.get("HOST") or "127.0.0.1",
            production=environ.get("NUANXIN_ENV", "").lower() == "production",
            rest_token=environ.get("REST_TOKEN") or None,
            action_token=environ.get("ACTION_SERVER_TOKEN") or _local_secret(var_dir, "action_token"),
            rate_limits=environ.get("RATE_LIMITS", ""),
            attachment_bytes_per_day=int(environ.get("ATTACHMENT_BYTES_PER_DAY", str(20 * 1024 * 1024))),
            rasa_port=int(environ.get("RASA_PORT", "5005")),
            actions_port=int(environ.get("ACTIONS_PORT", "5055")),
            web_port=int(environ.get("WEB_PORT", "8000")),
            rasa_workers=max(1, int(environ.get("RASA_WORKERS", "1"))),
            actions_workers=max(1, int(environ.get("ACTIONS_WORKERS", "1"))),
            public_port=int(environ.get("PUBLIC_PORT", "8080")),
            internal_port=int(environ.get("INTERNAL_PORT", "8081")),
            models_dir=Path(environ.get("MODELS_DIR") or PROJECT_ROOT / "models"),
            training_tolerance=float(environ.get("TRAINING_TOLERANCE", "0.005")),
            balancer_conf=Path(environ["BALANCER_CONF"]) if environ.get("BALANCER_CONF") else None,
            eval_dir=Path(environ.get("EVAL_DIR") or PROJECT_ROOT.parent / "shared" / "eval"),
        )


def _local_secret(var_dir: Path, name: str = "secret_key") -> str:
    """A per-installation secret kept under var/secrets/, for installs that do not set one."""
    path = var_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    import secrets

    private_dir(var_dir)
    private_dir(path.parent)
    value = secrets.token_urlsafe(32)
    private_file(path).write_text(value)
    return value


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner may enter: created so, or tightened if this user owns it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner may read or write: created empty so, or tightened if this user owns it.

    Created before anything writes to it, so it is never readable by others, not even for a moment.
    """
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    _tighten(path, PRIVATE_FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    status = path.stat()
    if status.st_uid == os.geteuid() and status.st_mode & 0o777 & ~mode:
        path.chmod(mode)
