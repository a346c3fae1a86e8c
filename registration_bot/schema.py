"""The schema of the state file, as the list of migrations that build it.

``PRAGMA user_version`` counts how many of :data:`MIGRATIONS` a state file
has had; :class:`registration_bot.ledger.Ledger` runs the rest, one
transaction each, when it opens the file, and refuses a file whose number is
higher (written by a newer program). A schema change is a new script at the
end of the list.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    """
    CREATE TABLE registrations (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        organisation TEXT NOT NULL DEFAULT '',
        organisation_suggested INTEGER NOT NULL DEFAULT 0,
        seats INTEGER NOT NULL DEFAULT 1,
        diet TEXT NOT NULL DEFAULT '',
        diet_text TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL,
        status TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT 1,
        registered_by INTEGER REFERENCES registrations(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        cancelled_at TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        sender TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        date TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        language TEXT,
        registration_id INTEGER REFERENCES registrations(id),
        destination TEXT,
        moved INTEGER NOT NULL DEFAULT 0,
        processed_at TEXT NOT NULL,
        UNIQUE (folder, uidvalidity, uid)
    );
    CREATE INDEX messages_sha256 ON messages(sha256);
    CREATE INDEX messages_message_id ON messages(message_id) WHERE message_id <> '';
    CREATE INDEX messages_unmoved ON messages(folder, uidvalidity) WHERE moved = 0;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        dedup_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        registration_id INTEGER REFERENCES registrations(id),
        message_row INTEGER REFERENCES messages(id),
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        payload BLOB NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
    CREATE TABLE cycles (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT NOT NULL DEFAULT 'running',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('state_version', '0'), ('workbook_version', '0');
    """,
    """
    ALTER TABLE messages ADD COLUMN arrived_at TEXT;
    CREATE INDEX messages_arrived ON messages(arrived_at) WHERE arrived_at IS NOT NULL;
    CREATE INDEX outbox_recipient ON outbox(recipient, created_at);
    """,
    """
    ALTER TABLE registrations ADD COLUMN waitlisted_at TEXT;
    ALTER TABLE registrations ADD COLUMN source TEXT NOT NULL DEFAULT 'mail';
    CREATE INDEX registrations_waitlist ON registrations(waitlisted_at) WHERE status = 'waitlisted';
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        registration_id INTEGER,
        field TEXT NOT NULL DEFAULT '',
        old TEXT NOT NULL DEFAULT '',
        new TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        include_waitlist INTEGER NOT NULL DEFAULT 0,
        event_date TEXT,
        event_location TEXT,
        sequence INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE erased (
        hash TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL
    );
    CREATE TABLE privacy_requests (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_id TEXT NOT NULL DEFAULT '',
        requested_at TEXT NOT NULL,
        done_at TEXT
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN recipient_domain TEXT
        GENERATED ALWAYS AS (lower(substr(recipient, instr(recipient, '@') + 1))) VIRTUAL;
    CREATE INDEX outbox_domain ON outbox(recipient_domain, created_at);
    CREATE INDEX outbox_kind ON outbox(kind, state);
    CREATE INDEX messages_pending_move ON messages(folder, uidvalidity, uid) WHERE moved = 0;
    """,
]
