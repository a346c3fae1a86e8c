"""One registration-bot per state file: an exclusive ``flock`` beside it.

The kernel drops the lock when the process dies, even by SIGKILL, so a
crashed bot never leaves a stale lock behind; the file holds the holder's
pid only to name it in the message to the second instance.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    """Another registration-bot holds the state file."""


class InstanceLock:
    """An exclusive ``flock`` beside the state file; released when the process dies, even by SIGKILL."""

    def __init__(self, state_path: Path) -> None:
        self.path = state_path.with_name(state_path.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another registration-bot (pid {holder}) is already using {self.path.with_suffix('')}; "
                "stop it first or point this one at another [state] path"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
