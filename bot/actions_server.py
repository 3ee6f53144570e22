"""The action server (rasa-sdk), answering Rasa only.

    python -m bot.actions_server --port 5055

rasa-sdk's own server listens on every interface and runs any action for
anyone: a hand-made tracker posted to it read a rider's tickets and opened one
in their name. This one binds to HOST (loopback by default) and refuses every
call that does not carry the installation's action token, which Rasa sends
with each call (`token` of the action endpoint in the endpoints file the stack
writes). The health check stays open, for the supervisor and the balancer.
"""

from __future__ import annotations

import argparse
import hmac
import logging
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.settings import Settings

logger = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)


def create_app(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's app for the action package, behind the token check."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    if not token:
        raise ValueError("the action server needs an action token (ACTION_SERVER_TOKEN)")
    app = create_sdk_app(package, cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            logger.warning("refused an action call without the action token from %s", request.ip)
            return response.json({"error": "the action server answers Rasa only"}, status=403)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.actions_server", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    settings = Settings.from_env()
    app = create_app(settings.action_token or "")
    app.run(settings.host, args.port, access_log=False)


if __name__ == "__main__":
    main()
