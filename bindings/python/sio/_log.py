"""libsio's log (``sio_options_set_log``) as records of Python's ``logging``, on the ``"sio"``
logger, at the matching levels; libsio's TRACE (every packet) is ``sio.TRACE`` (5)."""

import logging

from ._lib import LogLevel

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

logger = logging.getLogger("sio")

# sio_log_level -> logging level
_LEVELS = {LogLevel.ERROR: logging.ERROR, LogLevel.WARN: logging.WARNING,
           LogLevel.INFO: logging.INFO, LogLevel.DEBUG: logging.DEBUG, LogLevel.TRACE: TRACE}


def max_level(level):
    """The ``sio_log_level`` up to which libsio must log for records at ``level`` (a logging
    level: an int, or a name such as ``"DEBUG"`` or ``"TRACE"``) and above to be made."""
    if isinstance(level, str):
        number = logging.getLevelName(level.upper())
        if not isinstance(number, int):
            raise ValueError(f"unknown log level {level!r}")
        level = number
    return max((sio for sio, py in _LEVELS.items() if py >= level), default=LogLevel.OFF)


def record(level, message):
    """The log callback: one line of libsio's log, on whichever of its threads logs."""
    logger.log(_LEVELS.get(level, logging.ERROR), "%s", message.decode("utf-8", "replace"))
