"""The processes that make up the assistant, started together and stopped together.

`python -m bot.stack` is what `make run` runs; the integration tests start the
same stack on free ports. Each process gets its own process group, so stopping
a group also stops anything it started; a process that dies is started again
(bot.supervision), and Ctrl-C stops them all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Dict, List, Optional

import yaml

from bot.supervision import Backoff, Supervisor
from core.settings import PROJECT_ROOT, Settings, private_dir

logger = logging.getLogger(__name__)
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STOP_GRACE_S = 10


@dataclass
class Service:
    """One process: how to start it and how to tell it is ready."""

    name: str
    command: List[str]
    port: Optional[int]
    ready_url: Optional[str]
    process: Optional[subprocess.Popen] = None
    # Started only once the others answer (the balancer: an early probe would
    # mark its upstreams as failed for a while).
    starts_last: bool = False
    # Supervision: when it was last started, when to start it again after it died.
    backoff: Backoff = field(default_factory=Backoff)
    launched_at: float = 0.0
    restart_at: Optional[float] = None
    restarts: int = 0
    # Stopped on purpose (`Stack.hold`): the supervisor leaves it down.
    held: bool = False

    def has_exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    @property
    def started(self) -> subprocess.Popen:
        """The process, once the stack has started it."""
        if self.process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self.process

    def is_ready(self) -> bool:
        if self.ready_url is None:  # a worker without a port: ready once running
            return self.process is not None and self.process.poll() is None
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                if self.name == "rasa":  # the server answers before the model is loaded
                    return bool(json.loads(response.read()).get("model_file"))
                return response.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False


@dataclass
class StackConfig:
    """Ports, files and environment of one running assistant.

    With more than one Rasa or action-server worker, nginx (deploy/) balances
    them: the public port carries webhooks and the web app, the internal port
    Rasa's HTTP API and the action servers. Several Rasa workers need a shared
    tracker store and REDIS_URL for their locks.
    """

    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    token: str = ""
    # Rasa sends it with every action call; the action server refuses calls without it.
    action_token: str = ""
    # The interface every server listens on (HOST): loopback unless configured otherwise.
    host: str = "127.0.0.1"
    model: str = "models"
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    credentials: Path = PROJECT_ROOT / "credentials.yml"
    log_dir: Path = PROJECT_ROOT / "var" / "log"
    env: Dict[str, str] = field(default_factory=dict)
    rasa_workers: int = 1
    actions_workers: int = 1
    public_port: Optional[int] = None
    internal_port: Optional[int] = None
    # False runs Rasa as released (`python -m rasa`), for comparing against stock Rasa.
    rasa_fixes: bool = True
    # Restart a process that dies (bot.supervision); False leaves it down.
    supervise: bool = True

    @property
    def balanced(self) -> bool:
        return self.public_port is not None and self.internal_port is not None

    def rasa_ports(self) -> List[int]:
        return [self.rasa_port + i for i in range(self.rasa_workers)]

    def actions_ports(self) -> List[int]:
        return [self.actions_port + i for i in range(self.actions_workers)]

    @property
    def rasa_url(self) -> str:
        """Where Rasa's HTTP API answers: the balancer's internal side, or the one worker."""
        return f"http://localhost:{self.internal_port if self.balanced else self.rasa_port}"

    def environment(self) -> Dict[str, str]:
        """The processes' environment: this one's, the stack's settings, and `env` over both.

        Tokens travel here, never on a command line, where `ps` would show them.
        """
        settings = Settings.from_env({**os.environ, **self.env})
        actions = f"localhost:{self.internal_port if self.balanced else self.actions_port}"
        return {
            **os.environ,
            "RASA_TOKEN": self.token,
            "ACTION_SERVER_TOKEN": self.action_token,
            "HOST": self.host,
            "RASA_URL": self.rasa_url,
            "ACTION_ENDPOINT_URL": f"http://{actions}/webhook",
            "TRACKER_DATABASE_URL": settings.tracker_database_url,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONUNBUFFERED": "1",
            # Where each Rasa worker listens, for the console's rolling reload (bot.rolling_reload).
            "RASA_PORT": str(self.rasa_port),
            "RASA_WORKERS": str(self.rasa_workers),
            **({"BALANCER_CONF": str(self.log_dir / "nginx.conf")} if self.balanced else {}),
            **self.env,
        }

    def services(self) -> List[Service]:
        python = str(VENV_BIN / "python")
        found = []
        # The project's action server checks the action token; stock Rasa gets rasa-sdk's own.
        # (rasa-sdk's entry point either way: `rasa run actions` would load all of Rasa first.)
        actions = ["-m", "bot.actions_server"] if self.rasa_fixes else ["-m", "rasa_sdk", "--actions", "actions"]
        for i, port in enumerate(self.actions_ports()):
            found.append(
                Service(
                    "actions" if i == 0 else f"actions-{i + 1}",
                    [python, *actions, "--port", str(port)],
                    port,
                    f"http://localhost:{port}/health",
                )
            )
        serve = ["--credentials", str(self.credentials), "--endpoints", str(self.run_endpoints), "--model", self.model]
        # bot.rasa_server reads the API token from RASA_TOKEN; stock Rasa only takes it as an argument.
        token = [] if self.rasa_fixes else [f"--auth-token={self.token}"]  # "=": a token may start with "-"
        for i, port in enumerate(self.rasa_ports()):
            api = ["--enable-api", *token, "--interface", self.host, "--port", str(port)]
            found.append(
                Service(
                    "rasa" if i == 0 else f"rasa-{i + 1}",
                    [python, "-m", "bot.rasa_server" if self.rasa_fixes else "rasa", "run", *api, *serve],
                    port,
                    f"http://localhost:{port}/status?token={self.token}",
                )
            )
        found.append(
            Service(
                "web",
                [python, "-m", "bot.web", "--host", self.host, "--port", str(self.web_port)],
                self.web_port,
                f"http://localhost:{self.web_port}/healthz",
            )
        )
        found.append(Service("delivery", [python, "-m", "bot.delivery"], None, None))
        if self.balanced:
            config = self.log_dir / "nginx.conf"
            found.append(
                Service(
                    "nginx",
                    [NGINX, "-c", str(config), "-p", str(self.log_dir)],
                    self.public_port,
                    f"http://localhost:{self.internal_port}/nginx-health",
                    starts_last=True,
                )
            )
        return found

    @property
    def run_endpoints(self) -> Path:
        """The endpoints file Rasa is started with: the project's, pointed at this stack's action server."""
        return self.log_dir / "endpoints.yml"

    def render_endpoints(self) -> None:
        """Write `run_endpoints` from the project's endpoints.yml (plain Rasa commands use that one)."""
        endpoints = yaml.safe_load(self.endpoints.read_text()) or {}
        endpoints.setdefault("action_endpoint", {})["url"] = self.environment()["ACTION_ENDPOINT_URL"]
        if self.rasa_fixes:
            endpoints["action_endpoint"]["token"] = self.action_token
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.run_endpoints.write_text(yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False))

    def render_balancer(self) -> None:
        """Write the nginx configuration from deploy/nginx.conf.template."""
        template = Template((PROJECT_ROOT / "deploy" / "nginx.conf.template").read_text())
        self.log_dir.mkdir(parents=True, exist_ok=True)
        text = template.safe_substitute(
            PUBLIC_LISTEN=f"127.0.0.1:{self.public_port}",
            INTERNAL_LISTEN=f"127.0.0.1:{self.internal_port}",
            RASA_SERVERS=" ".join(f"server 127.0.0.1:{p};" for p in self.rasa_ports()),
            ACTION_SERVERS=" ".join(f"server 127.0.0.1:{p};" for p in self.actions_ports()),
            WEB_SERVERS=f"server 127.0.0.1:{self.web_port};",
            RUN_DIR=str(self.log_dir),
        )
        (self.log_dir / "nginx.conf").write_text(text)


