"""Test-run rows: how a model scored on held-out examples, with the examples it got wrong."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import Misclassified, TestRun
from trainer_bot.storage.tables import MisclassifiedRow, TestRunRow


def _record(row: TestRunRow) -> TestRun:
    return TestRun(
        id=row.id,
        guild_id=row.guild_id,
        requested_by=row.requested_by,
        model_version=row.model_version,
        items=row.items,
        accuracy=row.accuracy,
        macro_f1=row.macro_f1,
        created_at=row.created_at,
    )


class TestRunRepository:
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        guild_id: int,
        requested_by: int,
        model_version: str,
        items: int,
        accuracy: float | None,
        macro_f1: float | None,
        misclassified: Sequence[Misclassified] = (),
    ) -> TestRun:
        """Store a run and its misclassified examples together: a run is never half-recorded."""
        row = TestRunRow(
            guild_id=guild_id,
            requested_by=requested_by,
            model_version=model_version,
            items=items,
            accuracy=accuracy,
            macro_f1=macro_f1,
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            session.add(row)
            await session.flush()
            if misclassified:
                await session.execute(
                    insert(MisclassifiedRow),
                    [
                        {
                            "test_run_id": row.id,
                            "guild_id": guild_id,
                            "text": example.text,
                            "expected": example.expected,
                            "predicted": example.predicted,
                            "confidence": example.confidence,
                        }
                        for example in misclassified
                    ],
                )
        return _record(row)

    async def latest(self, guild_id: int) -> TestRun | None:
        statement = (
            select(TestRunRow).where(TestRunRow.guild_id == guild_id).order_by(TestRunRow.id.desc()).limit(1)
        )
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _record(row)

    async def misclassified(self, guild_id: int, test_run_id: int, limit: int = 50) -> list[Misclassified]:
        """The run's mistakes in the order the tester stored them (it decides what matters most)."""
        statement = (
            select(MisclassifiedRow)
            .where(MisclassifiedRow.test_run_id == test_run_id, MisclassifiedRow.guild_id == guild_id)
            .order_by(MisclassifiedRow.id)
            .limit(limit)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [Misclassified(row.text, row.expected, row.predicted, row.confidence) for row in rows]
