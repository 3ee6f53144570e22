"""Rasa's command line (`python -m bot.rasa_server run …`) with `bot.rasa_fixes` applied first.

`run --enable-api` takes the API token from the settings (RASA_TOKEN) when none is given, so the
token never appears on a command line, where `ps` shows it to every user.
"""

from __future__ import annotations

import sys
from typing import Callable, List, Optional

from bot.rasa_fixes import apply_all
from core.settings import Settings


def main() -> None:
    apply_all()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    sys.argv[1:] = with_api_token(sys.argv[1:], lambda: Settings.from_env().rasa_token)
    rasa_main()


def with_api_token(arguments: List[str], token: Callable[[], Optional[str]]) -> List[str]:
    """`run --enable-api` arguments with the settings' token added in-process when none was given
    (other commands, such as `train`, are left alone and read no settings)."""
    given = any(a in ("-t", "--auth-token") or a.startswith("--auth-token=") for a in arguments)
    if arguments[:1] != ["run"] or "--enable-api" not in arguments or given:
        return arguments
    value = token()
    return [*arguments, f"--auth-token={value}"] if value else arguments


if __name__ == "__main__":
    main()
