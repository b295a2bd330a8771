"""Small SQL helpers the repositories share: affected-row counts and portable upserts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Result
from sqlalchemy.dialects import postgresql, sqlite

from trainer_bot.storage.tables import Base


def rowcount(result: Result[Any]) -> int:
    # UPDATE/DELETE/INSERT always produce a CursorResult; the session API just types it as Result.
    return cast(CursorResult[Any], result).rowcount


def upsert(
    dialect: str,
    model: type[Base],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> Executable:
    """INSERT ... ON CONFLICT (`conflict`) DO UPDATE `update` (or DO NOTHING when `update` is empty).

    Both supported backends spell this the same way; one statement avoids the select-then-insert race.
    """
    if dialect == "sqlite":
        lite = sqlite.insert(model).values(dict(values))
        if not update:
            return lite.on_conflict_do_nothing(index_elements=list(conflict))
        return lite.on_conflict_do_update(
            index_elements=list(conflict), set_={name: lite.excluded[name] for name in update}
        )
    if dialect == "postgresql":
        pg = postgresql.insert(model).values(dict(values))
        if not update:
            return pg.on_conflict_do_nothing(index_elements=list(conflict))
        return pg.on_conflict_do_update(
            index_elements=list(conflict), set_={name: pg.excluded[name] for name in update}
        )
    raise NotImplementedError(f"upsert is not implemented for the {dialect} dialect")
