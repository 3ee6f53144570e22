"""Rasa's command line (`python -m bot.rasa_server run …`) with `bot.rasa_fixes` applied first.

`run --enable-api` takes the API token from RASA_TOKEN when none is given, so the
token never appears on a command line, where `ps` shows it to every user.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

from bot.rasa_fixes import apply_all


def main() -> None:
    apply_all()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    sys.argv[1:] = with_token_from_environment(sys.argv[1:], os.environ.get("RASA_TOKEN"))
    rasa_main()


def with_token_from_environment(arguments: List[str], token: Optional[str]) -> List[str]:
    """`run --enable-api` arguments with the token added in-process when none was given."""
    given = any(a in ("-t", "--auth-token") or a.startswith("--auth-token=") for a in arguments)
    if token and arguments[:1] == ["run"] and "--enable-api" in arguments and not given:
        return [*arguments, f"--auth-token={token}"]
    return arguments


if __name__ == "__main__":
    main()
