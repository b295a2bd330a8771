"""Versioned, integrity-checked models on disk (one store per guild's `models/` folder).

Layout, all inside `models_dir`::

    v0003-20261122T101500.model   the pickled TrainedModel
    v0003-20261122T101500.json    sidecar: metadata + HMAC-SHA256 of (version, model bytes)
    ACTIVE                        the active version id, one line

Security: unpickling runs arbitrary code, so only files this bot wrote are ever loaded. `save` signs
every model with the bot's secret key and `load` verifies the signature *before* unpickling, on the
very bytes it then unpickles (no window to swap the file in between). The signature covers the version
id too, so renaming an older model to a newer name fails the check. Version ids are matched against a
strict pattern before they are joined to any path. The sidecar's other metadata is not signed: it is
for listings only, and the loaded model carries its own (signed) metadata.

Crash safety: every file is written under a temporary dot-name, fsynced, then `os.replace`d into
place; the sidecar goes first and the model file last, so a version exists (see `versions`) only once
both are complete. `ACTIVE` is only rewritten by `activate`, so a crash anywhere in `save`, or
between `save` and `activate`, leaves the previously active model in use.

Thread-safety: one `ModelStore` per folder and process; `save`/`activate` take a lock, and loading
is blocking (run it in a worker thread).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import re
import secrets
import stat
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainer_bot.fileio import READ_NO_FOLLOW
from trainer_bot.ml.errors import InvalidVersionError, ModelIntegrityError, ModelNotFoundError
from trainer_bot.ml.model import TrainedModel

VERSION_PATTERN = re.compile(r"v(?P<number>[0-9]{4,9})-[0-9]{8}T[0-9]{6}")
ACTIVE_FILE = "ACTIVE"
MIN_SECRET_BYTES = 16
_MODEL_SUFFIX = ".model"
_TEMPORARY_PREFIX = ".tmp-"
_META_SUFFIX = ".json"
_FORMAT = 1
_MAC_CONTEXT = b"trainer-bot model v1\x00"  # domain separation: this key may sign other things too
_MAX_SMALL_FILE = 1024 * 1024  # sidecars and ACTIVE are tiny; refuse to read anything bigger


@dataclass(frozen=True)
class ModelInfo:
    """Unsigned listing metadata from a sidecar (display only; `load` re-checks everything)."""

    version: str
    created_at: datetime
    labels: list[str]
    examples: int
    pairs: int
    size: int
    sklearn_version: str


class ModelStore:
    def __init__(self, models_dir: Path, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the model signing secret must be at least {MIN_SECRET_BYTES} bytes")
        self._dir = models_dir
        self._secret = secret
        self._lock = threading.Lock()

    # Writing

    def save(self, model: TrainedModel) -> str:
        """Write `model` as a new version (not activated) and return its id."""
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._dir.mkdir(parents=True, exist_ok=True)
            version = self._next_version()
            sidecar = self._sidecar(model, version, payload)
            self._write_atomic(self._dir / (version + _META_SUFFIX), sidecar)
            self._write_atomic(self._dir / (version + _MODEL_SUFFIX), payload)  # last: the commit point
        return version

    def activate(self, version: str) -> None:
        """Point `ACTIVE` at an existing version, atomically."""
        with self._lock:
            self._require(version)
            self._write_atomic(self._dir / ACTIVE_FILE, f"{version}\n".encode())

    def tidy(self, *, keep: int, protect: Collection[str] = ()) -> list[str]:
        """Remove what a crash left behind (temporary parts, sidecars whose model never landed) and every
        version but the newest `keep`, never one in `protect` (the active one). Returns the removed
        file names. Blocking."""
        if keep < 1:
            raise ValueError("keep at least one version")
        removed: list[str] = []
        with self._lock:
            if not self._dir.is_dir():
                return removed
            names = {path.name for path in self._dir.iterdir()}
            for name in sorted(names):
                stem = name.removesuffix(_META_SUFFIX)
                orphan = (
                    name.endswith(_META_SUFFIX) and _is_version(stem) and stem + _MODEL_SUFFIX not in names
                )
                if name.startswith(_TEMPORARY_PREFIX) or orphan:
                    (self._dir / name).unlink(missing_ok=True)
                    removed.append(name)
            old = [version for version in self.versions()[:-keep] if version not in protect]
            for version in old:
                for suffix in (_MODEL_SUFFIX, _META_SUFFIX):  # the model first: it is what makes a version
                    (self._dir / (version + suffix)).unlink(missing_ok=True)
                    removed.append(version + suffix)
        return removed

    # Reading

    def versions(self) -> list[str]:
        """Complete versions (model and sidecar both present), oldest first."""
        if not self._dir.is_dir():
            return []
        names = {path.name for path in self._dir.iterdir()}
        found = [
            name.removesuffix(_MODEL_SUFFIX)
            for name in names
            if name.endswith(_MODEL_SUFFIX) and _is_version(name.removesuffix(_MODEL_SUFFIX))
        ]
        return sorted((v for v in found if v + _META_SUFFIX in names), key=lambda v: (_version_number(v), v))

    def active_version(self) -> str | None:
        path = self._dir / ACTIVE_FILE
        if not path.exists():
            return None
        version = _read_small(path).decode("ascii", errors="replace").strip()
        if not _is_version(version):
            raise ModelIntegrityError(f"the {ACTIVE_FILE} pointer in {self._dir.name}/ is malformed")
        return version

    def load(self, version: str) -> TrainedModel:
        """Verify and unpickle one version. Blocking; raises ModelIntegrityError/ModelNotFoundError."""
        self._require(version)
        sidecar = self._read_sidecar(version)
        payload = _read_exact(self._dir / (version + _MODEL_SUFFIX), _int_field(sidecar, "size", version))
        expected = str(sidecar.get("hmac", "")).encode()  # bytes: compare_digest rejects non-ASCII str
        if not hmac.compare_digest(expected, self._mac(version, payload).encode()):
            raise ModelIntegrityError(f"model {version} failed its integrity check and was not loaded")
        model = pickle.loads(payload)  # safe: these exact bytes were signed by this bot
        if not isinstance(model, TrainedModel):
            raise ModelIntegrityError(f"model {version} does not contain a trained model")
        return model

    def load_active(self) -> TrainedModel | None:
        version = self.active_version()
        return None if version is None else self.load(version)

    def info(self, version: str) -> ModelInfo:
        self._require(version)
        meta = self._read_sidecar(version)
        try:
            return ModelInfo(
                version=version,
                created_at=datetime.fromisoformat(str(meta["created_at"])),
                labels=[str(label) for label in meta["labels"]],
                examples=int(meta["examples"]),
                pairs=int(meta["pairs"]),
                size=int(meta["size"]),
                sklearn_version=str(meta["sklearn_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"the metadata of model {version} is malformed") from exc

    # Internals

    def _require(self, version: str) -> None:
        """Validate the id *before* it touches a path, then check that both of its files exist."""
        if not _is_version(version):
            raise InvalidVersionError(f"not a model version: {version!r}")
        files = (self._dir / (version + _MODEL_SUFFIX), self._dir / (version + _META_SUFFIX))
        if not all(path.is_file() for path in files):
            raise ModelNotFoundError(f"no saved model {version}")

    def _next_version(self) -> str:
        # Orphans (a sidecar whose model never landed) count too, so a number is never reused.
        numbers = [
            _version_number(path.name.split(".", 1)[0])
            for path in self._dir.iterdir()
            if _is_version(path.name.split(".", 1)[0])
        ]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return f"v{max(numbers, default=0) + 1:04d}-{stamp}"

    def _sidecar(self, model: TrainedModel, version: str, payload: bytes) -> bytes:
        meta = {
            "format": _FORMAT,
            "version": version,
            "created_at": model.created_at.isoformat(),
            "labels": list(model.labels),
            "examples": model.examples,
            "pairs": model.pairs,
            "size": len(payload),
            "sklearn_version": _sklearn_version(),
            "hmac": self._mac(version, payload),
        }
        return json.dumps(meta, ensure_ascii=False, indent=2).encode()

    def _read_sidecar(self, version: str) -> dict[str, Any]:
        try:
            meta = json.loads(_read_small(self._dir / (version + _META_SUFFIX)))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ModelIntegrityError(f"the metadata of model {version} is unreadable") from exc
        if not isinstance(meta, dict):
            raise ModelIntegrityError(f"the metadata of model {version} is malformed")
        return meta

    def _mac(self, version: str, payload: bytes) -> str:
        digest = hmac.new(self._secret, _MAC_CONTEXT + version.encode("ascii") + b"\x00", hashlib.sha256)
        digest.update(payload)
        return digest.hexdigest()

    def _write_atomic(self, target: Path, data: bytes) -> None:
        temporary = self._dir / f"{_TEMPORARY_PREFIX}{secrets.token_hex(8)}-{target.name}"
        try:
            with temporary.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(target)  # os.replace: atomic on POSIX and Windows
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self._dir)  # make the rename itself durable


def _sklearn_version() -> str:
    from sklearn import __version__  # loaded by the model being saved anyway; not at the bot's start

    return str(__version__)


def _is_version(text: str) -> bool:
    return VERSION_PATTERN.fullmatch(text) is not None


def _version_number(version: str) -> int:
    match = VERSION_PATTERN.fullmatch(version)
    return int(match["number"]) if match else 0


def _int_field(meta: dict[str, Any], key: str, version: str) -> int:
    value = meta.get(key)
    if not isinstance(value, int) or value < 0:
        raise ModelIntegrityError(f"the metadata of model {version} is malformed")
    return value


def _read_small(path: Path) -> bytes:
    return _read_exact(path, None)


def _read_exact(path: Path, size: int | None) -> bytes:
    """Read a regular file (never through a symlink): exactly `size` bytes, or a small file whole."""
    try:
        fd = os.open(path, READ_NO_FOLLOW)
    except OSError as exc:
        raise ModelIntegrityError(f"cannot open {path.name}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        wrong_size = status.st_size > _MAX_SMALL_FILE if size is None else status.st_size != size
        if not stat.S_ISREG(status.st_mode) or wrong_size:
            raise ModelIntegrityError(f"{path.name} is not a file this bot wrote")
        data = handle.read(status.st_size)
    if len(data) != status.st_size:  # shrank while reading
        raise ModelIntegrityError(f"{path.name} changed while it was read")
    return data


def _fsync_directory(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open directories; its renames are durable enough
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
