"""Alembic migration environment and revisions (a package so they ship with trainer_bot)."""
