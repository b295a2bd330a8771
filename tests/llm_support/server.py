"""llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`) serving the bundled SmolLM2 on
127.0.0.1: the real server behind `LLM=url`, for the engine's tests and the bot's end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from trainer_bot.llm.embedded import bundled_model_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_llama_server(context_tokens: int = 2048) -> tuple[subprocess.Popen[bytes], str]:
    """The server and its base URL (…/v1), once it answers; raises RuntimeError if it does not start."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_model_path())]
    command += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(context_tokens),
        "--n_threads",
        "2",
    ]
    # One request at a time, each to its end unless its client leaves: a new request would otherwise cut
    # the one before off, and hide whether a client that left stopped its answer.
    command += ["--interrupt_requests", "False"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=1):
                return server, base_url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("llama_cpp.server did not start") from None
            time.sleep(0.1)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.kill()
    server.wait(10)
