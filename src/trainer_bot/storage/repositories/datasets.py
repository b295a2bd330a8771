"""Dataset rows: which stored example files a guild has, and which the next training uses."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import Dataset, DatasetSource
from trainer_bot.storage.repositories._sql import rowcount
from trainer_bot.storage.tables import DatasetRow


def _record(row: DatasetRow) -> Dataset:
    return Dataset(
        id=row.id,
        guild_id=row.guild_id,
        name=row.name,
        source=DatasetSource(row.source),
        path=row.path,
        default_label=row.default_label,
        examples=row.examples,
        pairs=row.pairs,
        label_counts=dict(row.label_counts),
        checksum=row.checksum,
        selected=row.selected,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class DatasetRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        guild_id: int,
        name: str,
        source: DatasetSource,
        path: str,
        examples: int,
        pairs: int,
        label_counts: Mapping[str, int],
        checksum: str,
        created_by: int,
        default_label: str | None = None,
        selected: bool = False,
    ) -> Dataset:
        """Record a stored dataset. `path` is relative to the workspace, so the data dir can move."""
        row = DatasetRow(
            guild_id=guild_id,
            name=name,
            source=DatasetSource(source).value,
            path=path,
            default_label=default_label,
            examples=examples,
            pairs=pairs,
            label_counts=dict(label_counts),
            checksum=checksum,
            selected=selected,
            created_by=created_by,
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            session.add(row)
        return _record(row)

    async def get(self, guild_id: int, dataset_id: int) -> Dataset | None:
        statement = select(DatasetRow).where(DatasetRow.id == dataset_id, DatasetRow.guild_id == guild_id)
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _record(row)

    async def list_for_guild(self, guild_id: int) -> list[Dataset]:
        return await self._list(guild_id, selected_only=False)

    async def list_selected(self, guild_id: int) -> list[Dataset]:
        return await self._list(guild_id, selected_only=True)

    async def find_by_checksum(self, guild_id: int, checksum: str) -> list[Dataset]:
        """Earlier copies of the same content, so a service can warn about (or skip) duplicates."""
        statement = (
            select(DatasetRow)
            .where(DatasetRow.guild_id == guild_id, DatasetRow.checksum == checksum)
            .order_by(DatasetRow.id)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_record(row) for row in rows]

    async def set_selected(self, guild_id: int, dataset_id: int, selected: bool) -> bool:
        """Mark one dataset (de)selected; several may be selected at once. False if it is not found."""
        statement = (
            update(DatasetRow)
            .where(DatasetRow.id == dataset_id, DatasetRow.guild_id == guild_id)
            .values(selected=selected)
        )
        async with self._db.transaction() as session:
            return rowcount(await session.execute(statement)) == 1

    async def delete(self, guild_id: int, dataset_id: int) -> Dataset | None:
        """Forget a dataset and return what it was, so the caller can remove the stored file."""
        async with self._db.transaction() as session:
            row = await session.scalar(
                select(DatasetRow).where(DatasetRow.id == dataset_id, DatasetRow.guild_id == guild_id)
            )
            if row is None:
                return None
            await session.delete(row)
        return _record(row)

    async def _list(self, guild_id: int, *, selected_only: bool) -> list[Dataset]:
        statement = select(DatasetRow).where(DatasetRow.guild_id == guild_id).order_by(DatasetRow.id)
        if selected_only:
            statement = statement.where(DatasetRow.selected.is_(True))
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_record(row) for row in rows]
