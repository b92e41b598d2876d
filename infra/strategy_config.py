"""Strategy parameters from config/<name>.yaml, validated into the domain's frozen dataclasses."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

import yaml

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
    """Construct `cls` from a mapping, refusing unknown keys and nesting into dataclass fields."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise InputError(f"{source}: unknown parameter(s) {', '.join(unknown)} for {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        field_type = fields[key].type
        nested = _dataclass_type(cls, key)
        if nested is not None and isinstance(value, dict):
            kwargs[key] = build_dataclass(nested, value, f"{source}.{key}")
        elif isinstance(value, list) and "tuple" in str(field_type):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{source}: {exc}") from exc


def _dataclass_type(cls: type, name: str) -> type | None:
    import typing

    hints = typing.get_type_hints(cls)
    hint = hints.get(name)
    return hint if dataclasses.is_dataclass(hint) else None


def load_strategy_config(name: str, cls: type[T], config_dir: Path | None = None) -> T:
    """Load config/<name>.yaml into `cls` (a frozen dataclass whose defaults equal the design documents')."""
    path = (config_dir or get_settings().config_dir) / f"{name}.yaml"
    return build_dataclass(cls, load_yaml(name, config_dir), str(path))
