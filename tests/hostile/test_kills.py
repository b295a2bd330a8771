"""Training killed at each of its steps (SIGKILL, as a crash or an OOM kill): after a restart nothing
acknowledged is lost, nothing half-written is used, every job has an honest state, training works."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from trainer_bot.layout import DataLayout
from trainer_bot.storage import Database, DatasetRepository, JobRepository, JobStatus, ModelVersionRepository
from trainer_bot.training.active_models import ActiveModels, signing_key
from trainer_bot.training.jobs import JobRunner
from trainer_bot.workspace.paths import Workspaces

from .train_and_die import GUILD

SCRIPT = Path(__file__).with_name("train_and_die.py")
STEPS = [
    "starting",
    "registered",
    "running starting",
    "running fitting",
    "running evaluating",
    "running final fit",
    "running saving the model",
    "finished",
]


async def run_until(data_dir: Path, step: str, examples: int = 6000) -> list[str]:
    """Start a training in a child process and kill it the moment `step` is reported."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), str(data_dir), str(examples), stdout=asyncio.subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(120):
            while line := (await child.stdout.readline()).decode().strip():
                seen.append(line)
                if line.startswith(f"step {step}"):
                    break
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGKILL)
        await child.wait()
    return seen


@pytest.mark.parametrize("step", STEPS)
async def test_a_kill_at_any_step_leaves_a_consistent_guild(tmp_path: Path, step: str) -> None:
    data_dir = tmp_path / "data"
    await run_until(data_dir, "finished", examples=400)  # a first model, which must survive
    seen = await run_until(data_dir, step)
    assert any(line.startswith(f"step {step}") for line in seen), seen

    # The restart: what the bot does at start, then a look at everything.
    layout = DataLayout(data_dir)
    database = Database.from_url(layout.default_database_url)
    await database.migrate()
    workspaces = Workspaces(layout)
    versions = ModelVersionRepository(database)
    models = ActiveModels(workspaces, versions, signing_key(layout.signing_key_file))
    jobs = JobRepository(database)
    runner = JobRunner(jobs)
    await runner.start()
    await models.tidy_all()
    try:
        workspace = workspaces.for_guild(GUILD)
        leftovers = [p.name for p in workspace.root.rglob("*") if p.name.startswith((".tmp-", ".partial-"))]
        assert leftovers == []
        for dataset in await DatasetRepository(database).list_for_guild(GUILD):
            assert (workspace.root / dataset.path).is_file(), "a dataset row points at a missing file"
        active = await versions.active(GUILD)
        assert active is not None, "the first model was lost"
        current = await models.current(GUILD)
        assert current is not None and current[0] == active.version and models.refused(GUILD) is None
        for job in await jobs.recent(GUILD):
            assert job.status.finished
            if job.status is JobStatus.SUCCEEDED:
                assert job.model_version is not None and await versions.get(GUILD, job.model_version)
            else:
                assert job.error == "interrupted"
        latest = (await jobs.recent(GUILD, limit=1))[0]
        if latest.status is JobStatus.SUCCEEDED:
            assert active.version == latest.model_version  # a job that says it succeeded is live
    finally:
        await runner.close()
        await database.close()
    # And the guild trains again.
    assert any("finished succeeded" in line for line in await run_until(data_dir, "finished", examples=400))
