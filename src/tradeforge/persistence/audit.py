"""The audit log: append-only, every entry chained to the one before by SHA-256.

Each entry stores its sequence number (1, 2, 3, ... without gaps), the hash of the entry
before it (``prev_hash``; 64 zeros for the first) and its own ``hash``: the SHA-256 of the
canonical JSON (sorted keys, no spaces, UTF-8) of ``seq``, ``ts`` (ISO 8601 UTC, microseconds),
``actor``, ``action``, ``subject``, ``details`` (itself canonical JSON text) and
``prev_hash``.

:func:`verify` walks the entries in sequence order and names the first one that does not fit:

- **edited**: the entry's content no longer matches its hash, but it still sits in its place
  in the chain (its sequence number and link are right): a row changed after it was written.
- **deleted**: sequence numbers are missing before the entry, and the entry links to a hash
  no remaining entry has: rows were removed.
- **inserted**: the entry neither matches its own hash nor links to the entry before it, or
  its sequence number is out of place: a row that the log did not write.

What a hash chain cannot show by itself: a rewrite of the whole chain from some point on by
someone who recomputes every hash, and the deletion of the newest entries. Keep the head
(``verify`` returns the entry count and the last hash; ``tradeforge audit verify`` prints them)
somewhere else and compare.

Appending takes the current head inside the caller's transaction; two writers racing for the
same sequence number meet the unique constraint on ``seq`` and the second one's transaction
fails (retry it) instead of forking the chain. On PostgreSQL an advisory transaction lock
serializes appenders up front.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.orm import Session

from tradeforge.persistence.errors import StoreValueError
from tradeforge.persistence.models import AuditEntryRecord

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x7472_6166_6F72  # "trafor"
_PAGE = 5_000
_ENTRIES = cast(Table, AuditEntryRecord.__table__)
_INSERT_ENTRY = _ENTRIES.insert()
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_HEAD = select(_ENTRIES.c.seq, _ENTRIES.c.hash).order_by(_ENTRIES.c.seq.desc()).limit(1)


class TamperKind(Enum):
    """How an entry of the audit log was tampered with."""

    EDITED = "edited"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first entry that does not fit the chain.

    Attributes
    ----------
    kind : TamperKind
    row_id : int
        The ``id`` of the row where the problem shows.
    seq : int
        That row's sequence number.
    message : str
        One line saying what is wrong, naming the row.
    """

    kind: TamperKind
    row_id: int
    seq: int
    message: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of :func:`verify`.

    Attributes
    ----------
    entries : int
        Rows checked.
    head_hash : str
        The hash of the last valid entry (:data:`GENESIS_HASH` for an empty log).
    problem : AuditProblem or None
        The first problem found, ``None`` when the chain is intact.
    """

    entries: int
    head_hash: str
    problem: AuditProblem | None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return self.problem is None


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text; decimals, datetimes and enums as text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Enum):
        return value.value
    return str(value)  # Decimal, Symbol, Path: their exact text


def _iso(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise StoreValueError(f"audit timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    subject: str,
    details: str,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry's canonical JSON."""
    content = {
        "seq": seq,
        "ts": _iso(ts),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _record_hash(row: AuditEntryRecord) -> str:
    return entry_hash(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=row.details,
        prev_hash=row.prev_hash,
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry to append: when, who, what, to what, and anything else (JSON-ready)."""

    ts: datetime
    actor: str
    action: str
    subject: str = ""
    details: Mapping[str, Any] | None = None


def append(
    session: Session,
    *,
    ts: datetime,
    actor: str,
    action: str,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntryRecord:
    """Append one entry to the chain, in the caller's transaction.

    Parameters
    ----------
    session : Session
        The unit of work the entry belongs to (it commits or rolls back with it).
    ts : datetime
        When it happened, timezone-aware (from the caller's clock).
    actor : str
        Who or what did it: ``cli:alice``, ``strategy:sma_cross``, ``api:key-3``.
    action : str
        What was done: ``order.submitted``, ``config.changed``, ``db.restore``.
    subject : str
        What it was done to: a client order id, a config key, a run id.
    details : mapping, optional
        Anything else, JSON-ready (decimals and datetimes are written as text).

    Returns
    -------
    AuditEntryRecord
        The new entry (flushed, so its ``id`` is set).
    """
    entry = AuditEntry(ts, actor, action, subject, details)
    row = AuditEntryRecord(**_chained([entry], _head(session.connection()))[0])
    session.add(row)
    session.flush()
    return row


def append_many(connection: Connection, entries: Sequence[AuditEntry]) -> None:
    """Append ``entries`` in order with one read of the chain's head and one insert (the
    same rows as :func:`append` called for each), in the connection's transaction."""
    if entries:
        connection.execute(_INSERT_ENTRY, _chained(entries, _head(connection)))


def _head(connection: Connection) -> tuple[int, str]:
    """The last entry's sequence number and hash (0 and the genesis hash when empty), with
    the PostgreSQL appenders' lock taken."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": _ADVISORY_LOCK_KEY})
    last = connection.execute(_HEAD).first()
    return (last[0], last[1]) if last is not None else (0, GENESIS_HASH)


def _chained(entries: Sequence[AuditEntry], head: tuple[int, str]) -> list[dict[str, Any]]:
    """The column values of ``entries`` chained after ``head``."""
    seq, prev_hash = head
    rows = []
    for entry in entries:
        seq += 1
        values: dict[str, Any] = {
            "seq": seq, "ts": entry.ts.astimezone(UTC), "actor": entry.actor,
            "action": entry.action, "subject": entry.subject,
            "details": canonical_json(dict(entry.details or {})), "prev_hash": prev_hash,
        }  # fmt: skip
        prev_hash = entry_hash(**values)
        rows.append(values | {"hash": prev_hash})
    return rows


def verify(session: Session) -> AuditVerification:
    """Walk the whole chain in sequence order and report the first entry that does not fit.

    Reads in pages of 5,000 rows, so memory stays flat on long logs.
    """
    expected_seq, prev_hash, checked, last_seq = 1, GENESIS_HASH, 0, 0
    while True:
        page = session.scalars(
            select(AuditEntryRecord)
            .where(AuditEntryRecord.seq > last_seq)
            .order_by(AuditEntryRecord.seq)
            .limit(_PAGE)
        ).all()
        for row in page:
            problem = _check(row, expected_seq, prev_hash)
            if problem is not None:
                return AuditVerification(checked, prev_hash, problem)
            checked += 1
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
        if len(page) < _PAGE:
            return AuditVerification(checked, prev_hash, None)


def _check(row: AuditEntryRecord, expected_seq: int, prev_hash: str) -> AuditProblem | None:
    content_ok = _record_hash(row) == row.hash
    link_ok = row.prev_hash == prev_hash
    seq_ok = row.seq == expected_seq
    where = f"audit entry id {row.id} (seq {row.seq})"
    if content_ok and link_ok and seq_ok:
        return None
    if link_ok and seq_ok:
        message = f"{where} was edited: its content no longer matches its hash"
        return AuditProblem(TamperKind.EDITED, row.id, row.seq, message)
    if content_ok and row.seq > expected_seq:
        missing = (
            f"seq {expected_seq}"
            if row.seq == expected_seq + 1
            else f"seq {expected_seq} to {row.seq - 1}"
        )
        message = f"entries {missing} were deleted before {where}"
        return AuditProblem(TamperKind.DELETED, row.id, row.seq, message)
    message = f"{where} was inserted: it does not link to the entry before it"
    return AuditProblem(TamperKind.INSERTED, row.id, row.seq, message)
