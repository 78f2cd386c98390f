"""The append-only audit log (see :mod:`tradeforge.persistence.audit` for the hash chain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.persistence.models.base import Base, Id


class AuditEntryRecord(Base):
    """Who or what did what, to what, when; chained to the entry before by hashes.

    ``details`` is canonical JSON text (sorted keys, no spaces), stored as text so that the
    bytes hashed are the bytes kept on every backend.
    """

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("seq"),)

    id: Mapped[Id]
    seq: Mapped[int]
    ts: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
