"""Python arguments <-> the C payload: a JSON array text plus binary buffers referenced from it
by Socket.IO's placeholders ``{"_placeholder":true,"num":n}``."""

import ctypes
import json

from ._lib import lib, sio_buffer

_BINARY = (bytes, bytearray, memoryview)


def encode(args):
    """``(json_text, buffers, count)`` for ``args`` (a sequence): bytes, bytearray and memoryview
    values, at any depth, become placeholders and buffers (a C ``sio_buffer`` array, or None).
    Raises TypeError for values JSON cannot represent. NaN and infinities are passed on as
    ``json.dumps`` writes them, and the library rejects them (``Result.JSON``)."""
    blobs = []

    def placeholder(value):
        if isinstance(value, _BINARY):
            blobs.append(bytes(value))
            return {"_placeholder": True, "num": len(blobs) - 1}
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(list(args), default=placeholder, ensure_ascii=False, separators=(",", ":"))
    text = text.encode("utf-8", "surrogatepass")
    if not blobs:
        return text, None, 0
    buffers = (sio_buffer * len(blobs))()
    for slot, blob in zip(buffers, blobs):
        slot.data, slot.len = blob, len(blob)
    return text, buffers, len(blobs)


def decode(args_json, buffers):
    """The arguments of a received JSON array, with placeholders replaced by their bytes."""
    if not buffers:
        return json.loads(args_json)

    def restore(obj):
        # As socket.io-parser (and the library, which checked every `num`): any object whose
        # `_placeholder` is true stands for a buffer.
        if obj.get("_placeholder") is True:
            return buffers[obj["num"]]
        return obj

    return json.loads(args_json, object_hook=restore)


def event_args(event):
    """The decoded arguments of a borrowed ``sio_event`` pointer (copied: valid after it)."""
    length = ctypes.c_size_t()
    buffers = []
    for i in range(lib.sio_event_buffer_count(event)):
        data = lib.sio_event_buffer(event, i, ctypes.byref(length))
        buffers.append(ctypes.string_at(data, length.value) if length.value else b"")
    return decode(lib.sio_event_args(event), buffers)
