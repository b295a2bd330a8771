"""Pieces the training messages are built from: layouts of several messages, and the names of job stages
and statuses, which the database keeps in English and members read in their own language."""

from __future__ import annotations

from trainer_bot.i18n import Message, Number, t
from trainer_bot.storage import JobStatus
from trainer_bot.storage.repositories.jobs import INTERRUPTED
from trainer_bot.training import stored
from trainer_bot.training.jobs import INTERNAL_ERROR, NO_REASON

Part = Message | Number | str


def joined(parts: list[Part], separator: str = "") -> Message:
    """The parts one after another, each rendered in the member's language.

    The layout itself has nothing to translate, so it is a `Message` no catalogue lists: gettext gives an
    unknown msgid back unchanged, and only its `{part0}`… fields are filled in. (Built directly rather than
    with `t`, so the extractor never asks translators for it.)
    """
    if not parts:  # an empty msgid would render as the catalogue's header
        return Message("{nothing}", params=(("nothing", ""),))
    names = [f"part{index}" for index in range(len(parts))]
    layout = separator.replace("{", "{{").replace("}", "}}").join(f"{{{name}}}" for name in names)
    return Message(layout, params=tuple(zip(names, parts, strict=True)))


def lines(parts: list[Part]) -> Message:
    """The parts on lines of their own."""
    return joined(parts, "\n")


# What `progress(fraction, stage)` callers and the job runner name the stages; the rows keep these keys.
STAGES: dict[str, Message] = {
    "starting": t("starting"),
    "preparing": t("preparing"),
    "fitting": t("fitting"),
    "evaluating": t("evaluating"),
    "final fit": t("final fit"),
    "fitting responder": t("fitting responder"),
    "comparing with the active model": t("comparing with the active model"),
    "saving the model": t("saving the model"),
    "done": t("done"),
    "cancelled": t("cancelled"),
}

STATUSES: dict[JobStatus, Message] = {
    JobStatus.QUEUED: t("queued"),
    JobStatus.RUNNING: t("running"),
    JobStatus.SUCCEEDED: t("succeeded"),
    JobStatus.FAILED: t("failed"),
    JobStatus.CANCELLED: t("cancelled"),
}


def stage_text(stage: str) -> Message | str:
    """A stored stage in the member's language; a stage this list does not know is shown as it was stored."""
    return STAGES.get(stage, stage)


def status_text(status: JobStatus) -> Message:
    return STATUSES[status]


# The runner's own reasons, stored in English like the stages.
_KNOWN_ERRORS: dict[str, Message] = {
    INTERNAL_ERROR: t("internal error"),
    NO_REASON: t("the job failed"),
    INTERRUPTED: t("interrupted"),
}


def error_text(error: str | None) -> Message | str:
    """A failed job's stored error in the member's language: one of the runner's own reasons, a message
    kept by `stored.to_text`, or otherwise the text as it was stored."""
    if error is None:
        return t("unknown error")
    return _KNOWN_ERRORS.get(error) or stored.from_text(error)
