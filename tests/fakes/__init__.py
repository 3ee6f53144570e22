"""Local stand-ins for the Telegram Bot API and the WeChat API, served over HTTP on loopback."""
