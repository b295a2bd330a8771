# trainer-bot: the bot process. Lavalink runs in its own container (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# espeak-ng: the offline speech engine, used when edge-tts is unreachable.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# The postgres extra lets DATABASE_URL point at the optional postgres service.
RUN pip install ".[postgres]"

RUN useradd --create-home --uid 10001 trainer && mkdir -p /data && chown trainer:trainer /data
USER trainer
ENV DATA_DIR=/data
VOLUME ["/data"]
# The audio server Lavalink fetches generated speech from.
EXPOSE 8080

CMD ["trainer-bot", "run"]
