"""libsio for Python: a Socket.IO client through libsio's C ABI, with ctypes only.

    import sio

    with sio.Client("http://localhost:3000", transport="websocket") as client:
        chat = client.of("/chat", auth={"token": "secret"})

        @chat.on("message")
        def message(user, text):
            print(user, text)

        chat.connect()
        print(chat.call("echo", "hi", timeout=5))   # -> ['hi']

Handlers run on the client's dispatch thread, one at a time (or, with
``dispatch="manual"``, on the thread calling ``Client.dispatch()``). An exception in one is
logged on the ``"sio"`` logger and does not stop the others; ``log_level=`` sends libsio's own
log there too. Where libsio is loaded from: see ``sio._lib``. Errors are ``SioError``
(``.code``: a ``Result``; ``.message``).
"""

from ._client import Ack, AuthRequest, Client, Socket
from ._lib import Dispatch, Protocol, ReconnectEvent, Result, SioError, Transport, lib
from ._log import TRACE


def version():
    """The loaded library's version, e.g. ``"0.1.0"``."""
    return lib.sio_version().decode()


__all__ = ["Ack", "AuthRequest", "Client", "Dispatch", "Protocol", "ReconnectEvent", "Result",
           "SioError", "Socket", "TRACE", "Transport", "version"]
