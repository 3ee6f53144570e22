"""Integration tests share the session's running assistant (see tests/running.py)."""
