"""Model files changed on disk: every one is refused before anything in it runs, and reported once."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer_bot.layout import DataLayout
from trainer_bot.ml import train_model
from trainer_bot.ml.examples import Example
from trainer_bot.storage import Database, ModelVersionRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.workspace.paths import Workspaces

GUILD = 10
KEY = b"k" * 32


class Boom:
    """Unpickling this would create a file: proof that untrusted bytes ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str, str]]:
        return (os.system, (f"touch {self.marker}",))


def tamperings(marker: Path) -> dict[str, Callable[[Path, Path], None]]:
    def swap_model(model: Path, sidecar: Path) -> None:
        payload = pickle.dumps(Boom(marker))
        model.write_bytes(payload)
        meta = json.loads(sidecar.read_text())
        sidecar.write_text(json.dumps(meta | {"size": len(payload)}))

    return {
        "truncated model": lambda model, sidecar: model.write_bytes(model.read_bytes()[:100]),
        "flipped byte": lambda model, sidecar: model.write_bytes(model.read_bytes()[:-1] + b"\x01"),
        "empty model": lambda model, sidecar: model.write_bytes(b""),
        "malicious pickle": swap_model,
        "garbage sidecar": lambda model, sidecar: sidecar.write_bytes(b"\xff\xfe not json"),
        "sidecar says 1 TB": lambda model, sidecar: sidecar.write_text(
            json.dumps(json.loads(sidecar.read_text()) | {"size": 10**12})
        ),
        "forged hmac": lambda model, sidecar: sidecar.write_text(
            json.dumps(json.loads(sidecar.read_text()) | {"hmac": "0" * 64})
        ),
        "model is a link": lambda model, sidecar: (model.unlink(), model.symlink_to("/etc/passwd")),
        "missing model": lambda model, sidecar: model.unlink(),
    }


@pytest.mark.parametrize("how", list(tamperings(Path("/x"))))
async def test_a_tampered_model_is_refused_and_nothing_in_it_runs(tmp_path: Path, how: str) -> None:
    marker = tmp_path / "pwned"
    layout = DataLayout(tmp_path / "data")
    layout.ensure()
    database = Database.from_url(layout.default_database_url)
    await database.migrate()
    workspaces = Workspaces(layout)
    writer = ActiveModels(workspaces, ModelVersionRepository(database), KEY)
    model, _ = train_model([Example("good", "positive"), Example("bad", "negative")] * 3, [])
    version = writer.store(GUILD).save(model)
    await writer.publish(GUILD, model, version, job_id=None, metrics={})
    folder = workspaces.for_guild(GUILD).models_dir
    tamperings(marker)[how](folder / f"{version}.model", folder / f"{version}.json")

    restarted = ActiveModels(workspaces, ModelVersionRepository(database), KEY)
    assert await restarted.current(GUILD) is None
    assert restarted.refused(GUILD) == version
    assert not marker.exists(), "bytes from the file were unpickled"
    await database.close()
