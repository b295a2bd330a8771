"""How msgids are found in the source: the one list of keywords, shared by pybabel and the catalogue test."""

from __future__ import annotations

# Babel keyword specs: `t(msgid)`, `tn(singular, plural, count)`, `command_text(name or description)`.
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "tn": (1, 2), "command_text": None}

# The commands that bring the catalogues in step with the source, run from the repository's root.
EXTRACT = (
    "pybabel extract -F babel.cfg --no-default-keywords -k t -k tn:1,2 -k command_text "
    "--add-location=file --sort-by-file --project=trainer-bot -o src/trainer_bot/locales/trainer_bot.pot src/trainer_bot"
)
UPDATE = "pybabel update -D trainer_bot -i src/trainer_bot/locales/trainer_bot.pot -d src/trainer_bot/locales"
COMPILE = "pybabel compile -D trainer_bot -d src/trainer_bot/locales --statistics"
