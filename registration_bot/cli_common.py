"""What every command needs: exit codes, :class:`Fail`, and the configuration,
the state file and the instance lock opened with their failures turned into
those exit codes (the table is in cli.py's docstring).

As everywhere in the commands, the ledger and the service are imported
inside the functions, so a command loads only what it uses.
"""

from __future__ import annotations

import argparse

from .settings import ConfigError, Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_RUNNING = 0, 1, 2, 3


class Fail(Exception):
    """Stop with ``code`` and print the message as one line."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def settings_of(args: argparse.Namespace) -> Settings:
    """The configuration named by ``--config``; a wrong one exits 2."""
    try:
        return load_settings(args.config)
    except ConfigError as exc:
        raise Fail(EXIT_CONFIG, "configuration error: " + "; ".join(str(exc).splitlines())) from None


def open_ledger(settings: Settings):
    """The state file, migrated to the current schema."""
    from .ledger import Ledger

    return Ledger(settings.state.path)


def acquire_lock(settings: Settings):
    """The instance lock on the state file; held by another process, exits 3."""
    from .lock import AlreadyRunning, InstanceLock

    try:
        return InstanceLock(settings.state.path).acquire()
    except AlreadyRunning as exc:
        raise Fail(EXIT_RUNNING, str(exc)) from None
