"""Run by test_kills in a child process: start training in DATA_DIR and report each step on stdout.

The parent kills this process (SIGKILL) when a chosen step appears, as a crash or an OOM kill would.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from trainer_bot.layout import DataLayout
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    JobRepository,
    ModelVersionRepository,
    TrainingJob,
)
from trainer_bot.training.active_models import ActiveModels, signing_key
from trainer_bot.training.catalog import DatasetCatalog, UploadedFile
from trainer_bot.training.jobs import JobRunner
from trainer_bot.training.parsing import DatasetLimits
from trainer_bot.training.service import TrainingRequest, TrainingService
from trainer_bot.workspace.paths import Workspaces

GUILD, USER = 10, 20


def dataset(examples: int) -> bytes:
    words = ["great", "awful", "lovely", "cold", "friendly", "rude", "tasty", "slow"]
    rows = [
        f"{words[n % 8]} meal number {n} {words[(n * 3) % 8]},{'positive' if n % 2 else 'negative'}"
        for n in range(examples)
    ]
    return ("text,label\n" + "\n".join(rows) + "\n").encode()


async def main(data_dir: Path, examples: int) -> None:
    layout = DataLayout(data_dir)
    layout.ensure()
    database = Database.from_url(layout.default_database_url)
    await database.migrate()
    workspaces = Workspaces(layout)
    models = ActiveModels(workspaces, ModelVersionRepository(database), signing_key(layout.signing_key_file))
    jobs = JobRepository(database)
    runner = JobRunner(jobs, progress_interval=0.0)
    await runner.start()
    catalog = DatasetCatalog(DatasetRepository(database), workspaces, DatasetLimits())
    training = TrainingService(catalog, runner, jobs, models, ConversationRepository(database))

    async def on_update(job: TrainingJob) -> None:
        print(f"step {job.status.value} {job.stage}", flush=True)

    print("step starting", flush=True)
    job = await training.start(
        TrainingRequest(GUILD, USER, None, upload=UploadedFile("meals.csv", dataset(examples))), on_update
    )
    print("step registered", flush=True)
    final = await runner.wait(job.id)
    print(f"step finished {final.status.value}", flush=True)
    await runner.close()
    await database.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
