"""Parameters from config/<name>.yaml (risk, promotion, each strategy's), validated into the domain's frozen
dataclasses: pydantic's TypeAdapter over the dataclass checks the types, the dataclass its ranges."""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

from domain.errors import InputError
from infra.settings import get_settings

T = TypeVar("T")


def load_yaml(name: str, config_dir: Path | None = None) -> dict[str, Any]:
    path = (config_dir or get_settings().config_dir) / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise InputError(f"{path}: configuration file not found") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: top level must be a mapping")
    return data


def build_dataclass(cls: type[T], values: dict[str, Any], source: str) -> T:
    """Construct `cls` from a mapping, validated by pydantic over the dataclass: types (a "4%" for a float,
    20.5 for an int), the dataclass's own range checks (__post_init__), unknown keys, finite numbers.

    Any problem is one InputError line naming the file, the key and the rule.
    """
    _refuse_unknown_and_bools(cls, values, source)
    try:
        built = _adapter(cls).validate_python(values)
    except ValidationError as exc:
        raise InputError(f"{source}: {_describe(exc)}") from None
    _refuse_not_finite(built, source)
    return built


@functools.lru_cache(maxsize=None)
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        rule = error["msg"].removeprefix("Value error, ")
        got = f" (got {error['input']!r})" if key and not isinstance(error["input"], dict | list) else ""
        parts.append(f"{key}: {rule}{got}" if key else rule)
    return "; ".join(parts)


def _refuse_unknown_and_bools(cls: type, values: Any, source: str) -> None:
    """Unknown keys (pydantic ignores them for a dataclass), and true/false for a number (pydantic takes it)."""
    if not isinstance(values, dict):
        return  # pydantic names the type error
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise InputError(f"{source}: unknown parameter(s) {', '.join(map(str, unknown))} for {cls.__name__}")
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        hint = hints.get(key)
        if dataclasses.is_dataclass(hint):
            _refuse_unknown_and_bools(hint, value, f"{source}.{key}")
        elif isinstance(value, bool) and hint in (int, float, int | None, float | None):
            raise InputError(f"{source}: {key}: must be a number, not {str(value).lower()}")


def _refuse_not_finite(built: Any, source: str, prefix: str = "") -> None:
    """.inf and .nan are YAML floats; no parameter means them (an inf threshold never fires)."""
    for field in dataclasses.fields(built):
        value = getattr(built, field.name)
        key = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value):
            _refuse_not_finite(value, source, f"{key}.")
        elif any(isinstance(v, float) and not math.isfinite(v) for v in (value if isinstance(value, tuple) else (value,))):
            raise InputError(f"{source}: {key}: must be a finite number (got {value!r})")


def load_strategy_config(name: str, cls: type[T], config_dir: Path | None = None) -> T:
    """Load config/<name>.yaml into `cls` (a frozen dataclass whose defaults equal the design documents')."""
    path = (config_dir or get_settings().config_dir) / f"{name}.yaml"
    return build_dataclass(cls, load_yaml(name, config_dir), str(path))
