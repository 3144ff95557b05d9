"""The registry of event kinds: each app declares its kinds at startup.

An app calls ``register()`` from its ``AppConfig.ready()`` with the kind's
value, the label people read ("claimed the escalation") and the typed shape
of its ``data`` (a ``TypedDict``). ``forum.timeline.record()`` refuses a kind
nobody registered and data that does not fit its shape, so a new kind is one
registration in the app that owns it: no forum migration, no forum edit
(``Event.kind`` is a plain string column). See docs/events.md.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

KIND_MAX_LENGTH = 40


class UnknownEventKindError(ValueError):
    """A kind nobody registered: a programming error, never user input."""


class BadEventDataError(ValueError):
    """Event data that does not fit its kind's typed payload."""


@dataclass(frozen=True)
class Kind:
    value: str
    label: str
    payload: type  # a TypedDict describing Event.data
    app: str
    example: dict[str, Any]  # a valid payload, used by tests to round-trip the shape through JSON


_registry: dict[str, Kind] = {}


def register(value: str, label: str, payload: type, *, app: str, example: dict[str, Any]) -> Kind:
    """Declare one kind. Registering the same kind twice with the same owner is harmless (ready() may rerun)."""
    if not value or len(value) > KIND_MAX_LENGTH or not value.replace("_", "").isalnum():
        raise ValueError(f"Event kind {value!r} must be 1-{KIND_MAX_LENGTH} letters, digits or underscores.")
    kind = Kind(value=str(value), label=label, payload=payload, app=app, example=example)
    existing = _registry.get(kind.value)
    if existing is not None and existing.app != app:
        raise ValueError(f"Event kind {value!r} is already registered by {existing.app}.")
    check(kind, example)
    _registry[kind.value] = kind
    return kind


def get(value: str) -> Kind:
    try:
        return _registry[str(value)]
    except KeyError:
        raise UnknownEventKindError(f"Event kind {value!r} is not registered (see forum/timeline/kinds.py).") from None


def label(value: str) -> str:
    """The label of a kind; an unregistered one (an old row) reads as its value."""
    kind = _registry.get(str(value))
    # Labels are marked with gettext_noop where registered (forum/kinds.py, swarm/kinds.py).
    return gettext(kind.label) if kind else str(value).replace("_", " ")


def all_kinds() -> list[Kind]:
    return sorted(_registry.values(), key=lambda k: k.value)


def values() -> list[str]:
    return [k.value for k in all_kinds()]


def _fits(value: Any, annotation: Any) -> bool:
    """A shallow type check of one JSON value against a TypedDict field's annotation."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if annotation is type(None) or annotation is None:
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def check(kind: Kind, data: dict[str, Any]) -> None:
    """Raise BadEventDataError unless ``data`` has the kind's required fields, each of its type, and is plain JSON.

    Fields a kind does not declare are allowed (an app may add context to its own
    events), but every value must survive a JSON round trip unchanged.
    """
    hints = typing.get_type_hints(kind.payload)
    required = getattr(kind.payload, "__required_keys__", frozenset(hints))
    missing = sorted(required - data.keys())
    if missing:
        raise BadEventDataError(f"Event {kind.value!r} needs {', '.join(missing)} in its data.")
    for name, annotation in hints.items():
        if name in data and not _fits(data[name], annotation):
            raise BadEventDataError(f"Event {kind.value!r}: {name}={data[name]!r} is not {annotation}.")
    try:
        same = json.loads(json.dumps(data)) == data
    except (TypeError, ValueError):
        same = False
    if not same:
        raise BadEventDataError(
            f"Event {kind.value!r}: its data must be plain JSON (strings, numbers, lists, objects)."
        )
