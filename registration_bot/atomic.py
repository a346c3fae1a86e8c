"""Replace a file so that readers see the old version or the new one, never a broken one.

The new content goes to a temporary file in the same folder, is fsynced, and
is renamed over the old file; the folder is fsynced too, so the rename
survives a power cut. The previous versions can be kept beside the file (the
organiser's safety net for their workbook). A temporary file left by a
process killed mid-write is cleaned up by the next write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

STALE_AFTER = 600  # seconds: an older temporary file belongs to a writer that died


def versions_dir(path: Path) -> Path:
    """Where old versions of ``path`` are kept: ``attendees.versions/`` beside ``attendees.xlsx``."""
    return path.with_name(path.stem + ".versions")


def replace_atomically(path: Path, write: Callable[[BinaryIO], object], *, versions_kept: int = 0) -> None:
    """Write ``path`` through ``write(handle)``: temporary file, fsync, keep a version, rename.

    Raises ``OSError`` (disk full, permission, a locked share) with the old file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_AFTER:
                stale.unlink()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file 0600; a shared folder needs the old file's mode.
        os.fchmod(fd, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and versions_kept:
            _keep_version(path, versions_kept)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _keep_version(path: Path, keep: int) -> None:
    folder = versions_dir(path)
    folder.mkdir(exist_ok=True)
    stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    if not target.exists():
        try:
            os.link(path, target)  # the old inode survives the rename: no copy needed
        except OSError:
            shutil.copy2(path, target)
    old = sorted(folder.glob(f"{path.stem}-*{path.suffix}"))
    for stale in old[: max(0, len(old) - keep)]:
        stale.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
