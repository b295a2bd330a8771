"""Errors raised by the ML service.

`TrainingError` and `NotTrainedError` are refusals a member can act on, so they are `UserError`s and
their text is shown as-is. `ModelIntegrityError` is not: it means a file in the models folder was not
written by this bot (or was damaged), which is for the operator's logs, not for members.
"""

from __future__ import annotations

from trainer_bot.errors import UserError


class TrainingError(UserError):
    """Training was refused; the message says what the member should add or change."""


class NotTrainedError(UserError):
    """The model lacks the part a command needs (e.g. a classifier when only pairs were trained)."""


class ModelStoreError(Exception):
    """Base class for problems with the on-disk model store."""


class InvalidVersionError(ModelStoreError, ValueError):
    """A version string that does not match the strict version format (guards against path tricks)."""


class ModelNotFoundError(ModelStoreError, LookupError):
    """No saved model with that version."""


class ModelIntegrityError(ModelStoreError):
    """A model file failed its HMAC check (tampered, truncated or foreign) and was not unpickled."""
