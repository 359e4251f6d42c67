"""The log file of the data home: ``logs/backlog-connector.log``, rotated, readable only by its
owner (0600 in a 0700 folder), with secret-looking query values masked in every line.

``serve`` and ``worker`` write their log there as well as to stderr; CLI commands write their
warnings and the full text of their failures there (the terminal gets the short version).
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from backlog_connector.backlog.redact import Redactor

if TYPE_CHECKING:
    from logging.handlers import RotatingFileHandler

LOG_FILE = Path("logs") / "backlog-connector.log"
#: rotate at this size, keeping this many older files (.1 ... .N)
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

_attached: dict[str, logging.Handler] = {}


class RedactingFilter(logging.Filter):
    """Masks ``apiKey=...``, ``access_token=...`` and the like in the formatted message (a second
    line of defence: the client formats redacted URLs itself)."""

    def __init__(self) -> None:
        super().__init__()
        self._redact = Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its redacted rendering; always keep the record."""
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


@functools.cache
def _rotating_handler_class() -> type[RotatingFileHandler]:
    # ``logging.handlers`` (and the socket and pickle modules it imports) costs a tenth of a
    # short command's start, so it is imported only when a record is written
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFileHandler(RotatingFileHandler):
        """A rotating file handler whose files are created 0600 (an umask cannot widen them),
        in a 0700 folder made when the file is opened."""

        def _open(self):  # type: ignore[no-untyped-def]  # typeshed: returns a text stream
            folder = Path(self.baseFilename).parent
            folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the data home
            folder.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.chmod(self.baseFilename, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)

    return PrivateRotatingFileHandler


class PrivateLogFile(logging.Handler):
    """The data home's log file, rotated and private; the file, its folder and the rotating
    handler behind them are made at the first record (a command that logs nothing creates
    nothing)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: RotatingFileHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` (already filtered and at this handler's level) to the file."""
        try:
            if self._file is None:
                self._file = _rotating_handler_class()(
                    self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                    delay=True,
                )  # fmt: skip
                self._file.setFormatter(self.formatter)
        except Exception:  # as a handler's own failures: reported on stderr, never raised
            self.handleError(record)
            return
        self._file.emit(record)

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """Format with ``fmt`` from now on (the open file too)."""
        super().setFormatter(fmt)
        if self._file is not None:
            self._file.setFormatter(fmt)

    def close(self) -> None:
        """Close the file (if it was opened) and the handler."""
        if self._file is not None:
            self._file.close()
        super().close()


def log_path(home: Path) -> Path:
    """Where the data home ``home`` keeps its log file."""
    return Path(home) / LOG_FILE


def attach_log_file(home: Path, level: int = logging.INFO) -> Path:
    """Send the root logger's records of ``level`` and above to the data home's log file too
    (once per file; a handler to another home's file is removed). Returns the file's path."""
    path = log_path(home)
    key = str(path)
    root = logging.getLogger()
    for other in [k for k in _attached if k != key]:
        handler = _attached.pop(other)
        root.removeHandler(handler)
        handler.close()
    if key in _attached:
        _attached[key].setLevel(level)
        return path
    handler = PrivateLogFile(path)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    _attached[key] = handler
    return path


def share_log_file(*loggers: str) -> None:
    """Also send the records of ``loggers`` that do not reach the root logger (uvicorn's, once
    it configured them) to the attached log file."""
    for name in loggers:
        logger = logging.getLogger(name)
        for handler in _attached.values():
            if handler not in logger.handlers:
                logger.addHandler(handler)


def detach_log_files() -> None:
    """Close and remove every log file handler this module attached."""
    root = logging.getLogger()
    for key in list(_attached):
        handler = _attached.pop(key)
        root.removeHandler(handler)
        handler.close()
