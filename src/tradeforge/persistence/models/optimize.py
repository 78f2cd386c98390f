"""The journal of resumable parameter searches: each study and the points it finished."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeforge.persistence.models.base import Base, Id, RowRef


class OptimizationStudyRecord(Base):
    """A named search whose finished points are kept, so a re-run skips them.

    ``fingerprint`` is a SHA-256 of what makes a point's result what it is (strategy and its
    code, the bars, the venue settings, the mode and the goals): a re-run under the same name
    with anything else changed is refused instead of mixing results.
    """

    __tablename__ = "optimization_studies"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[Id]
    name: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(128))
    objective: Mapped[str] = mapped_column(Text)
    space: Mapped[dict[str, Any]]


class OptimizationPointRecord(Base):
    """One finished point of a study: its parameters, goal values and statistics.

    ``key`` is the SHA-256 of the parameters' canonical JSON; a point is stored once per
    study. Non-finite numbers are stored as the strings ``"inf"``, ``"-inf"`` and ``"nan"``.
    """

    __tablename__ = "optimization_points"
    __table_args__ = (UniqueConstraint("study_id", "key"),)

    id: Mapped[Id]
    study_id: Mapped[RowRef] = mapped_column(
        ForeignKey("optimization_studies.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    values: Mapped[list[Any]]
    stats: Mapped[dict[str, Any]]
    error: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)
