"""libsio for Python: a Socket.IO client through libsio's C ABI, with ctypes only.

    import sio

    with sio.Client("http://localhost:3000", transport="websocket") as client:
        chat = client.of("/chat", auth={"token": "secret"})

        @chat.on("message")
        def message(user, text):
            print(user, text)

        chat.connect()
        print(chat.call("echo", "hi", timeout=5))   # -> ['hi']

Handlers run on the client's dispatch thread, one at a time. An exception in one is logged
on the ``"sio"`` logger and does not stop the others. Where libsio is loaded from: see
``sio._lib``. Errors are ``SioError`` (``.code``: a ``Result``; ``.message``).
"""

from ._client import Ack, Client, Socket
from ._lib import Protocol, ReconnectEvent, Result, SioError, Transport, lib


def version():
    """The loaded library's version, e.g. ``"0.1.0"``."""
    return lib.sio_version().decode()


__all__ = ["Ack", "Client", "Protocol", "ReconnectEvent", "Result", "SioError", "Socket",
           "Transport", "version"]
