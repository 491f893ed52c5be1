"""Reading a history exported as JSON, fast: the protobuf JSON mapping for the message types a
workflow history holds, with the field look-ups worked out once per message type.

`google.protobuf.json_format.ParseDict` is pure Python and checks every field generically; it was
a third of `starter.py audit replay`'s time (issue 11). This reader walks the same JSON with a per-type
table. Anything it does not know (a well-known type such as Timestamp, a value in an unexpected
shape) goes to `ParseDict` for that value, so the result is always what `ParseDict` gives; the
replay tests check that on every recorded history.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

Setter = Callable[[Message, Any], None]

_INTS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}
_FLOATS = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

_tables: dict[str, dict[str, Setter]] = {}


def parse_into(data: dict[str, Any], message: Message) -> None:
    """Fill `message` from its JSON object, ignoring unknown fields (as `ParseDict` is called)."""
    table = _tables.get(message.DESCRIPTOR.full_name) or _table(message.DESCRIPTOR)
    for key, value in data.items():
        setter = table.get(key)
        if setter is not None and value is not None:
            setter(message, value)


def _bytes(value: str) -> bytes:
    encoded = value.encode("ascii").replace(b"-", b"+").replace(b"_", b"/")
    return base64.b64decode(encoded + b"=" * (-len(encoded) % 4))


def _float(value: Any) -> float:
    return _SPECIAL_FLOATS[value] if isinstance(value, str) and value in _SPECIAL_FLOATS else float(value)


def _scalar(field: Any) -> Callable[[Any], Any] | None:
    """A converter from the JSON value to the field's Python value; None for message fields."""
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return None
    if field.type == FieldDescriptor.TYPE_ENUM:
        by_name = {v.name: v.number for v in field.enum_type.values}
        return lambda v: by_name[v] if isinstance(v, str) else int(v)
    if field.type in _INTS:
        return int
    if field.type in _FLOATS:
        return _float
    if field.type == FieldDescriptor.TYPE_BOOL:
        return lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[v]
    if field.type == FieldDescriptor.TYPE_BYTES:
        return _bytes
    return str


def _message_filler(descriptor: Any) -> Callable[[Any, Message], Any]:
    """How to fill a sub-message: our table, or `ParseDict` for the well-known types whose JSON
    form is special (Timestamp, Duration, Struct, Any, wrappers...)."""
    if descriptor.full_name.startswith("google.protobuf."):
        return lambda value, sub: json_format.ParseDict(value, sub, ignore_unknown_fields=True)
    return parse_into


def _setter(field: Any) -> Setter:
    name = field.name
    convert = _scalar(field)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_convert = _scalar(field.message_type.fields_by_name["key"]) or str
        value_field = field.message_type.fields_by_name["value"]
        value_convert = _scalar(value_field)
        if value_convert is None:
            fill = _message_filler(value_field.message_type)

            def set_message_map(message: Message, value: dict[str, Any]) -> None:
                target = getattr(message, name)
                for k, v in value.items():
                    fill(v, target[key_convert(k)])

            return set_message_map

        def set_scalar_map(message: Message, value: dict[str, Any]) -> None:
            target = getattr(message, name)
            for k, v in value.items():
                target[key_convert(k)] = value_convert(v)

        return set_scalar_map
    if field.is_repeated:
        if convert is None:
            assert field.message_type is not None
            fill = _message_filler(field.message_type)

            def set_messages(message: Message, value: list[Any]) -> None:
                target = getattr(message, name)
                for item in value:
                    fill(item, target.add())

            return set_messages
        scalar = convert

        def set_scalars(message: Message, value: list[Any]) -> None:
            getattr(message, name).extend(scalar(item) for item in value)

        return set_scalars
    if convert is None:
        fill = _message_filler(field.message_type)

        def set_message(message: Message, value: Any) -> None:
            sub = getattr(message, name)
            sub.SetInParent()
            fill(value, sub)

        return set_message
    single = convert

    def set_scalar(message: Message, value: Any) -> None:
        setattr(message, name, single(value))

    return set_scalar


def _table(descriptor: Any) -> dict[str, Setter]:
    table: dict[str, Setter] = {}
    for field in descriptor.fields:
        setter = _setter(field)
        table[field.json_name] = setter
        table[field.name] = setter
    _tables[descriptor.full_name] = table
    return table
