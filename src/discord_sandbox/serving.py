"""Serving an aiohttp app on 127.0.0.1 at a given port, or at any free one (port 0), and learning which."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application, host: str, port: int = 0) -> tuple[web.AppRunner, int]:
    """The running app's runner (clean it up to stop) and the port it listens on."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # aiohttp keeps the bound socket here; port 0 means we must ask it
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    bound: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return runner, bound
