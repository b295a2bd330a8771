"""ModelStore: versioning, atomic activation, crash leftovers, and refusing anything it did not sign."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from trainer_bot.ml import (
    InvalidVersionError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelStore,
    TrainedModel,
    train_model,
)
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.ml.store import VERSION_PATTERN

SECRET = b"0123456789abcdef-test-secret"
EXAMPLES = [
    Example("i love it", "pos"),
    Example("great stuff", "pos"),
    Example("i hate it", "neg"),
    Example("awful", "neg"),
]


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return train_model(EXAMPLES, [Pair("hello there", "hi!")])[0]


@pytest.fixture(scope="module")
def other_model() -> TrainedModel:
    return train_model([*EXAMPLES, Example("meh", "neutral")], [])[0]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "models"  # not created: the store makes it on first save


@pytest.fixture
def store(directory: Path) -> ModelStore:
    return ModelStore(directory, SECRET)


def test_save_activate_load_round_trip(store: ModelStore, model: TrainedModel) -> None:
    assert store.versions() == [] and store.active_version() is None and store.load_active() is None
    version = store.save(model)
    assert VERSION_PATTERN.fullmatch(version) and version.startswith("v0001-")
    assert store.versions() == [version] and store.active_version() is None
    store.activate(version)
    assert store.active_version() == version
    loaded = store.load_active()
    assert loaded is not None and loaded.labels == model.labels and loaded.created_at == model.created_at
    assert loaded.predict(["i love it"]) == model.predict(["i love it"])
    assert loaded.answer("hello there").response == "hi!"
    info = store.info(version)
    assert (info.labels, info.examples, info.pairs, info.created_at) == (
        ["neg", "pos"],
        4,
        1,
        model.created_at,
    )


def test_versions_are_numbered_in_order(store: ModelStore, model: TrainedModel) -> None:
    versions = [store.save(model) for _ in range(3)]
    assert [v[:5] for v in versions] == ["v0001", "v0002", "v0003"]
    assert store.versions() == versions


def test_saving_without_activating_keeps_the_previous_model_active(
    store: ModelStore, model: TrainedModel, other_model: TrainedModel
) -> None:
    first = store.save(model)
    store.activate(first)
    second = store.save(other_model)  # "crash" before activate
    assert store.versions() == [first, second]
    loaded = store.load_active()
    assert store.active_version() == first and loaded is not None and loaded.labels == ("neg", "pos")
    store.activate(second)
    loaded = store.load_active()
    assert loaded is not None and loaded.labels == ("neg", "neutral", "pos")


def test_a_crash_while_activating_leaves_the_old_pointer(
    store: ModelStore, model: TrainedModel, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.save(model)
    store.activate(first)
    second = store.save(model)

    def crash(self: Path, target: Path) -> Path:
        raise OSError("power cut")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        store.activate(second)
    monkeypatch.undo()
    assert store.active_version() == first
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == []


def test_a_crash_while_saving_leaves_the_active_model_alone(
    store: ModelStore, model: TrainedModel, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.save(model)
    store.activate(first)
    original = Path.replace
    calls: list[Path] = []

    def crash_on_model_file(self: Path, target: Path) -> Path:
        calls.append(target)
        if target.suffix == ".model":
            raise OSError("power cut")
        return original(self, target)

    monkeypatch.setattr(Path, "replace", crash_on_model_file)
    with pytest.raises(OSError, match="power cut"):
        store.save(model)
    monkeypatch.undo()
    assert [path.suffix for path in calls] == [".json", ".model"]  # the sidecar landed, the model did not
    assert store.versions() == [first] and store.active_version() == first
    assert store.load_active() is not None


def test_leftovers_of_an_interrupted_save_are_ignored(
    store: ModelStore, model: TrainedModel, directory: Path
) -> None:
    first = store.save(model)
    (directory / ".tmp-0badc0de-v0002-20260101T000000.model").write_bytes(b"half a pick")  # died mid-write
    (directory / "v0002-20260101T000000.json").write_text("{}")  # sidecar landed, model did not
    assert store.versions() == [first]
    with pytest.raises(ModelNotFoundError):
        store.load("v0002-20260101T000000")
    assert store.save(model).startswith("v0003-")  # the orphan's number is not reused


def test_a_tampered_model_is_refused(store: ModelStore, model: TrainedModel, directory: Path) -> None:
    version = store.save(model)
    path = directory / f"{version}.model"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="integrity check"):
        store.load(version)


@pytest.mark.parametrize("forged", ["", "zz", "é" * 64, 12345, None])
def test_a_forged_signature_is_refused(
    store: ModelStore, model: TrainedModel, directory: Path, forged: object
) -> None:
    version = store.save(model)
    path = directory / f"{version}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "hmac": forged}))
    with pytest.raises(ModelIntegrityError):
        store.load(version)


def test_a_truncated_model_or_a_wrong_key_is_refused(
    store: ModelStore, model: TrainedModel, directory: Path
) -> None:
    version = store.save(model)
    with pytest.raises(ModelIntegrityError):
        ModelStore(directory, b"another-secret-of-16+bytes").load(version)
    path = directory / f"{version}.model"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelIntegrityError):
        store.load(version)


def test_a_renamed_model_is_refused(store: ModelStore, model: TrainedModel, directory: Path) -> None:
    """The signature covers the version id, so an old model cannot pose as a newer one."""
    version = store.save(model)
    renamed = "v0009-20300101T000000"
    for suffix in (".model", ".json"):
        (directory / f"{renamed}{suffix}").write_bytes((directory / f"{version}{suffix}").read_bytes())
    assert renamed in store.versions()
    with pytest.raises(ModelIntegrityError):
        store.load(renamed)


class _Payload:
    """A pickle that runs code when loaded; it must never be."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (_write_marker, (str(self.marker), "pwned"))


