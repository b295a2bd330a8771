"""/export: what a guild taught, as chat fine-tuning data a community can take to train a real model.

The format is OpenAI's chat fine-tuning JSONL, one conversation per line,
`{"messages": [{"role": "system", ...}, {"role": "user", ...}, {"role": "assistant", ...}]}`, which most
fine-tuning tools read (OpenAI, Axolotl, Unsloth, TRL's SFT trainer). Each taught prompt appears once,
with the answer the bot would give today: a correction beats the pair it corrects, and a liked answer
only adds prompts nothing else covers.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from trainer_bot.chat.grounding import Material

FILENAME = "fine-tuning.jsonl"
_PRECEDENCE = {"correction": 0, "taught": 1, "liked": 2}


@dataclass(frozen=True)
class Export:
    data: bytes
    filename: str
    conversations: int


def fine_tuning_export(persona: str, material: Iterable[Material], *, size_limit: int) -> Export:
    """The JSONL, zipped when that is what fits under `size_limit`; raises ValueError when nothing does."""
    chosen: dict[str, Material] = {}
    for item in sorted(material, key=lambda m: _PRECEDENCE[m.kind]):
        key = " ".join(item.prompt.lower().split())
        if key and item.answer.strip() and key not in chosen:
            chosen[key] = item
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": persona},
                    {"role": "user", "content": item.prompt},
                    {"role": "assistant", "content": item.answer},
                ]
            },
            ensure_ascii=False,
        )
        for item in chosen.values()
    ]
    data = ("\n".join(lines) + "\n").encode() if lines else b""
    if len(data) <= size_limit:
        return Export(data, FILENAME, len(lines))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(FILENAME, data)
    if packed.tell() > size_limit:
        raise ValueError(f"{len(lines)} conversations do not fit in one file even zipped")
    return Export(packed.getvalue(), FILENAME + ".zip", len(lines))
