"""SQLite storage for organizations, their users, roles and minted API keys, invitations and idempotency
records.

Why SQLite: it gives real transactions and a file that survives a restart with the same ``--db``, with
nothing but the standard library. One connection is shared and guarded by a lock, so the store is safe to
call from any thread; every write runs inside ``BEGIN IMMEDIATE ... COMMIT`` and is all-or-nothing.

A database file holds exactly one partner account. Its owner organization is created once and its id is
kept in the ``meta`` table, so restarting on the same file never duplicates it. Credentials are not
stored: org-scoped API keys are remembered only as SHA-256 digests (to map a key back to the organization
it was seeded for), and the partner key is whatever the server was started with.

Name uniqueness is enforced by a UNIQUE index on the trimmed name, so two racing creates cannot both win;
likewise a user's (lower-cased) email within its organization, and each organization's system roles, which
are added on start-up to organizations of a database written before users existed. API keys minted for
users are stored as SHA-256 digests only; deleting a user deletes its keys, deleting an organization its
users, keys and roles.

Idempotency claims name their owner: the store instance (process id and a random token) that made them.
Another emulator may serve the same file at the same time, so starting up deletes nothing; a pending claim
is taken over only when its owner's process is gone (a killed server), and a claim is finished or released
only by its owner, so one outcome never replaces another.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .models import (
    CurrentOrgUpdateUserRequest,
    OrganizationRecord,
    OrganizationRequest,
    RoleRecord,
    UserRecord,
    UserRequest,
    name_key,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organizations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    client_id TEXT,
    client_secret TEXT,
    issuer TEXT,
    sso_domain TEXT,
    sso_org_id TEXT,
    is_owner INTEGER NOT NULL DEFAULT 0,
    api_key_sha256 TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS roles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    name TEXT NOT NULL,
    system_key TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, system_key)
);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    role_ids TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, email)
);
CREATE TABLE IF NOT EXISTS user_api_keys (
    key_sha256 TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS user_api_keys_user ON user_api_keys (user_id);
CREATE TABLE IF NOT EXISTS invitations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    credential TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status INTEGER,
    body BLOB,
    created_at REAL NOT NULL,
    owner TEXT,
    PRIMARY KEY (credential, key)
);
"""

#: The system roles every organization has, by the key that marks them (``roles.system_key``).
SYSTEM_ROLES = {"admin": "Admin", "member": "Member"}
#: The legacy ``role`` names and the system role each stands for.
LEGACY_ROLES = {"admin": "admin", "user": "member"}
#: Minted API keys: this prefix, then 2 x API_KEY_BYTES hex digits (the journal also redacts the shape).
API_KEY_PREFIX = "pk_emu_"
API_KEY_BYTES = 24
_USER_COLUMNS = "id, organization_id, email, role, role_ids, created_at, updated_at"
_ROLE_COLUMNS = "id, organization_id, name, system_key IS NOT NULL"

_COLUMNS = (
    "id, name, client_id, client_secret, issuer, sso_domain, sso_org_id, is_owner, "
    "api_key_sha256 IS NOT NULL, created_at, updated_at"
)

Clock = Callable[[], float]


def digest(secret: str) -> str:
    """SHA-256 of a credential: how keys are referred to at rest and in idempotency scopes."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class StoredOutcome:
    """The first response given for an idempotency key, replayed verbatim."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Claimed:
    """The caller now owns the key and must `finish_idempotency` or `release_idempotency` it."""


@dataclass(frozen=True)
class InFlight:
    """Another request holding the same key has not finished yet."""


@dataclass(frozen=True)
class Mismatch:
    """The key was first used for a different request (method, path or body)."""


ClaimResult = StoredOutcome | Claimed | InFlight | Mismatch


