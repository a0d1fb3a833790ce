"""Start MiniStack in this process with two latency fixes applied from outside.

MiniStack serves each Lambda function's Runtime API from Python's
http.server. Two defaults of the standard library, not of MiniStack, add
tens of milliseconds to every invocation of a Go function:

* Nagle's algorithm on the Runtime API's sockets holds the small /next
  response until the client's delayed ACK (about 40 ms). socketserver's
  StreamRequestHandler can disable it; its default is not to.
* socketserver's serve_forever polls for shutdown every 0.5 s by default;
  older MiniStack releases served one-shot invocations with that default.

We set both defaults before MiniStack is imported, so its own code runs
unchanged. Run with the MiniStack virtualenv's python:
    .venv/bin/python localstack/ministack_launcher.py
"""

import functools
import socketserver

socketserver.StreamRequestHandler.disable_nagle_algorithm = True
socketserver.BaseServer.serve_forever = functools.partialmethod(  # type: ignore[method-assign]
    socketserver.BaseServer.serve_forever, poll_interval=0.01
)

from ministack.app import main  # noqa: E402  (the patches must come first)

main()
