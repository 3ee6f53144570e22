"""`make run` on embedded defaults: it answers 你好, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from bot.stack import free_port
from core.settings import PROJECT_ROOT

READY_TIMEOUT_S = 240


def processes_mentioning(marker: str) -> list:
    """Command lines of running processes that contain `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and "bin/pytest" not in cmdline and "-m pytest" not in cmdline:
            found.append(cmdline)
    return found


def test_make_run_answers_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "NUANXIN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nuanxin.db'}",
    }
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    output = []
    try:
        started = time.monotonic()
        for line in make.stdout:
            output.append(line)
            if "is running" in line:
                break
            assert time.monotonic() - started < READY_TIMEOUT_S, "".join(output)
        assert output and "is running" in output[-1], "make run stopped before it was ready:\n" + "".join(output)
        print(f"make run ready after {time.monotonic() - started:.1f}s")
        replies = requests.post(
            f"http://localhost:{ports['RASA_PORT']}/webhooks/rest/webhook",
            json={"sender": "make-run", "message": "你好"},
            timeout=30,
        ).json()
        assert "暖新助手" in replies[0]["text"]
        assert requests.get(f"http://localhost:{ports['WEB_PORT']}/", timeout=10).status_code == 200
        assert processes_mentioning(f"--port {ports['RASA_PORT']}")
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already if it failed to start
            os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        make.wait(timeout=60)
        with make.stdout:
            rest = make.stdout.read()
    assert "stopped." in rest
    for port in ports.values():
        assert not processes_mentioning(f"--port {port}"), f"process on port {port} left behind"
