"""Errors the warehouse writers raise, placed in the tree of ``backlog.errors``.

::

    ConfigurationError
    ├── SchemaConflictError      a column changed type: run once with a full replace
    ├── TableOwnershipError      the table exists but belongs to another dataset / was not made here
    ├── WarehouseOpenError       the file cannot be opened (not a DuckDB file, a directory, ...)
    ├── DestinationError         a PostgreSQL URL, login, database or permission that does not work
    ├── InvalidOptionError
    │   └── InvalidTableNameError   a dataset or table name that cannot become a table name
    └── NotFoundError
        └── UnknownTableError    no such table in the warehouse
    RetryLaterError
    ├── WarehouseBusyError       another process holds the file / readers hold the table too long
    ├── DestinationUnavailableError  the PostgreSQL server cannot be reached (mid-run too)
    ├── WriteConflictError       a concurrent transaction touched the same rows
    └── DiskFullError            no space left on the warehouse's (or DuckDB's temporary) disk
    GiveUpError
    ├── BadBatchError            a report broke the contract (unknown suffix, NULL key, ...)
    ├── RunFinishedError         a run was used after commit/abort (or after it failed)
    └── WarehouseError           DuckDB failed in a way the sink does not understand
"""

from __future__ import annotations

from backlog_connector.backlog.errors import (
    ConfigurationError,
    GiveUpError,
    InvalidOptionError,
    NotFoundError,
    RetryLaterError,
)


class SchemaConflictError(ConfigurationError):
    """A batch brought a column whose type differs from the table's column of the same name."""


class TableOwnershipError(ConfigurationError):
    """The table name is taken by another dataset or by a table the connector did not make."""


class WarehouseOpenError(ConfigurationError):
    """The warehouse file cannot be opened."""


class InvalidTableNameError(InvalidOptionError):
    """A dataset or table name that does not give a usable table name."""


class UnknownTableError(NotFoundError):
    """The warehouse holds no table of that name."""


class WarehouseBusyError(RetryLaterError):
    """Another process holds the warehouse file (DuckDB lets no one write a file another
    process has open), or readers held a PostgreSQL table past the commit's wait.
    ``holder`` names the process when it is known."""

    holder: str = "another process"


class WriteConflictError(RetryLaterError):
    """DuckDB refused the commit because a concurrent transaction wrote the same rows."""


class DiskFullError(RetryLaterError):
    """The disk of the warehouse file or of DuckDB's temporary files is full."""


class BadBatchError(GiveUpError):
    """A table spec or batch that breaks the report/sink contract (a bug in the report)."""


class RunFinishedError(GiveUpError):
    """The sink run was already committed, aborted, or rolled back after an error."""


class WarehouseError(GiveUpError):
    """An unexpected DuckDB failure."""


class DestinationError(ConfigurationError):
    """A saved destination that cannot be used as given: a bad URL, a refused login, an unknown
    database, no permission to create tables, or (when it is being added) no server there."""


class DestinationUnavailableError(RetryLaterError):
    """The destination's server could not be reached or dropped the connection mid-run."""
