"""The journal of a resumable grid or random search, in the tradeforge store.

A study (``optimization_studies``) is named and fingerprinted
(:func:`~tradeforge.optimize.fingerprint.study_fingerprint`); each finished point is a row of
``optimization_points`` keyed by its parameters. A search started again under the same name
loads the finished points and runs only the others, so an interrupted sweep (killed, Ctrl-C,
out of memory) loses at most the points finished in the last :data:`FLUSH_SECONDS` and never
computes a recorded point again. The store is SQLite or PostgreSQL
(:class:`~tradeforge.persistence.store.Store`), brought to the latest schema first.

Optuna's model-based searches keep their trials in optuna's own storage instead (see
:mod:`tradeforge.optimize.bayesian`); the two must not share a database, because both keep an
``alembic_version`` table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.fingerprint import decode_number, encode_number, point_key
from tradeforge.optimize.trial import TrialOutcome
from tradeforge.persistence import migrations
from tradeforge.persistence.models import OptimizationPointRecord, OptimizationStudyRecord
from tradeforge.persistence.store import Store, display_url

FLUSH_SECONDS = 0.2
"""Finished points are written at least this often (and when the search ends)."""
OPTUNA_TABLES = frozenset({"studies", "trials", "trial_values"})
"""Tables that tell a database holds optuna studies."""


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A finished point as the journal holds it."""

    values: tuple[float, ...]
    stats: dict[str, float]
    error: str
    seconds: float


class Journal:
    """The finished points of one study; :meth:`record` them as they come, :meth:`close` at
    the end.

    Parameters
    ----------
    store : Store
        A store at the latest schema (see :func:`open_journal`).
    study_id : int
        The study's row.
    """

    def __init__(self, store: Store, study_id: int, name: str) -> None:
        self.store = store
        self.study_id = study_id
        self.name = name
        self._pending: list[dict[str, Any]] = []
        self._flushed_at = time.monotonic()

    def finished(self) -> dict[str, StoredPoint]:
        """Every recorded point by key."""
        query = select(OptimizationPointRecord).where(
            OptimizationPointRecord.study_id == self.study_id
        )
        with self.store.session() as session:
            return {
                row.key: StoredPoint(
                    tuple(float(decode_number(v)) for v in row.values),
                    {k: decode_number(v) for k, v in row.stats.items()},
                    row.error,
                    row.seconds,
                )
                for row in session.scalars(query)
            }

    def record(self, outcome: TrialOutcome) -> None:
        """Keep a finished point; written within :data:`FLUSH_SECONDS`."""
        self._pending.append(
            {
                "study_id": self.study_id,
                "key": point_key(outcome.params),
                "params": {k: encode_number(v) for k, v in outcome.params.items()},
                "values": [encode_number(v) for v in outcome.values],
                "stats": {k: encode_number(v) for k, v in outcome.stats.items()},
                "error": outcome.error,
                "seconds": outcome.seconds,
            }
        )
        if time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the points kept so far (a point already stored is left as it is)."""
        self._flushed_at = time.monotonic()
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        table = OptimizationPointRecord.__table__
        dialect = postgresql if self.store.backend == "postgresql" else sqlite
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["study_id", "key"])
        with self.store.session() as session:
            session.execute(statement, rows)

    def close(self) -> None:
        """Write what is left and release the connections."""
        try:
            self.flush()
        finally:
            self.store.dispose()


def open_journal(
    storage: str | Store,
    name: str,
    fingerprint: str,
    *,
    strategy: str,
    objective: str,
    space: Mapping[str, Any],
) -> Journal:
    """The journal of study ``name`` in ``storage``, created when new.

    Raises
    ------
    OptimizeError
        When the database holds optuna studies, or study ``name`` exists with another
        fingerprint (other strategy code, bars, venue settings, mode or goals).
    """
    store = storage if isinstance(storage, Store) else Store(storage)
    store.check_connection()
    with store.translate_errors():
        tables = set(inspect(store.engine).get_table_names(schema=store.schema))
    if tables >= OPTUNA_TABLES:
        raise OptimizeError(
            f"--storage {display_url(store.url)} holds optuna studies: give a grid or random "
            "search a database of its own"
        )
    migrations.ensure_schema(store)
    with store.session() as session:
        study = session.scalars(
            select(OptimizationStudyRecord).where(OptimizationStudyRecord.name == name)
        ).one_or_none()
        if study is None:
            study = OptimizationStudyRecord(
                name=name, fingerprint=fingerprint, strategy=strategy,
                objective=objective, space=dict(space),
            )  # fmt: skip
            session.add(study)
            session.flush()
        elif study.fingerprint != fingerprint:
            raise OptimizeError(
                f"study {name!r} in {display_url(store.url)} was recorded with other strategy "
                "code, bars, venue settings, mode or goals: give another --study name"
            )
        study_id = study.id
    return Journal(store, study_id, name)
