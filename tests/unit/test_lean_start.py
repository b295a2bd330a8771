"""The bot starts without the heavy libraries: they load where a feature first needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "sklearn",
    "scipy",
    "numpy",
    "av",
    "matplotlib",
    "faster_whisper",
    "ctranslate2",
    "llama_cpp",
    "openai",
)


def test_importing_the_bot_loads_no_heavy_library() -> None:
    code = f"import sys, trainer_bot.app, trainer_bot.cli; print(*[m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []


def test_finding_the_bundled_language_model_imports_neither_llm_nor_llama_cpp() -> None:
    code = (
        "import sys\nfrom trainer_bot.llm.embedded import bundled_model_path\n"
        "assert bundled_model_path().is_file()\nprint('llm' in sys.modules, 'llama_cpp' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]
