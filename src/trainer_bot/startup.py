"""Why the bot could not start, in one line an operator can act on, and the exit status to use."""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import hikari
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from trainer_bot.config import Settings
from trainer_bot.storage import Database

EXIT_FAILED, EXIT_CONFIG = 1, 2


class StartupError(Exception):
    """The bot cannot start; the message says why in one line."""


class TokenRejected(StartupError):
    pass


class ConfigurationProblem(StartupError):
    """Only the operator can fix it (a setting, a folder's owner, a database role): exit status 2."""


class DiscordUnreachable(StartupError):
    pass


TOKEN_REJECTED = (
    "Discord refused DISCORD_TOKEN (401 Unauthorized): reset the token in the Developer Portal "
    "(Bot -> Reset Token) and put the new one in .env"
)


async def check_discord(settings: Settings, timeout: float = 10.0) -> None:
    """Ask Discord who we are before anything else starts, so a bad token or an unreachable API is one
    clear line instead of failures deep inside the gateway's start."""
    headers = {"Authorization": f"Bot {settings.require_token()}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(f"{settings.discord_api_url}/users/@me", headers=headers) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DiscordUnreachable(
            f"could not reach Discord at {settings.discord_api_url}: {_reason(exc)}"
        ) from None
    if status == 401:
        raise TokenRejected(TOKEN_REJECTED)
    if status >= 400:
        raise StartupError(f"Discord answered {status} to the first request; try again later")


def explain_failure(exc: BaseException, settings: Settings) -> tuple[str, int]:
    """(one line, exit status): 2 where the operator's configuration must change, 1 otherwise."""
    if isinstance(exc, TokenRejected | hikari.UnauthorizedError):
        return TOKEN_REJECTED, EXIT_CONFIG
    if isinstance(exc, ConfigurationProblem):
        return str(exc), EXIT_CONFIG
    if isinstance(exc, StartupError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, aiohttp.ClientConnectionError | hikari.HTTPError | TimeoutError):
        return f"could not reach Discord at {settings.discord_api_url}: {_reason(exc)}", EXIT_FAILED
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"AUDIO_PORT {settings.audio_port} on {settings.audio_host} is already in use: stop what uses it "
            "or choose another AUDIO_PORT",
            EXIT_CONFIG,
        )
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}; check DATA_DIR ({settings.data_dir})", EXIT_CONFIG
    return f"could not start: {_reason(exc)} (LOG_LEVEL=DEBUG shows the details)", EXIT_FAILED


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- DATA_DIR and the database ---------------------------------------------------------------------------


async def open_database(settings: Settings) -> Database:
    """DATA_DIR and the migrated database, both proven writable; `trainer-bot run` and `check` share it.

    A problem the operator must fix (a folder this user may not write, a role without rights, a server
    that does not answer) becomes a ConfigurationProblem whose message says what to change.
    """
    with _explained(settings):
        _prepare_data_dir(settings.layout.root)
        database = Database.from_url(_database_url(settings))
    try:
        with _explained(settings):
            await database.migrate()
            await database.check_writable()
    except BaseException:
        await database.close()
        raise
    return database


def storage_problem(exc: BaseException, settings: Settings) -> str | None:
    """The one line for an error met while opening DATA_DIR or the database; None when it is not one
    the operator can fix by changing a folder or DATABASE_URL."""
    try:
        url = make_url(_database_url(settings))
    except ArgumentError:
        # The URL is not even parseable, so nothing can be masked: never echo it, it may hold a password.
        return (
            "DATABASE_URL is not a database URL: use postgresql+asyncpg://USER:PASSWORD@HOST/DB, or leave "
            "it unset for SQLite in DATA_DIR"
        )
    causes = list(_causes(exc))
    sqlite = url.get_backend_name() == "sqlite"
    # DATA_DIR before the server: its errors name a path under DATA_DIR, a server's never do.
    line = (_sqlite_problem(causes, url, settings) if sqlite else None) or _data_dir_problem(
        causes, settings.layout.root
    )
    if line is None and not sqlite:
        line = _server_problem(causes, url)
    if line is None and (missing := _missing_driver(causes)):
        extra = " (pip install 'trainer-bot[postgres]')" if missing == "asyncpg" else ""
        line = (
            f"DATABASE_URL {_masked(url)} needs the Python package {missing}, which is not installed{extra}"
        )
    if line is None and any(isinstance(cause, NoSuchModuleError) for cause in causes):
        line = (
            f"DATABASE_URL {_masked(url)} names a database SQLAlchemy does not know: use "
            "postgresql+asyncpg://USER:PASSWORD@HOST/DB, or leave it unset for SQLite in DATA_DIR"
        )
    return line


def _database_url(settings: Settings) -> str:
    return settings.database_url or settings.layout.default_database_url


@contextlib.contextmanager
def _explained(settings: Settings) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        line = storage_problem(exc, settings)
        if line is None:
            raise
        raise ConfigurationProblem(line) from exc


