"""The one line for a database or DATA_DIR the bot cannot use, from the errors the drivers raise.

PostgreSQL's refusals need a server to happen for real, so their asyncpg errors are built here; the
tests in tests/e2e/test_cli.py run the ones a machine without a server can cause.
"""

from __future__ import annotations

import errno
import os
import pwd
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from trainer_bot.config import Settings
from trainer_bot.startup import EXIT_CONFIG, ConfigurationProblem, explain_failure, storage_problem

URL = "postgresql+asyncpg://bot:pg-secret@db.example:5433/trainer"
MASKED = "postgresql+asyncpg://bot:***@db.example:5433/trainer"


def settings(tmp_path: Path, database_url: str | None = URL) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", database_url=database_url)


def wrapped(error: BaseException) -> DBAPIError:
    """As SQLAlchemy hands it on: its own error, `orig` the dialect's adapter, caused by the driver's."""
    adapter = RuntimeError(str(error))
    adapter.__cause__ = error
    return DBAPIError("SELECT 1", None, adapter)


def test_a_role_without_a_permission(tmp_path: Path) -> None:
    error = asyncpg.InsufficientPrivilegeError("permission denied for schema public")
    assert storage_problem(wrapped(error), settings(tmp_path)) == (
        f"PostgreSQL role bot lacks a permission (permission denied for schema public) at DATABASE_URL "
        f"{MASKED}: make it the owner of the database and its schema, or use a role that owns them"
    )


def test_a_refused_password_is_named_but_never_shown(tmp_path: Path) -> None:
    error = asyncpg.InvalidPasswordError('password authentication failed for user "bot"')
    line = storage_problem(wrapped(error), settings(tmp_path))
    assert line == (
        f"PostgreSQL refuses the password of role bot at DATABASE_URL {MASKED}: put the right one in "
        "DATABASE_URL"
    )


def test_a_missing_database(tmp_path: Path) -> None:
    error = asyncpg.InvalidCatalogNameError('database "trainer" does not exist')
    assert storage_problem(error, settings(tmp_path)) == (
        f"PostgreSQL has no database trainer at DATABASE_URL {MASKED}: create it, owned by bot, or correct "
        "DATABASE_URL"
    )


def test_a_server_that_does_not_answer(tmp_path: Path) -> None:
    error = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5433)")
    assert storage_problem(error, settings(tmp_path)) == (
        f"nothing answers at db.example:5433 for DATABASE_URL {MASKED} (Connect call failed "
        "('127.0.0.1', 5433)): start PostgreSQL or correct the host and port in DATABASE_URL"
    )


def test_the_postgres_extra_not_installed(tmp_path: Path) -> None:
    error = ModuleNotFoundError("No module named 'asyncpg'", name="asyncpg")
    assert storage_problem(error, settings(tmp_path)) == (
        f"DATABASE_URL {MASKED} needs the Python package asyncpg, which is not installed "
        "(pip install 'trainer-bot[postgres]')"
    )


def test_a_url_that_cannot_be_read_is_not_repeated(tmp_path: Path) -> None:
    line = storage_problem(ValueError(), settings(tmp_path, "bot:pg-secret@db.example"))
    assert (
        line is not None and line.startswith("DATABASE_URL is not a database URL") and "pg-secret" not in line
    )


def test_a_read_only_sqlite_database_in_data_dir(tmp_path: Path) -> None:
    error = wrapped(sqlite3.OperationalError("attempt to write a readonly database"))
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert storage_problem(error, settings(tmp_path, None)) == (
        f"the database {tmp_path / 'data' / 'trainer-bot.sqlite3'} in DATA_DIR cannot be written by user "
        f"{user} (attempt to write a readonly database): make DATA_DIR and the files in it writable by that "
        "user, or set DATA_DIR to a folder it may write"
    )


@pytest.mark.parametrize(
    "error",
    [ValueError("something else"), ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")],
)
def test_other_errors_are_not_blamed_on_the_database(tmp_path: Path, error: Exception) -> None:
    # With SQLite there is no server: a refused connection came from something else (Lavalink, say).
    assert storage_problem(error, settings(tmp_path, None)) is None


def test_the_line_exits_with_the_configuration_status(tmp_path: Path) -> None:
    assert explain_failure(ConfigurationProblem("the line"), settings(tmp_path)) == ("the line", EXIT_CONFIG)
