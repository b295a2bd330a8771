"""The settings choose the engine; choosing one neither loads a model nor imports the other engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from trainer_bot.config import Settings
from trainer_bot.llm.embedded import EmbeddedModel
from trainer_bot.llm.factory import language_model_for
from trainer_bot.llm.remote import OpenAICompatibleModel


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_off_is_no_model() -> None:
    assert language_model_for(settings(llm="off")) is None


def test_embedded_is_the_bundled_smollm2_by_default_and_another_gguf_when_named(tmp_path: Path) -> None:
    model = language_model_for(settings(llm="embedded"))
    assert isinstance(model, EmbeddedModel) and model.name == "embedded SmolLM2-135M-Instruct.Q4_1.gguf"
    other = language_model_for(settings(llm="embedded", llm_model=str(tmp_path / "qwen.gguf")))
    assert other is not None and other.name == "embedded qwen.gguf"


def test_url_is_the_named_model_on_that_server_and_its_name_shows_no_secret() -> None:
    model = language_model_for(
        settings(
            llm="url",
            llm_url="http://user:pass@ollama.internal:11434/v1",
            llm_model="qwen2.5:0.5b",
            llm_api_key=SecretStr("sk-secret"),
        )
    )
    assert isinstance(model, OpenAICompatibleModel)
    assert model.name == "qwen2.5:0.5b at ollama.internal"


def test_choosing_an_engine_imports_only_that_engine() -> None:
    code = (
        "import sys\n"
        "from trainer_bot.config import Settings\n"
        "from trainer_bot.llm.factory import language_model_for\n"
        "language_model_for(Settings(_env_file=None, llm='{llm}', llm_url='http://h/v1', llm_model='m'))\n"
        "print('llama_cpp' in sys.modules, 'openai' in sys.modules)\n"
    )
    seen = {
        llm: subprocess.run(
            [sys.executable, "-c", code.format(llm=llm)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
        for llm in ("embedded", "url", "off")
    }
    # The embedded engine imports llama.cpp only when it loads the model, in its own thread.
    assert seen == {"embedded": ["False", "False"], "url": ["False", "True"], "off": ["False", "False"]}
