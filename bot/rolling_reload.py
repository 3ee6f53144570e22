"""Load a model into every Rasa worker in turn, with no message lost or failed.

Rasa's `PUT /model` swaps the model of the one worker it reaches, and that
worker answers nothing while it loads. So each worker is first taken out of
nginx's rotation (its `server` line marked `down`, nginx reloaded gracefully:
the old nginx processes finish the requests they carry, new ones go to the
other workers; one rider's conversation moves with its hash and the shared
tracker and lock stores keep it whole), then loaded through its own port,
checked, and put back before the next one goes out.

With one worker and no balancer there is nobody to take over: the worker is
loaded in place and messages wait (they are held in its listen queue, not
refused) until it answers again.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Set

import requests

logger = logging.getLogger(__name__)
# How long nginx's previous processes may take to finish what they carry before a worker is loaded
# anyway (a server-sent-events stream through the public port keeps one alive for up to an hour).
DRAIN_S = 30.0
LOAD_TIMEOUT_S = 600.0
Progress = Callable[[str], None]


class ReloadError(RuntimeError):
    """A worker did not take the model; the workers already loaded keep it."""


@dataclass
class Balancer:
    """The nginx that `bot.stack` renders and starts in front of several Rasa workers."""

    conf: Path

    def _pid(self) -> int:
        found = re.search(r"^\s*pid\s+(\S+);", self.conf.read_text(), re.M)
        if not found:
            raise ReloadError(f"no pid file named in {self.conf}")
        return int(Path(found.group(1)).read_text().strip())

    def set_down(self, port: int, down: bool) -> None:
        """Take the worker on `port` out of rotation (or put it back) and wait for nginx to follow."""
        text = self.conf.read_text()
        line = re.compile(rf"server 127\.0\.0\.1:{port}(?: down)?;")
        if not line.search(text):
            raise ReloadError(f"port {port} is not in {self.conf}")
        self.conf.write_text(line.sub(f"server 127.0.0.1:{port}{' down' if down else ''};", text))
        self._reload()

    def _reload(self) -> None:
        """nginx's graceful reload; returns once the processes of the previous configuration have gone."""
        master = self._pid()
        before = _children(master)
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline:
            now = _children(master)
            if not (before & now) and now - before:  # the new generation is up, the old one finished
                return
            time.sleep(0.05)
        logger.warning("nginx's previous workers still carry connections after %.0f s; going on", DRAIN_S)


def _children(pid: int) -> Set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(proc.name))
    return found


@dataclass
class Worker:
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].rstrip("/"))

    def model_file(self, token: str) -> Optional[str]:
        try:
            response = requests.get(f"{self.url}/status", params={"token": token}, timeout=5)
            return str(response.json().get("model_file") or "") or None if response.ok else None
        except (requests.RequestException, ValueError):
            return None

    def load(self, model: Path, token: str) -> None:
        """PUT /model; Rasa answers once the model is loaded (or refused)."""
        response = requests.put(
            f"{self.url}/model", params={"token": token}, json={"model_file": str(model)}, timeout=LOAD_TIMEOUT_S
        )
        if response.status_code != 204:
            raise ReloadError(f"{self.url} refused the model: HTTP {response.status_code} {response.text[:300]}")
        if Path(self.model_file(token) or "").name != model.name:
            raise ReloadError(f"{self.url} does not report {model.name} after loading it")


def rolling_reload(
    workers: Sequence[Worker], model: Path, token: str, balancer: Optional[Balancer], progress: Progress
) -> List[float]:
    """Load `model` into each worker in turn; returns the seconds each worker spent loading
    (answering nothing: with a balancer, while nobody sent it anything)."""
    if len(workers) > 1 and balancer is None:
        raise ReloadError("several Rasa workers but no balancer to take them out of rotation")
    seconds = []
    for number, worker in enumerate(workers, 1):
        if balancer:
            progress(f"第 {number}/{len(workers)} 个 Rasa 进程暂停接收新消息")
            balancer.set_down(worker.port, True)
        try:
            progress(f"第 {number}/{len(workers)} 个 Rasa 进程载入新模型")
            started = time.monotonic()
            worker.load(model, token)
            seconds.append(time.monotonic() - started)
        finally:
            if balancer:
                balancer.set_down(worker.port, False)
        progress(f"第 {number}/{len(workers)} 个 Rasa 进程已用新模型（载入 {seconds[-1]:.1f} 秒）")
    return seconds
