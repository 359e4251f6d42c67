"""How a CLI command reports a failure: the short version a user can act on to stderr, the full
text to the data home's log file (``datasets.log_file``)."""

from __future__ import annotations

import logging

log = logging.getLogger("backlog_connector.cli")


def start_log() -> None:
    """Write this command's warnings and failures to the data home's log file (which also keeps
    library warnings from being printed a second time beside the command's own error line)."""
    from backlog_connector.datasets.log_file import attach_log_file
    from backlog_connector.settings_files import default_home

    attach_log_file(default_home(), logging.WARNING)  # the file is made at the first record


def stop_log() -> None:
    """Close the log file again (a command's end; in-process callers such as tests go on)."""
    from backlog_connector.datasets.log_file import detach_log_files

    detach_log_files()


def report(exc: BaseException) -> str:
    """Log the failure's full text; return the message to print."""
    from backlog_connector.datasets.friendly_errors import detail, friendly

    log.warning("command failed: %s", detail(exc))
    return friendly(exc)
