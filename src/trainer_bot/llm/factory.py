"""The engine the settings ask for."""

from __future__ import annotations

from pathlib import Path

from trainer_bot.config import Settings
from trainer_bot.llm.engine import LanguageModel


def language_model_for(settings: Settings) -> LanguageModel | None:
    """None with LLM=off. Nothing is loaded or connected yet: the embedded model loads at its first answer
    (or `load()`), the client connects at its first request."""
    # Imported per branch: the embedded engine pulls in llama.cpp, the remote one the OpenAI client, and a
    # bot uses one of them.
    if settings.llm == "off":
        return None
    if settings.llm == "url":
        from trainer_bot.llm.remote import OpenAICompatibleModel

        assert settings.llm_url is not None and settings.llm_model is not None  # the settings' own rule
        return OpenAICompatibleModel(
            settings.llm_url,
            settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            timeout=settings.llm_timeout_seconds,
        )
    from trainer_bot.llm.embedded import EmbeddedModel

    return EmbeddedModel(
        Path(settings.llm_model).expanduser() if settings.llm_model else None,
        threads=settings.llm_threads,
        context_tokens=settings.llm_context_tokens,
        timeout=settings.llm_timeout_seconds,
    )