def _write_marker(path: str, text: str) -> None:
    Path(path).write_text(text)


def test_a_foreign_file_is_never_unpickled(
    store: ModelStore, model: TrainedModel, directory: Path, tmp_path: Path
) -> None:
    good = store.save(model)
    marker = tmp_path / "marker"
    foreign = "v0002-20260101T000000"
    payload = pickle.dumps(_Payload(marker))
    (directory / f"{foreign}.model").write_bytes(payload)
    sidecar = json.loads((directory / f"{good}.json").read_text())
    (directory / f"{foreign}.json").write_text(
        json.dumps({**sidecar, "size": len(payload), "hmac": "00" * 32})
    )
    (directory / "evil.pkl").write_bytes(payload)
    assert store.versions() == [good, foreign]
    store.activate(foreign)
    with pytest.raises(ModelIntegrityError):
        store.load_active()
    with pytest.raises(ModelIntegrityError):
        store.load(foreign)
    assert not marker.exists()


def test_a_symlinked_model_is_refused(
    store: ModelStore, model: TrainedModel, directory: Path, tmp_path: Path
) -> None:
    version = store.save(model)
    path = directory / f"{version}.model"
    outside = tmp_path / "outside.model"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    with pytest.raises(ModelIntegrityError):
        store.load(version)


@pytest.mark.parametrize(
    "version",
    [
        "../x",
        "/etc/passwd",
        "v0001-20260101T000000/../../x",
        "v0001-20260101T000000.model",
        "",
        "v1-2026",
        "ACTIVE",
    ],
)
def test_bad_version_strings_are_refused(store: ModelStore, version: str) -> None:
    for call in (store.load, store.activate, store.info):
        with pytest.raises(InvalidVersionError):
            call(version)


def test_unknown_versions_are_not_found(store: ModelStore) -> None:
    with pytest.raises(ModelNotFoundError):
        store.activate("v0042-20260101T000000")


def test_a_malformed_active_pointer_is_an_integrity_error(
    store: ModelStore, model: TrainedModel, directory: Path
) -> None:
    store.save(model)
    (directory / "ACTIVE").write_text("../../etc/passwd\n")
    with pytest.raises(ModelIntegrityError, match="ACTIVE"):
        store.load_active()


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ModelStore(tmp_path, b"short")


def test_files_are_written_with_no_leftovers(store: ModelStore, model: TrainedModel, directory: Path) -> None:
    version = store.save(model)
    store.activate(version)
    names = sorted(path.name for path in directory.iterdir())
    assert names == ["ACTIVE", f"{version}.json", f"{version}.model"]


def test_tidy_removes_crash_leftovers_and_old_versions_but_never_the_active_one(
    store: ModelStore, model: TrainedModel, directory: Path
) -> None:
    versions = [store.save(model) for _ in range(4)]
    store.activate(versions[0])  # an old version may be the active one
    (directory / ".tmp-0123abcd-v0009-20261201T000000.model").write_bytes(b"half a model")
    orphan = "v0008-20261201T000000.json"
    (directory / orphan).write_text("{}")  # a sidecar whose model never landed
    removed = store.tidy(keep=2, protect={versions[0]})
    assert ".tmp-0123abcd-v0009-20261201T000000.model" in removed and orphan in removed
    assert store.versions() == [versions[0], versions[2], versions[3]]
    assert store.load(versions[0]) is not None and store.active_version() == versions[0]
    assert store.tidy(keep=2, protect={versions[0]}) == []  # nothing more to do