class Store:
    """Organizations of one partner account, plus idempotency records, in one SQLite database."""

    def __init__(self, path: Path | None, *, clock: Clock, owner: str | None = None) -> None:
        self._clock = clock
        #: Who holds the claims this store makes: "<pid>:<random>", so that a claim's process can be checked.
        self.owner = owner or f"{os.getpid()}:{uuid.uuid4().hex}"
        self._lock = threading.RLock()
        target = ":memory:" if path is None else str(path)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 5000")
        if path is not None:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(idempotency)")}
            if "owner" not in columns:  # a database written before claims had owners
                self._db.execute("ALTER TABLE idempotency ADD COLUMN owner TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _now(self) -> str:
        return (
            datetime.fromtimestamp(self._clock(), UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )

    # -- seeding -------------------------------------------------------------------------------------

    def seed(self, *, owner_name: str, api_keys: tuple[str, ...]) -> None:
        """Create the owner organization and one organization per API key, unless they already exist."""
        with self._transaction() as db:
            self._seed(db, owner_name, api_keys)

    def _seed(self, db: sqlite3.Connection, owner_name: str, api_keys: tuple[str, ...]) -> None:
        owner_id = self._meta(db, "owner_org_id")
        if owner_id is None or self._row(db, owner_id) is None:
            owner_id = self._insert(db, self._free_name(db, owner_name), is_owner=True)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('owner_org_id', ?)", (owner_id,))
        for number, key in enumerate(api_keys, start=1):
            hashed = digest(key)
            if db.execute("SELECT 1 FROM organizations WHERE api_key_sha256 = ?", (hashed,)).fetchone():
                continue
            self._insert(db, self._free_name(db, _api_key_org_name(number)), api_key_sha256=hashed)
        self._seed_system_roles(db)  # also those of a database written before users existed

    def _seed_system_roles(self, db: sqlite3.Connection, org_id: str | None = None) -> None:
        """Give the organization (or every one) lacking them the system roles Admin and Member. Only the
        missing ones are looked for, through the (organization_id, system_key) index; INSERT OR IGNORE, as
        another emulator on the same file may do the same at the same time."""
        now = self._now()
        for system_key, name in SYSTEM_ROLES.items():
            missing = db.execute(
                "SELECT o.id FROM organizations o WHERE (? IS NULL OR o.id = ?) AND NOT EXISTS"
                " (SELECT 1 FROM roles r WHERE r.organization_id = o.id AND r.system_key = ?) ORDER BY o.seq",
                (org_id, org_id, system_key),
            ).fetchall()
            for (lacking,) in missing:
                db.execute(
                    "INSERT OR IGNORE INTO roles (id, organization_id, name, system_key, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (str(uuid.uuid4()), lacking, name, system_key, now),
                )

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _free_name(db: sqlite3.Connection, wanted: str) -> str:
        name, n = wanted, 1
        while db.execute("SELECT 1 FROM organizations WHERE name_key = ?", (name_key(name),)).fetchone():
            n += 1
            name = f"{wanted} ({n})"
        return name

    def _insert(
        self, db: sqlite3.Connection, name: str, *, is_owner: bool = False, api_key_sha256: str | None = None
    ) -> str:
        org_id, now = str(uuid.uuid4()), self._now()
        db.execute(
            "INSERT INTO organizations (id, name, name_key, is_owner, api_key_sha256, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (org_id, name, name_key(name), int(is_owner), api_key_sha256, now, now),
        )
        return org_id

    # -- reads ---------------------------------------------------------------------------------------

    @property
    def owner_id(self) -> str:
        with self._lock:
            owner = self._meta(self._db, "owner_org_id")
        if owner is None:
            raise RuntimeError("the store has not been seeded")
        return owner

    def org_id_for_api_key(self, key: str) -> str | None:
        """The organization an org-scoped key belongs to, or None if unknown (or its org was deleted): a
        seeded API key, or a key minted for one of the organization's users (and not revoked)."""
        hashed = digest(key)
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM organizations WHERE api_key_sha256 = ?"
                " UNION ALL SELECT organization_id FROM user_api_keys WHERE key_sha256 = ?",
                (hashed, hashed),
            )
            found = row.fetchone()
        return None if found is None else str(found[0])

    def exists(self, org_id: str) -> bool:
        with self._lock:
            return self._has_org(self._db, org_id)

    def get(self, org_id: str) -> OrganizationRecord:
        with self._lock:
            record = self._row(self._db, org_id)
        if record is None:
            raise NotFound(f"organization {org_id} not found")
        return record

    def list(self) -> list[OrganizationRecord]:
        """Every organization: the owner first, then the others in creation order."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM organizations ORDER BY is_owner DESC, seq"
            ).fetchall()
        return [_record(row) for row in rows]

    def client_secrets(self) -> set[str]:
        """Every client_secret currently stored, so the journal can redact stray copies of them."""
        with self._lock:
            rows = self._db.execute("SELECT client_secret FROM organizations WHERE client_secret IS NOT NULL")
            return {str(row[0]) for row in rows.fetchall()}

    @staticmethod
    def _row(db: sqlite3.Connection, org_id: str) -> OrganizationRecord | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM organizations WHERE id = ?", (org_id,)).fetchone()
        return None if row is None else _record(row)

    # -- writes --------------------------------------------------------------------------------------

    def create(self, request: OrganizationRequest) -> OrganizationRecord:
        with self._transaction() as db:
            self._ensure_free_name(db, request.name, except_id=None)
            org_id, now = str(uuid.uuid4()), self._now()
            db.execute(
                "INSERT INTO organizations (id, name, name_key, client_id, client_secret, issuer, sso_domain,"
                " sso_org_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (org_id, request.name, name_key(request.name), *_settings(request), now, now),
            )
            self._seed_system_roles(db, org_id)
            record = self._row(db, org_id)
        assert record is not None
        return record

    def replace(self, org_id: str, request: OrganizationRequest) -> OrganizationRecord:
        """PUT semantics: name and every SSO/OIDC field are replaced; omitted fields become NULL."""
        with self._transaction() as db:
            if self._row(db, org_id) is None:
                raise NotFound(f"organization {org_id} not found")
            self._ensure_free_name(db, request.name, except_id=org_id)
            db.execute(
                "UPDATE organizations SET name = ?, name_key = ?, client_id = ?, client_secret = ?,"
                " issuer = ?, sso_domain = ?, sso_org_id = ?, updated_at = ? WHERE id = ?",
                (request.name, name_key(request.name), *_settings(request), self._now(), org_id),
            )
            record = self._row(db, org_id)
        assert record is not None
        return record

    def delete(self, org_id: str) -> OrganizationRecord:
        with self._transaction() as db:
            record = self._row(db, org_id)
            if record is None:
                raise NotFound(f"organization {org_id} not found")
            if record.is_owner:
                raise Forbidden(
                    "the partner's owner organization cannot be deleted", key="owner_organization"
                )
            db.execute("DELETE FROM organizations WHERE id = ?", (org_id,))
            self._drop_orphans(db)
        return record

    @staticmethod
    def _drop_orphans(db: sqlite3.Connection) -> None:
        """What belonged to organizations that are gone: their users (and so their keys) and roles. The
        invitations stay: they are the log of mail that was sent."""
        for table in ("user_api_keys", "users", "roles"):
            db.execute(f"DELETE FROM {table} WHERE organization_id NOT IN (SELECT id FROM organizations)")

    @staticmethod
    def _ensure_free_name(db: sqlite3.Connection, name: str, *, except_id: str | None) -> None:
        row = db.execute("SELECT id FROM organizations WHERE name_key = ?", (name_key(name),)).fetchone()
        if row is not None and row[0] != except_id:
            raise Conflict("an organization with this name already exists", key="organization_name_taken")

    def reset(self, *, owner_name: str, api_keys: tuple[str, ...]) -> None:
        """Back to the seeded state, keeping the ids of the owner and API-key organizations.

        Every other organization, every user, API key minted for one, invitation and idempotency record is
        dropped; the seeded organizations get their seed names back and lose any SSO/OIDC settings, and
        keep their roles.
        """
        hashes = [digest(key) for key in api_keys]
        marks = ", ".join("?" for _ in hashes)
        with self._transaction() as db:
            db.execute(
                "DELETE FROM organizations WHERE is_owner = 0"
                f" AND (api_key_sha256 IS NULL OR api_key_sha256 NOT IN ({marks}))",
                hashes,
            )
            db.execute("DELETE FROM idempotency")
            for table in ("user_api_keys", "users", "invitations"):
                db.execute(f"DELETE FROM {table}")
            self._drop_orphans(db)
            db.execute(
                "UPDATE organizations SET client_id = NULL, client_secret = NULL, issuer = NULL,"
                " sso_domain = NULL, sso_org_id = NULL, name_key = id, updated_at = ?",
                (self._now(),),
            )
            wanted = {hashed: _api_key_org_name(number) for number, hashed in enumerate(hashes, start=1)}
            rows = db.execute(
                "SELECT id, is_owner, api_key_sha256 FROM organizations ORDER BY seq"
            ).fetchall()
            for org_id, is_owner, hashed in rows:
                name = self._free_name(db, owner_name if is_owner else wanted[hashed])
                db.execute(
                    "UPDATE organizations SET name = ?, name_key = ? WHERE id = ?",
                    (name, name_key(name), org_id),
                )
            self._seed(db, owner_name, api_keys)

    # -- roles, users and their API keys -------------------------------------------------------------------

    def list_roles(self, org_id: str) -> builtins.list[RoleRecord]:
        with self._lock:
            self._require_org(self._db, org_id)
            rows = self._db.execute(
                f"SELECT {_ROLE_COLUMNS} FROM roles WHERE organization_id = ? ORDER BY seq", (org_id,)
            ).fetchall()
        return [_role(row) for row in rows]

    def get_role(self, org_id: str, role_id: str) -> RoleRecord:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ROLE_COLUMNS} FROM roles WHERE organization_id = ? AND id = ?", (org_id, role_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"role {role_id} not found")
        return _role(row)

    def list_users(self, org_id: str) -> builtins.list[UserRecord]:
        """The organization's users in creation order (404 if the organization does not exist)."""
        with self._lock:
            self._require_org(self._db, org_id)
            rows = self._db.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE organization_id = ? ORDER BY seq", (org_id,)
            ).fetchall()
        return [_user(row) for row in rows]

    def get_user(self, org_id: str, user_id: str) -> UserRecord:
        with self._lock:
            self._require_org(self._db, org_id)
            return self._require_user(self._db, org_id, user_id)

    def create_user(self, org_id: str, request: UserRequest) -> UserRecord:
        """Create a user and record its invitation, in one transaction: one invitation per user."""
        email = request.email.lower()
        with self._transaction() as db:
            self._require_org(db, org_id)
            role, role_ids = self._assignment(db, org_id, request.role, request.role_ids)
            taken = db.execute(
                "SELECT 1 FROM users WHERE organization_id = ? AND email = ?", (org_id, email)
            ).fetchone()
            if taken:
                raise Unprocessable(
                    "a user with this email already exists in the organization",
                    key="user_email_taken",
                    metadata={"fields": {"email": "is already taken in this organization"}},
                )
            user_id, now = str(uuid.uuid4()), self._now()
            db.execute(
                "INSERT INTO users (id, organization_id, email, role, role_ids, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user_id, org_id, email, role, json.dumps(role_ids), now, now),
            )
            db.execute(
                "INSERT INTO invitations (user_id, organization_id, email, created_at) VALUES (?, ?, ?, ?)",
                (user_id, org_id, email, now),
            )
            return self._require_user(db, org_id, user_id)

    def update_user(self, org_id: str, user_id: str, request: CurrentOrgUpdateUserRequest) -> UserRecord:
        """PUT semantics: only the role assignment changes (the email never does); with neither ``role``
        nor ``role_ids`` the assignment is kept."""
        with self._transaction() as db:
            self._require_org(db, org_id)
            self._require_user(db, org_id, user_id)
            if request.role is not None or request.role_ids is not None:
                role, role_ids = self._assignment(db, org_id, request.role, request.role_ids)
                db.execute(
                    "UPDATE users SET role = ?, role_ids = ?, updated_at = ? WHERE id = ?",
                    (role, json.dumps(role_ids), self._now(), user_id),
                )
            return self._require_user(db, org_id, user_id)

    def delete_user(self, org_id: str, user_id: str) -> UserRecord:
        """Delete a user; its API keys stop working at once."""
        with self._transaction() as db:
            self._require_org(db, org_id)
            record = self._require_user(db, org_id, user_id)
            db.execute("DELETE FROM user_api_keys WHERE user_id = ?", (user_id,))
            db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return record

    def mint_api_key(self, org_id: str, user_id: str, *, force: bool) -> str:
        """A new API key for the user, returned once and stored only as its SHA-256. `force` revokes the
        user's earlier keys first; without it they keep working."""
        key = API_KEY_PREFIX + secrets.token_hex(API_KEY_BYTES)
        with self._transaction() as db:
            self._require_org(db, org_id)
            self._require_user(db, org_id, user_id)
            if force:
                db.execute("DELETE FROM user_api_keys WHERE user_id = ?", (user_id,))
            db.execute(
                "INSERT INTO user_api_keys (key_sha256, user_id, organization_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (digest(key), user_id, org_id, self._now()),
            )
        return key

    def api_key_count(self, user_id: str) -> int:
        """How many working API keys the user has (for the control plane and tests)."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM user_api_keys WHERE user_id = ?", (user_id,))
            return int(row.fetchone()[0])

    def invitations(self) -> builtins.list[dict[str, object]]:
        """Every invitation recorded (one per user created), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, user_id, organization_id, email, created_at FROM invitations ORDER BY seq"
            ).fetchall()
        names = ("seq", "user_id", "organization_id", "email", "created_at")
        return [dict(zip(names, row, strict=True)) for row in rows]

    @staticmethod
    def _has_org(db: sqlite3.Connection, org_id: str) -> bool:
        return db.execute("SELECT 1 FROM organizations WHERE id = ?", (org_id,)).fetchone() is not None

    def _require_org(self, db: sqlite3.Connection, org_id: str) -> None:
        if not self._has_org(db, org_id):
            raise NotFound(f"organization {org_id} not found")

    @staticmethod
    def _require_user(db: sqlite3.Connection, org_id: str, user_id: str) -> UserRecord:
        row = db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE organization_id = ? AND id = ?", (org_id, user_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"user {user_id} not found in organization {org_id}")
        return _user(row)

    def _assignment(
        self, db: sqlite3.Connection, org_id: str, role: str | None, role_ids: builtins.list[str] | None
    ) -> tuple[str, builtins.list[str]]:
        """The legacy role name and the role ids a request asks for (Admin when it names neither).

        Legacy names map to the system roles, ``admin`` to Admin and ``user`` to Member, in any case; role
        ids keep the order sent, and the legacy name of a set of ids is ``admin`` if it holds Admin, else
        ``user``."""
        query = "SELECT id, system_key FROM roles WHERE organization_id = ?"
        rows = db.execute(query, (org_id,)).fetchall()
        system = {str(key): str(rid) for rid, key in rows if key is not None}
        if set(system) != set(SYSTEM_ROLES):  # created by an older emulator sharing this file
            self._seed_system_roles(db, org_id)
            rows = db.execute(query, (org_id,)).fetchall()
            system = {str(key): str(rid) for rid, key in rows if key is not None}
        if role_ids is not None:
            known = {str(rid) for rid, _ in rows}
            wanted = [rid.lower() for rid in role_ids]
            if any(rid not in known for rid in wanted):
                raise Unprocessable(
                    "role_ids: names a role that does not exist in this organization",
                    key="unknown_role",
                    metadata={
                        "fields": {"role_ids": "names a role that does not exist in this organization"}
                    },
                )
            return ("admin" if system["admin"] in wanted else "user"), wanted
        legacy = "admin" if role is None else role.lower()
        if legacy not in LEGACY_ROLES:
            raise Unprocessable(
                "role: must be admin or user",
                key="unknown_role",
                metadata={"fields": {"role": "must be admin or user"}},
            )
        return legacy, [system[LEGACY_ROLES[legacy]]]

    # -- idempotency ---------------------------------------------------------------------------------

    def claim_idempotency(self, credential: str, key: str, fingerprint: str, ttl_s: float) -> ClaimResult:
        """Atomically look up (credential, key): replay it, report it busy, or claim it for this request."""
        now = self._clock()
        with self._transaction() as db:
            row = db.execute(
                "SELECT fingerprint, state, status, body, created_at, owner FROM idempotency"
                " WHERE credential = ? AND key = ?",
                (credential, key),
            ).fetchone()
            expired = row is not None and now - float(row[4]) >= ttl_s
            abandoned = row is not None and row[1] == "pending" and not _owner_alive(row[5])
            if expired or abandoned:
                db.execute("DELETE FROM idempotency WHERE credential = ? AND key = ?", (credential, key))
                row = None
            if row is None:
                db.execute(
                    "INSERT INTO idempotency (credential, key, fingerprint, state, created_at, owner)"
                    " VALUES (?, ?, ?, 'pending', ?, ?)",
                    (credential, key, fingerprint, now, self.owner),
                )
                return Claimed()
            if row[0] != fingerprint:
                return Mismatch()
            if row[1] == "pending":
                return InFlight()
            return StoredOutcome(status=int(row[2]), body=bytes(row[3]))

    def finish_idempotency(self, credential: str, key: str, outcome: StoredOutcome) -> bool:
        """Store the outcome of this store's own pending claim; never replaces a stored outcome.

        Returns whether it was stored (False: the claim was no longer ours to finish).
        """
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE idempotency SET state = 'done', status = ?, body = ?"
                " WHERE credential = ? AND key = ? AND state = 'pending' AND owner = ?",
                (outcome.status, outcome.body, credential, key, self.owner),
            )
            return cursor.rowcount == 1

    def release_idempotency(self, credential: str, key: str) -> None:
        """Forget this store's claim whose request died without an outcome, so the client may try again."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM idempotency"
                " WHERE credential = ? AND key = ? AND state = 'pending' AND owner = ?",
                (credential, key, self.owner),
            )


def _owner_alive(owner: object) -> bool:
    """Whether the process that made a claim still runs (a claim without an owner predates owners)."""
    pid_text = str(owner or "").partition(":")[0]
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # it exists (as another user's process), or we cannot tell: keep its claim
    return True


def _api_key_org_name(number: int) -> str:
    return f"Emulator API Key Organization {number}"


def _settings(request: OrganizationRequest) -> tuple[str | None, ...]:
    return (request.client_id, request.client_secret, request.issuer, request.sso_domain, request.sso_org_id)


def _record(row: tuple[object, ...]) -> OrganizationRecord:
    (org_id, name, client_id, secret, issuer, domain, sso_org, is_owner, api_key_org, created, updated) = row
    return OrganizationRecord(
        id=str(org_id),
        name=str(name),
        client_id=_text(client_id),
        client_secret=_text(secret),
        issuer=_text(issuer),
        sso_domain=_text(domain),
        sso_org_id=_text(sso_org),
        is_owner=bool(is_owner),
        api_key_org=bool(api_key_org),
        created_at=str(created),
        updated_at=str(updated),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _user(row: tuple[object, ...]) -> UserRecord:
    user_id, org_id, email, role, role_ids, created, updated = row
    return UserRecord(
        id=str(user_id),
        organization_id=str(org_id),
        email=str(email),
        role=str(role),
        role_ids=tuple(json.loads(str(role_ids))),
        created_at=str(created),
        updated_at=str(updated),
    )


def _role(row: tuple[object, ...]) -> RoleRecord:
    role_id, org_id, name, system = row
    return RoleRecord(id=str(role_id), organization_id=str(org_id), name=str(name), system=bool(system))
