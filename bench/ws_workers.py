"""Worker classes for A/B arms of ``bench/ws_fanout.py`` (``gunicorn -k bench.ws_workers.<name>``),
each the production worker (``config.workers.UvicornWorker``) with one setting changed back."""
from config.workers import UvicornWorker


class LegacyWebsocketsWorker(UvicornWorker):
    """uvicorn's websocket protocol on the ``websockets`` package's legacy (asyncio) implementation,
    what ``ws="auto"`` picks and production ran before ``config.workers`` named the sans-I/O one."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "ws": "websockets"}
