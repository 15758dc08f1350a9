"""Build frozen dataclasses from parsed YAML, rejecting unknown keys and wrong types."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from bot.errors import ConfigError

T = TypeVar("T")


def build(cls: type[T], data: Any, where: str = "") -> T:
    """Return an instance of dataclass `cls` from mapping `data`; `where` names it in errors."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"config: {where or 'the settings'} must be a mapping, got {_kind(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]  # `cls` is a settings dataclass type
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            raise ConfigError(f"config: unknown key '{_join(where, str(key))}'")
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = convert(hints[name], data[name], _join(where, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config: missing key '{_join(where, name)}'")
    return cls(**values)


def convert(hint: Any, value: Any, where: str) -> Any:
    """Check `value` against the type `hint` and convert it (lists to tuples, str to Path)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return convert(inner[0], value, where)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"config: '{where}' must be one of {choices}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"config: '{where}' must be a list, got {_kind(value)}")
        return tuple(convert(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin in (dict, Mapping, typing.Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: '{where}' must be a mapping, got {_kind(value)}")
        return types.MappingProxyType(
            {convert(args[0], k, f"{where} key"): convert(args[1], v, _join(where, str(k))) for k, v in value.items()}
        )
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:  # noqa: C901 - one branch per settings value type
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config: '{where}' must be true or false, got {_kind(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"config: '{where}' must be an integer, got {_kind(value)}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"config: '{where}' must be a number, got {_kind(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        hint_quote = " (put it in quotes: YAML reads yes/no/on/off as booleans)" if isinstance(value, bool) else ""
        raise ConfigError(f"config: '{where}' must be text, got {_kind(value)}{hint_quote}")
    if hint is Path:
        if isinstance(value, (str, Path)) and str(value).strip():
            return Path(value)
        raise ConfigError(f"config: '{where}' must be a path, got {_kind(value)}")
    raise TypeError(f"unsupported settings type {hint!r} at {where}")  # a bug, not bad config


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    return f"{value!r} ({type(value).__name__})"
