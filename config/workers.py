"""The worker gunicorn runs (``deploy/gunicorn.conf.py``): uvicorn's, on uvloop's event loop and
httptools' HTTP parser, with websocket compression (permessage-deflate) declined.

uvloop and httptools are what uvicorn's ``[standard]`` extra installs; named here rather than
left to ``"auto"``, so a missing one fails the start instead of silently serving on the slower
pure-Python loop and parser. A live edit fanned out to 500 sockets cost the two workers less CPU
on uvloop (median 80 against 95 ms in a small A/B; ``bench/ws_fanout.py``; bench/README.md,
2026-12-04 night).

Browsers offer permessage-deflate on every websocket, and uvicorn accepts it by default. Then
each frame is compressed once per socket, with a compression context kept per socket across
frames: a live edit fanned out to N sockets costs N compressions of the same frame on top of N
writes (``bench/ws_fanout.py --deflate``, which offers it as Chromium does). The live channel's
frames are small JSON, so the saving in bytes is small. And a context that carries earlier frames
into the compression of later ones mixes what a socket was sent (restricted items among them)
with text other people typed (item titles, amendments): the length of an encrypted frame can
then tell an observer on the network something about the content, as in the CRIME and BREACH
attacks on TLS and HTTP compression. Declining is allowed by RFC 6455 section 9.1 and RFC 7692:
the socket then runs uncompressed.

Websockets run on uvicorn's sans-I/O protocol over the ``websockets`` package
(``websockets-sansio``) instead of the one ``"auto"`` picks, built on that package's legacy asyncio
implementation, which keeps three tasks per connection and awaits a lock and a drain on every
frame it sends. A live edit fanned out to 500 sockets cost the two workers 30.5–32.5 ms of CPU
against 33.5–36.0 ms (mean of 20 edits each, two A/B pairs; ``bench/ws_fanout.py
--server=gunicorn --server=gunicorn-legacy-ws``, bench/README.md, 2026-12-06)."""
from uvicorn_worker import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS = {**_UvicornWorker.CONFIG_KWARGS, "loop": "uvloop", "http": "httptools",
                     "ws": "websockets-sansio", "ws_per_message_deflate": False}