class StackError(RuntimeError):
    """A process would not start or died."""


class Stack:
    """Starts the services, waits until each answers, restarts one that dies, and stops them all."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.services = config.services()
        self._lock = threading.RLock()
        self._supervisor: Optional[Supervisor] = None
        self._stopping = False

    def start(self, timeout_s: float = 180) -> float:
        """Start everything; returns the seconds until all were ready.

        A process that dies while the stack starts is an error (it would die again);
        once everything answered, the supervisor restarts any that dies.
        """
        busy = [s for s in self.services if s.port is not None and port_in_use(s.port)]
        if self.config.balanced and self.config.internal_port and port_in_use(self.config.internal_port):
            busy.append(Service("nginx (internal)", [], self.config.internal_port, None))
        if busy:
            names = ", ".join(f"{s.name} (:{s.port})" for s in busy)
            raise StackError(f"port already in use: {names}. Is another `make run` still running?")
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self.config.render_endpoints()
        if self.config.balanced:
            self.config.render_balancer()
        started = time.monotonic()
        for wave in ([s for s in self.services if not s.starts_last], [s for s in self.services if s.starts_last]):
            for service in wave:
                self._launch(service)
            self._wait_ready(wave, started, timeout_s)
        if self.config.supervise:
            self._supervisor = Supervisor(self.restart_dead)
            self._supervisor.start()
        return time.monotonic() - started

    def _launch(self, service: Service) -> None:
        log = (self.config.log_dir / f"{service.name}.log").open("ab")
        service.process = subprocess.Popen(
            service.command, cwd=PROJECT_ROOT, env=self.config.environment(), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        service.launched_at, service.restart_at = time.monotonic(), None
        log.close()

    def _wait_ready(self, services: List[Service], started: float, timeout_s: float) -> None:
        pending = list(services)
        while pending:
            self.check_alive()
            pending = [s for s in pending if not s.is_ready()]
            if time.monotonic() - started > timeout_s:
                raise StackError(f"not ready after {timeout_s:.0f}s: {', '.join(s.name for s in pending)}")
            time.sleep(0.3)

    def restart_dead(self) -> None:
        """Start again each process that died, once its back-off has passed (the supervisor's round)."""
        with self._lock:
            now = time.monotonic()
            for service in self.services:
                if self._stopping or service.held or not service.has_exited():
                    continue
                if service.restart_at is None:
                    delay = service.backoff.after_exit(now - service.launched_at)
                    service.restart_at = now + delay
                    logger.warning(
                        "%s exited with %s; starting it again in %.1f s",
                        service.name,
                        service.started.returncode,
                        delay,
                    )
                elif now >= service.restart_at:
                    self._launch(service)
                    service.restarts += 1
                    logger.warning("%s started again (restart %d)", service.name, service.restarts)

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop one process the hard way, as a crash would (the supervisor, if on, starts it again)."""
        service = self.service(name)
        _signal_group(service, sig)
        service.started.wait()

    def hold(self, name: str) -> None:
        """Stop one process and keep it down until `revive` (maintenance, or a test of its absence)."""
        with self._lock:
            self.service(name).held = True
        self.kill(name, signal.SIGTERM)

    def revive(self, name: str, timeout_s: float = 180) -> float:
        """Have a stopped process running and answering again; returns the seconds until it answered."""
        service = self.service(name)
        started = time.monotonic()
        with self._lock:
            service.held = False
            if service.has_exited():
                self._launch(service)
        self.wait_ready(name, timeout_s)
        return time.monotonic() - started

    def wait_ready(self, name: str, timeout_s: float = 180) -> float:
        """Seconds until a process answers (whoever starts it: the supervisor, or `revive`)."""
        service = self.service(name)
        started = time.monotonic()
        while not (service.process is not None and not service.has_exited() and service.is_ready()):
            if time.monotonic() - started > timeout_s:
                raise StackError(f"{name} not ready after {timeout_s:.0f}s:\n{self.tail(name)}")
            time.sleep(0.1)
        return time.monotonic() - started

    def check_alive(self) -> None:
        for service in self.services:
            if service.has_exited():
                raise StackError(f"{service.name} exited with {service.started.returncode}:\n{self.tail(service.name)}")

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        if self._supervisor is not None:
            self._supervisor.stop()
        running = [s for s in self.services if s.process and s.process.poll() is None]
        for service in running:
            _signal_group(service, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for service in running:
            try:
                service.started.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(service, signal.SIGKILL)
                service.started.wait()
        for service in self.services:  # what a group leader left behind when it exited
            if service.process:
                _signal_group(service, signal.SIGKILL)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.config.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(service: Service, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.started.pid, sig)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port(consecutive: int = 1) -> int:
    """A port the system calls free, and free too are the `consecutive - 1` after it
    (several Rasa workers listen on consecutive ports)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + consecutive <= 65535 and not any(port_in_use(port + i) for i in range(1, consecutive)):
            return port


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m bot.stack` starts everything; `--render` only writes the files Rasa and nginx
    read (var/log/endpoints.yml, nginx.conf), for operators whose systemd runs each process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    render_only = "--render" in (sys.argv[1:] if argv is None else argv)
    settings = Settings.from_env()
    balanced = settings.rasa_workers > 1 or settings.actions_workers > 1
    config = StackConfig(
        rasa_port=settings.rasa_port,
        actions_port=settings.actions_port,
        web_port=settings.web_port,
        token=settings.rasa_token or "",
        action_token=settings.action_token or "",
        host=settings.host,
        log_dir=private_dir(settings.var_dir / "log"),
        rasa_workers=settings.rasa_workers,
        actions_workers=settings.actions_workers,
        public_port=settings.public_port if balanced else None,
        internal_port=settings.internal_port if balanced else None,
    )
    if render_only:
        config.render_endpoints()
        if config.balanced:
            config.render_balancer()
        print(f"wrote {config.run_endpoints}" + (f" and {config.log_dir / 'nginx.conf'}" if config.balanced else ""))
        return 0
    stop_requested = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = Stack(config)
    print(f"starting {', '.join(s.name for s in stack.services)} (logs in var/log/)…", flush=True)
    try:
        seconds = stack.start()
        print(_banner(config, seconds), flush=True)
        while True:
            time.sleep(1)  # the supervisor restarts a process that dies
    except KeyboardInterrupt:
        return 0 if stop_requested else 130
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping all processes…", flush=True)
        stack.stop()
        print("stopped.", flush=True)


def _banner(config: StackConfig, seconds: float) -> str:
    return f"""
暖新助手 is running (ready in {seconds:.0f}s):
  web chat                http://localhost:{config.web_port}/
  staff/admin console     http://localhost:{config.web_port}/console/
  Rasa rest channel       POST http://localhost:{config.rasa_port}/webhooks/rest/webhook
  Rasa HTTP API           http://localhost:{config.rasa_port}/  (token: $RASA_TOKEN or var/secrets/rasa_token)
  action server           http://localhost:{config.actions_port}/webhook
Try:  curl -s localhost:{config.rasa_port}/webhooks/rest/webhook -d '{{"sender": "me", "message": "你好"}}'
Press Ctrl-C to stop everything."""


if __name__ == "__main__":
    sys.exit(main())
