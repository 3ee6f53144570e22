#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

is_python310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.10 \
        "$(pyenv prefix 3.10.13 2>/dev/null)/bin/python3.10" \
        "$(pyenv prefix 3.10 2>/dev/null)/bin/python3.10" \
        "$HOME"/.pyenv/versions/3.10*/bin/python3.10 \
        /usr/local/bin/python3.10 /usr/bin/python3.10; do
        if [ -n "$candidate" ] && is_python310 "$candidate"; then
            command -v "$candidate" 2>/dev/null || echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! is_python310 .venv/bin/python; then
    if ! python=$(find_python); then
        cat >&2 <<'MSG'
error: Python 3.10 not found. Rasa 3.6 runs on Python 3.8 to 3.10 only.
  Install it, e.g. `pyenv install 3.10.13`, or point PYTHON at one:
  make run PYTHON=/path/to/python3.10
MSG
        exit 1
    fi
    echo "creating .venv with $python"
    rm -rf .venv
    "$python" -m venv .venv
fi

echo "installing locked dependencies into .venv (first time: a few minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" "setuptools==70.3.0" "wheel==0.45.1"
# --no-deps: the lock is complete, and aiogram 2.25.2's declared aiohttp<3.9
# conflicts with Rasa's aiohttp 3.9 pin (see requirements.txt).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
.venv/bin/python -c 'import rasa, rasa_sdk, jieba, sqlalchemy, alembic, aiogram, wechatpy' \
    || { echo "error: the installed environment is incomplete" >&2; exit 1; }
