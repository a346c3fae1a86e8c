"""A local Maildir with the same small interface as :class:`~registration_bot.mailbox.Mailbox`.

Only the demo uses it, and only on a machine without Dovecot: then the demo
still runs the real cycle, with the inbox in a folder instead of behind IMAP.
UIDs are assigned once per file and kept in ``uids.json``, as Dovecot keeps
them in ``dovecot-uidlist``, so the ledger sees the same identities IMAP gives.
"""

from __future__ import annotations

import json
import mailbox as stdlib_mailbox
import os
from datetime import datetime
from pathlib import Path


class MaildirBox:
    """A Maildir tree standing in for the IMAP mailbox (demo only)."""

    capabilities = frozenset({"MOVE"})
    has_move = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.client: object | None = None
        self._folder = "INBOX"

    def _maildir(self, folder: str) -> stdlib_mailbox.Maildir:
        path = self.root if folder.upper() == "INBOX" else self.root / ("." + folder.replace("/", "."))
        return stdlib_mailbox.Maildir(path, create=True)

    def _uids(self, folder: str) -> dict[str, int]:
        """Stable UIDs: every new file gets the next number, persisted beside the mail."""
        box = self._maildir(folder)
        index_path = Path(box._path) / "uids.json"  # noqa: SLF001 - the Maildir's own folder
        index = json.loads(index_path.read_text()) if index_path.exists() else {"next": 1, "uids": {}}
        keys = sorted(box.keys(), key=lambda k: (box.get_file(k).name, k))
        changed = False
        for key in keys:
            if key not in index["uids"]:
                index["uids"][key] = index["next"]
                index["next"] += 1
                changed = True
        present = set(keys)
        index["uids"] = {k: v for k, v in index["uids"].items() if k in present}
        if changed:
            tmp = index_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(index))
            os.replace(tmp, index_path)
        return index["uids"]

    def _by_uid(self) -> dict[int, str]:
        return {uid: key for key, uid in self._uids(self._folder).items()}

    def connect(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.client = self

    def close(self) -> None:
        self.client = None

    def ensure_folder(self, folder: str) -> None:
        self._maildir(folder)

    def select(self, folder: str) -> int:
        self._folder = folder
        return 1

    def all_uids(self) -> list[int]:
        return sorted(self._by_uid())

    def uids_after(self, last_uid: int) -> list[int]:
        return [uid for uid in self.all_uids() if uid > last_uid]

    def _raw(self, uid: int) -> bytes:
        return self._maildir(self._folder).get_bytes(self._by_uid()[uid])

    def envelope(self, uids: list[int]) -> dict[int, tuple[int, datetime | None]]:
        """Sizes; arrival times are not tracked in the demo's Maildir."""
        present = self._by_uid()
        return {uid: (len(self._raw(uid)), None) for uid in uids if uid in present}

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        present = self._by_uid()
        return {uid: self._raw(uid) for uid in uids if uid in present}

    def fetch_headers(self, uids: list[int], limit: int = 65536) -> dict[int, bytes]:
        return {uid: raw.split(b"\r\n\r\n", 1)[0][:limit] for uid, raw in self.fetch(uids).items()}

    def move(self, uids: list[int], folder: str) -> None:
        source, target = self._maildir(self._folder), self._maildir(folder)
        present = self._by_uid()
        for uid in uids:
            if uid in present:
                target.add(source.get_bytes(present[uid]))
                source.remove(present[uid])

    def append(self, raw: bytes) -> None:
        self._maildir("INBOX").add(raw)
