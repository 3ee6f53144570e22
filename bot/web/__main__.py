"""python -m bot.web [--port 8000]"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from bot.web.app import create_app
from core.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.web")
    parser.add_argument("--host", default=None, help="default: HOST (loopback)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    web.run_app(create_app(settings), host=args.host or settings.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()
