"""The API token reaches `rasa run` in-process, never on a command line `ps` shows."""

from __future__ import annotations

from typing import List, Optional

from bot.rasa_server import with_api_token


def added(arguments: List[str], token: Optional[str] = "secret") -> List[str]:
    return with_api_token(arguments, lambda: token)


def test_run_with_the_api_gets_the_token() -> None:
    assert added(["run", "--enable-api"]) == ["run", "--enable-api", "--auth-token=secret"]


def test_a_token_given_on_the_command_line_is_kept() -> None:
    assert added(["run", "--enable-api", "-t", "mine"]) == ["run", "--enable-api", "-t", "mine"]
    assert added(["run", "--enable-api", "--auth-token=mine"]) == ["run", "--enable-api", "--auth-token=mine"]


def test_other_commands_read_no_settings() -> None:
    def unread() -> Optional[str]:
        raise AssertionError("settings read for a command that takes no token")

    assert with_api_token(["train", "--fixed-model-name", "x"], unread) == ["train", "--fixed-model-name", "x"]
    assert with_api_token(["run"], unread) == ["run"]


def test_no_token_configured_adds_nothing() -> None:
    assert added(["run", "--enable-api"], token=None) == ["run", "--enable-api"]
