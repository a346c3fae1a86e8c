"""Notice that the configuration changed while the service runs, and load it again.

The organiser sets the date, raises the capacity or edits a reply template in
the files, not in the program; a running service must follow without a
restart, or "raising the capacity promotes people on the next cycle" would
only be true for ``poll``. Each cycle compares a cheap stamp of the files
(size, modification time and inode of the configuration and of every file in
``[templates] dir``; editors often replace a file rather than write it) with
the last one. SIGHUP (``systemctl reload``) forces a reload.

A changed file is validated exactly as at start-up. If it is wrong, the
service keeps running on the configuration it has and says why, once per
version of the file. ``[state]``, ``[imap]`` and ``[oauth]`` cannot change
under a running service (the instance lock, the IDLE connection and its
tokens are built on them): a change there is reported and waits for a restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from .settings import ConfigError, Settings

log = logging.getLogger(__name__)
Stamp = tuple[tuple[str, int, int, int], ...]
RESTART_ONLY = ("state", "imap", "oauth")


def stamp(config: Path, templates: Path | None) -> Stamp:
    """Size, mtime and inode of the configuration and the template files: changes when any does."""
    paths = [config]
    if templates is not None and templates.is_dir():
        paths += sorted(p for p in templates.iterdir() if p.suffix == ".txt")
    marks = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            marks.append((str(path), -1, -1, -1))
            continue
        marks.append((str(path), info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(marks)


def changed_sections(old: Settings, new: Settings) -> list[str]:
    """The names of the configuration's tables whose values differ."""
    before, after = old.model_dump(), new.model_dump()
    return [name for name in after if before.get(name) != after[name]]


class ConfigWatcher:
    """Loads the configuration again when its files change; None when there is nothing new to apply."""

    def __init__(self, path: Path, settings: Settings, load: Callable[[Path], Settings]) -> None:
        self.path = path
        self.load = load
        self.settings = settings
        self._stamp = stamp(path, settings.templates.dir)
        self._refused: Stamp | None = None
        self._told_restart: tuple[str, ...] = ()

    def check(self, force: bool = False) -> Settings | None:
        """The new settings if the files changed (or ``force``) and they are valid, else None."""
        current = stamp(self.path, self.settings.templates.dir)
        if current == self._stamp and not force:
            return None
        try:
            new = self.load(self.path)
        except ConfigError as exc:
            if current != self._refused:
                log.error(
                    "configuration %s changed but is not valid; still running on the previous one: %s",
                    self.path,
                    "; ".join(str(exc).splitlines()),
                )
                self._refused = current
            return None
        templates_changed = current[1:] != self._stamp[1:]  # [0] is the configuration file itself
        self._stamp, self._refused = stamp(self.path, new.templates.dir), None
        sections = changed_sections(self.settings, new)
        fixed = tuple(name for name in sections if name in RESTART_ONLY)
        if fixed and fixed != self._told_restart:
            log.warning(
                "configuration: [%s] changed; that takes a restart of the service, the rest applies now",
                "], [".join(fixed),
            )
        self._told_restart = fixed
        applied = [f"[{name}]" for name in sections if name not in RESTART_ONLY]
        if templates_changed:
            applied.append("templates")
        if not applied:
            return None
        log.info("configuration reloaded from %s: %s", self.path, ", ".join(applied))
        # Keep what cannot change while running, take the rest.
        kept = new.model_copy(update={name: getattr(self.settings, name) for name in RESTART_ONLY})
        kept.smtp._oauth = kept.oauth  # both sides keep the running token provider
        self.settings = kept
        return kept
