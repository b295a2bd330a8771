"""/export's file: chat fine-tuning JSONL, one conversation per taught prompt, the answer given today."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from trainer_bot.chat.export import FILENAME, fine_tuning_export
from trainer_bot.chat.grounding import Material


def test_each_prompt_once_with_the_correction_winning() -> None:
    material = [
        Material("correction", "Capital of France?", "Paris."),
        Material("taught", "capital of  france?", "Lyon."),  # corrected above
        Material("taught", "Столица Германии?", "Берлин."),
        Material("liked", "hello", "Hi there!"),
        Material("liked", "empty", " "),
    ]
    export = fine_tuning_export("Be brief.", material, size_limit=10_000)
    assert export.filename == FILENAME and export.conversations == 3
    lines = [json.loads(line) for line in export.data.decode().splitlines()]
    assert lines[0] == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
        ]
    }
    assert lines[1]["messages"][2]["content"] == "Берлин."  # kept as written, not \\u-escaped
    assert "Берлин" in export.data.decode()


def test_too_big_for_a_file_is_zipped_and_then_refused() -> None:
    material = [Material("taught", f"question {n}", "the same answer " * 20) for n in range(400)]
    zipped = fine_tuning_export("p", material, size_limit=20_000)
    assert zipped.filename == FILENAME + ".zip"
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        assert len(archive.read(FILENAME).decode().splitlines()) == 400
    with pytest.raises(ValueError, match="400 conversations"):
        fine_tuning_export("p", material, size_limit=500)