def _prepare_data_dir(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    # A real write rather than os.access: for root the permission bits say nothing, and a read-only
    # mount or a PostgreSQL DATABASE_URL would otherwise let the first uploaded file be what fails.
    with tempfile.TemporaryFile(dir=root):
        pass


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: SQLAlchemy keeps the driver's error in `orig`, which in turn
    has the asyncpg or sqlite3 error as its cause."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]


def _sqlite_problem(causes: list[BaseException], url: URL, settings: Settings) -> str | None:
    file = Path(url.database or "").absolute()
    reason = next((str(cause) for cause in causes if _sqlite_cannot_write(cause)), None)
    if reason is None and settings.database_url:  # its folder, outside DATA_DIR, could not be created
        reason = next(
            (
                cause.strerror or str(cause)
                for cause in causes
                if isinstance(cause, OSError)
                and cause.filename
                and _related(Path(os.fsdecode(cause.filename)), file.parent)
            ),
            None,
        )
    if reason is None:
        return None
    if settings.database_url:
        return (
            f"the SQLite database {file} in DATABASE_URL cannot be written by user {_user()} ({reason}): "
            "make the file and its folder writable by that user, or change DATABASE_URL"
        )
    return (
        f"the database {file} in DATA_DIR cannot be written by user {_user()} ({reason}): make DATA_DIR "
        "and the files in it writable by that user, or set DATA_DIR to a folder it may write"
    )


def _sqlite_cannot_write(cause: BaseException) -> bool:
    if not isinstance(cause, sqlite3.Error):
        return False
    # The error name is only set on errors SQLite itself raised; the text is the same either way.
    name = getattr(cause, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")):
        return True
    return str(cause) in ("unable to open database file", "attempt to write a readonly database")


# PostgreSQL's SQLSTATE codes, which asyncpg's errors carry as `sqlstate`: matching on them leaves asyncpg
# (an optional extra) unimported here.
_PG_NO_PRIVILEGE, _PG_WRONG_PASSWORD, _PG_NOT_AUTHORIZED, _PG_NO_DATABASE = "42501", "28P01", "28000", "3D000"


def _server_problem(causes: list[BaseException], url: URL) -> str | None:
    where, role = f"DATABASE_URL {_masked(url)}", url.username or "(none)"
    for cause in causes:
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate == _PG_NO_PRIVILEGE:
            return (
                f"PostgreSQL role {role} lacks a permission ({_reason(cause)}) at {where}: make it the owner "
                "of the database and its schema, or use a role that owns them"
            )
        if sqlstate == _PG_WRONG_PASSWORD:
            return f"PostgreSQL refuses the password of role {role} at {where}: put the right one in DATABASE_URL"
        if sqlstate == _PG_NOT_AUTHORIZED:
            return f"PostgreSQL refuses role {role} ({_reason(cause)}) at {where}: correct DATABASE_URL"
        if sqlstate == _PG_NO_DATABASE:
            return (
                f"PostgreSQL has no database {url.database} at {where}: create it, owned by {role}, or "
                "correct DATABASE_URL"
            )
    for cause in causes:
        # Refused, unknown host, unreachable network, or no answer before the driver's timeout.
        if isinstance(cause, OSError) and not isinstance(cause, PermissionError):
            return (
                f"nothing answers at {url.host or 'localhost'}:{url.port or 5432} for {where} "
                f"({cause.strerror or _reason(cause)}): start PostgreSQL or correct the host and port in "
                "DATABASE_URL"
            )
    return None


def _data_dir_problem(causes: list[BaseException], root: Path) -> str | None:
    root = root.absolute()
    for cause in causes:
        if not isinstance(cause, OSError) or not cause.filename:
            continue
        failed = Path(os.fsdecode(cause.filename)).absolute()
        if not _related(failed, root):
            continue
        if cause.errno in (errno.ENOTDIR, errno.EEXIST):
            blocker = next((part for part in [*reversed(root.parents), root] if part.is_file()), failed)
            return (
                f"DATA_DIR {root} cannot be created: {blocker} is a file, not a folder; move that file, "
                "or set DATA_DIR to a folder this user may write"
            )
        if not root.is_dir():
            return (
                f"DATA_DIR {root} cannot be created by user {_user()} ({cause.strerror} in {failed.parent}): "
                "create it writable by that user, or set DATA_DIR to a folder it may write"
            )
        return (
            f"DATA_DIR {root} is not writable by user {_user()} ({cause.strerror}): make it writable by "
            "that user (chown or chmod), or set DATA_DIR to a folder it may write"
        )
    return None


def _missing_driver(causes: list[BaseException]) -> str | None:
    return next(
        (cause.name for cause in causes if isinstance(cause, ModuleNotFoundError) and cause.name), None
    )


def _related(path: Path, folder: Path) -> bool:
    """The path is the folder, inside it, or one of the folders that had to be created on the way."""
    return path.is_relative_to(folder) or folder.is_relative_to(path)


def _masked(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _user() -> str:
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container's uid often has no passwd entry
        return f"uid {uid}"
