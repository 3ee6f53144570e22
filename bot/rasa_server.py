"""Rasa's command line (`python -m bot.rasa_server run …`) with `bot.rasa_fixes` applied first."""

from __future__ import annotations

import sys

from bot.rasa_fixes import apply_all


def main() -> None:
    apply_all()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
