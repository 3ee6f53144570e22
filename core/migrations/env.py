"""Alembic environment: migrates the database that `DATABASE_URL` names."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context

from core import models
from core.db import make_engine
from core.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)


def _ours(name: Any, type_: Any, parent_names: Any) -> bool:
    """Only the project's tables: Rasa's events table may share the database."""
    return type_ != "table" or name in models.Base.metadata.tables


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=models.Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=models.Base.metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=_ours,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
