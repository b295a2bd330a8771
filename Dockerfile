# trainer-bot: the bot process. Lavalink runs in its own container (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CMAKE_ARGS="-DGGML_NATIVE=OFF"

# espeak-ng: the offline speech engine, used when edge-tts is unreachable. build-essential: llama-cpp-python
# (the embedded language model) is compiled at install; GGML_NATIVE=OFF builds it for any x86-64 CPU rather
# than only for the one of the machine that builds the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies in their own layer, so a change to the source does not reinstall them: install the
# project from an empty skeleton, then drop it (the next layer installs the real one).
COPY pyproject.toml README.md LICENSE constraints.txt ./
RUN mkdir -p src/trainer_bot src/discord_sandbox \
    && touch src/trainer_bot/__init__.py src/discord_sandbox/__init__.py \
    && pip install -c constraints.txt ".[postgres]" \
    && pip uninstall -y trainer-bot \
    && rm -rf src
COPY src ./src
# The postgres extra lets DATABASE_URL point at the optional postgres service.
RUN pip install --no-deps ".[postgres]"

RUN useradd --create-home --uid 10001 trainer && mkdir -p /data && chown trainer:trainer /data
USER trainer
ENV DATA_DIR=/data
VOLUME ["/data"]
# The audio server Lavalink fetches generated speech from.
EXPOSE 8080
# Healthy while the bot's audio server answers (it starts with the bot and stops with it); without a
# Lavalink node voice is off, nothing listens, and the bot is taken as healthy while it runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, socket; (os.environ.get('LAVALINK_PASSWORD') or os.environ.get('LAVALINK_NODES')) and socket.create_connection(('127.0.0.1', int(os.environ.get('AUDIO_PORT', '8080'))), 3).close()"

CMD ["trainer-bot", "run"]
