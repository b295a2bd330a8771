"""A throwaway PostgreSQL server for tests, from Debian's `postgresql` package: no Docker, no network.

`TRAINER_BOT_TEST_POSTGRES_URL` (an empty database the tests may wipe) takes precedence. Otherwise a
cluster is created in a temporary folder with the package's own `initdb` and `pg_ctl`, listening on a
free port of 127.0.0.1 only (no Unix socket), trusting local connections, and removed at the end.
PostgreSQL refuses to run as root, so under root it runs as the package's `postgres` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENVIRONMENT = "TRAINER_BOT_TEST_POSTGRES_URL"
DATABASE = "trainer_bot_test"


def binaries() -> Path | None:
    """The newest installed server's bin folder, or None when `postgresql` is not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """An asyncpg URL of an empty database on a server that lives as long as the block."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package `postgresql`)")
    home = Path(tempfile.mkdtemp(prefix="trainer-bot-pg-"))
    owner = _server_user()
    try:
        if owner is not None:
            shutil.chown(home, owner.pw_uid, owner.pw_gid)
        data, port = home / "data", _free_port()
        _as(owner, [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c fsync=off"
        _as(
            owner,
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"],
        )
        try:
            _as(
                owner,
                [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE],
            )
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"
        finally:
            _as(owner, [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root, but there is no `postgres` user to run PostgreSQL as") from None


def _as(user: pwd.struct_passwd | None, command: list[str]) -> None:
    prefix = (
        []
        if user is None
        else ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    )
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120, cwd="/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
