"""Start the assistant's processes, wait until each answers, and stop them all on Ctrl-C.

Each process runs in its own process group, so stopping a group also stops
anything it started; if one process dies, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
LOG_DIR = ROOT / "var" / "log"
READY_TIMEOUT_S = 180
STOP_GRACE_S = 10


@dataclass
class Service:
    name: str
    command: List[str]
    port: int
    ready_url: str
    process: Optional[subprocess.Popen] = None


def rasa_token() -> str:
    """RASA_TOKEN, or a random token kept in var/secrets/rasa_token (mode 600)."""
    if os.environ.get("RASA_TOKEN"):
        return os.environ["RASA_TOKEN"]
    path = ROOT / "var" / "secrets" / "rasa_token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    return path.read_text().strip()


def services(token: str, rasa_port: int, actions_port: int, web_port: int) -> List[Service]:
    rasa = str(VENV_BIN / "rasa")
    python = str(VENV_BIN / "python")
    return [
        Service(
            "actions",
            [rasa, "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            actions_port,
            f"http://localhost:{actions_port}/health",
        ),
        Service(
            "rasa",
            [
                rasa,
                "run",
                "--enable-api",
                "--auth-token",
                token,
                "--port",
                str(rasa_port),
                "--model",
                "models",
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
            ],
            rasa_port,
            f"http://localhost:{rasa_port}/status?token={token}",
        ),
        Service(
            "web", [python, "-m", "bot.web", "--port", str(web_port)], web_port, f"http://localhost:{web_port}/healthz"
        ),
    ]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ready(service: Service) -> bool:
    try:
        with urllib.request.urlopen(service.ready_url, timeout=2) as response:
            if service.name == "rasa":
                return bool(json.loads(response.read()).get("fingerprint"))
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start(service: Service, env: Dict[str, str]) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{service.name}.log").open("ab")
    service.process = subprocess.Popen(
        service.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(all_services: List[Service]) -> None:
    running = [s for s in all_services if s.process and s.process.poll() is None]
    for service in running:
        _signal_group(service, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for service in running:
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(service, signal.SIGKILL)
            service.process.wait()
    for service in all_services:  # leftovers of a group whose leader already exited
        if service.process:
            _signal_group(service, signal.SIGKILL)


def _signal_group(service: Service, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.process.pid, sig)


def tail(service: Service, lines: int = 30) -> str:
    path = LOG_DIR / f"{service.name}.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main() -> int:
    rasa_port = int(os.environ.get("RASA_PORT", 5005))
    actions_port = int(os.environ.get("ACTIONS_PORT", 5055))
    web_port = int(os.environ.get("WEB_PORT", 8000))
    token = rasa_token()
    env = {
        **os.environ,
        "RASA_TOKEN": token,
        "RASA_URL": f"http://localhost:{rasa_port}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }
    all_services = services(token, rasa_port, actions_port, web_port)
    busy = [s for s in all_services if port_in_use(s.port)]
    if busy:
        names = ", ".join(f"{s.name} (:{s.port})" for s in busy)
        print(f"error: port already in use: {names}. Is another `make run` still running?", file=sys.stderr)
        return 1

    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    print("starting: " + ", ".join(s.name for s in all_services) + f" (logs in {LOG_DIR.relative_to(ROOT)}/)")
    for service in all_services:
        start(service, env)
    try:
        pending = list(all_services)
        while pending and not stopping:
            for service in list(pending):
                if service.process.poll() is not None:
                    print(
                        f"error: {service.name} exited with {service.process.returncode}:\n{tail(service)}",
                        file=sys.stderr,
                    )
                    return 1
                if ready(service):
                    pending.remove(service)
                    print(f"  {service.name} ready after {time.monotonic() - started:.1f}s")
            if time.monotonic() - started > READY_TIMEOUT_S:
                print(f"error: not ready after {READY_TIMEOUT_S}s: {[s.name for s in pending]}", file=sys.stderr)
                return 1
            time.sleep(0.3)
        if stopping:
            return 130
        print(
            f"""
暖新助手 is running ({time.monotonic() - started:.0f}s to start):
  chat page (web chat)    http://localhost:{web_port}/
  staff/admin console     http://localhost:{web_port}/console/
  Rasa rest channel       POST http://localhost:{rasa_port}/webhooks/rest/webhook
  Rasa HTTP API           http://localhost:{rasa_port}/  (token: RASA_TOKEN or var/secrets/rasa_token)
  action server           http://localhost:{actions_port}/webhook
Try:  curl -s localhost:{rasa_port}/webhooks/rest/webhook -d '{{"sender": "me", "message": "你好"}}'
Press Ctrl-C to stop everything.""",
            flush=True,
        )
        while not stopping:
            for service in all_services:
                if service.process.poll() is not None:
                    print(
                        f"error: {service.name} exited with {service.process.returncode}:\n{tail(service)}",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping all processes…", flush=True)
        stop(all_services)
        print("stopped.")


if __name__ == "__main__":
    sys.exit(main())
