"""Where an export may write: never over the data home's own files, never over a device, a
directory or an existing file unless the caller says ``overwrite``.

The sink writes a temporary file beside the target and renames it over the target at the end,
so a target that is replaced is replaced whole, and a failed export leaves it as it was.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from backlog_connector.backlog.errors import InvalidOptionError


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_export_target(
    target: Path, *, home: Path, protected: Iterable[Path] = (), overwrite: bool = False
) -> Path:
    """The absolute target path, or ``InvalidOptionError`` naming the problem and the fix.

    Refused: a path inside the data home ``home`` (the warehouse, the control database, the key
    file and the scheduler's state live there) or equal to one of ``protected`` (files of the
    data home kept elsewhere), also when reached through a symbolic link; a directory, a device,
    a pipe or a socket; a parent directory that does not exist; and an existing file unless
    ``overwrite``.
    """
    given = Path(os.path.expanduser(str(target)))
    absolute = Path(os.path.abspath(given))
    resolved = absolute.resolve()
    homes = {Path(os.path.abspath(home)), Path(os.path.abspath(home)).resolve()}
    if any(_inside(p, h) for p in (absolute, resolved) for h in homes):
        raise InvalidOptionError(
            f"cannot export to {absolute}: it is inside the data home {home}, which holds the"
            " warehouse, the control database and the secret key; choose a path outside it"
        )
    for kept in protected:
        kept_abs = Path(os.path.abspath(kept))
        if resolved in (kept_abs, kept_abs.resolve()):
            raise InvalidOptionError(
                f"cannot export to {absolute}: it is one of the connector's own files;"
                " choose another path"
            )
    if not absolute.parent.is_dir():
        raise InvalidOptionError(
            f"cannot export to {absolute}: the directory {absolute.parent} does not exist;"
            " create it or choose another output path"
        )
    try:
        mode = absolute.lstat().st_mode
    except FileNotFoundError:
        return absolute
    if stat.S_ISLNK(mode):
        try:
            mode = absolute.stat().st_mode
        except FileNotFoundError:  # a dangling link: replacing it touches no other file
            mode = stat.S_IFREG
    if stat.S_ISDIR(mode):
        raise InvalidOptionError(f"cannot export to {absolute}: it is a directory; add a file name")
    if not stat.S_ISREG(mode):
        raise InvalidOptionError(
            f"cannot export to {absolute}: it is not a regular file (a device, a pipe or a"
            " socket); give a file path, or '-' for standard output"
        )
    if not overwrite:
        raise InvalidOptionError(
            f"cannot export to {absolute}: the file already exists; pass --force (API:"
            " overwrite) to replace it, or choose another path"
        )
    return absolute
