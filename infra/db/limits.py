"""Text limits of the database columns, read from the ORM models, so every check uses the schema's numbers.

SQLite stores a 40-character symbol in a String(32) column; PostgreSQL refuses it with a traceback. Checking
the same limits before writing makes both refuse it the same way, with one line.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import String

from domain.errors import InputError


def text_limit(model: type, column: str) -> int:
    """The declared length of `model.column` (a String(n) column)."""
    kind = model.__table__.c[column].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{model.__name__}.{column} is not a String(n) column")
    return int(kind.length)


def refuse_too_long(model: type, values: Mapping[str, object], names: Mapping[str, str] | None = None) -> None:
    """InputError naming the first value longer than its column; `names` maps a column to what the user typed
    (e.g. strategy -> --strategy)."""
    for column, value in values.items():
        limit = text_limit(model, column)
        if isinstance(value, str) and len(value) > limit:
            label = (names or {}).get(column, column)
            raise InputError(f"{label}: {value[:limit]}... is {len(value)} characters; at most {limit} "
                             f"(the database column's length)")
