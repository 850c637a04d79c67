"""Client frames: one dataclass per type, decoded strictly.

A frame is a JSON object with a ``type``. Unknown types, unknown fields, wrong
types and out-of-range values are all refused with :class:`InvalidInput`
naming the field, before the frame reaches any code that changes state. Each
frame may carry a ``ref`` string that the server echoes in its reply or error.

Visitors and staff speak the same format but not the same set of frames: a
visitor cannot send ``accept_next`` and a staff member must always name the
conversation a frame is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chatserver.domain.fields import refuse_unknown_fields
from chatserver.errors import InvalidInput, TooLarge

PROTOCOL_VERSION = 1

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Sequence numbers stay below this: the stores keep them as 32-bit integers (PostgreSQL's
#: INTEGER), so a larger position could not exist and must be refused as input, not fail there.
SEQ_LIMIT = 2**31


@dataclass(frozen=True)
class Hello:
    v: int
    token: str
    #: Last sequence seen, per conversation id ("" for the visitor's only one).
    positions: Mapping[str, int] = field(default_factory=dict)
    ref: str | None = None


@dataclass(frozen=True)
class Send:
    conversation_id: str
    client_msg_id: str
    text: str
    ref: str | None = None


@dataclass(frozen=True)
class Typing:
    conversation_id: str
    active: bool
    ref: str | None = None


@dataclass(frozen=True)
class Note:
    conversation_id: str
    client_note_id: str
    text: str
    ref: str | None = None


@dataclass(frozen=True)
class Accept:
    ref: str | None = None


@dataclass(frozen=True)
class Transfer:
    conversation_id: str
    to_staff_id: str
    ref: str | None = None


@dataclass(frozen=True)
class End:
    conversation_id: str
    ref: str | None = None
    #: The visitor left by the quick exit, not by ending the chat.
    quick_exit: bool = False


@dataclass(frozen=True)
class Profile:
    age: int | None
    gender: str | None
    ref: str | None = None


@dataclass(frozen=True)
class Sync:
    """Ask again for everything after ``last_seq``: closes any gap on a live socket."""

    conversation_id: str
    last_seq: int
    ref: str | None = None


@dataclass(frozen=True)
class Ping:
    ref: str | None = None


ClientFrame = Hello | Send | Typing | Note | Accept | Transfer | End | Profile | Sync | Ping


def load_json(raw: str | bytes) -> Any:
    """Parse JSON, refusing text that cannot be stored or sent back as UTF-8.

    A ``\\ud800`` escape decodes to a lone surrogate: valid JSON, but not text. Let in,
    it would fail later, in the database or in the reply, far from the cause.
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("not valid JSON") from None
    if "\\u" in (raw if isinstance(raw, str) else raw.decode("utf-8", "replace")):
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise InvalidInput("text must be valid Unicode (no lone surrogates)") from None
    return data


def encode(frame: Mapping[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# -- field readers -----------------------------------------------------------------------------


def _identifier(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidInput(f"'{name}' must be 1-64 letters, digits, '-' or '_'", field=name)
    return value


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a string", field=name)
    return value


def _boolean(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false", field=name)
    return value


def _seq(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEQ_LIMIT:
        raise InvalidInput(f"'{name}' must be a whole number >= 0", field=name)
    return value


def _optional_int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{name}' must be a whole number or null", field=name)
    return value


def _optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a string or null", field=name)
    return value


def _positions(data: Mapping[str, Any]) -> dict[str, int]:
    value = data.get("positions", {})
    if not isinstance(value, dict) or len(value) > 1000:
        raise InvalidInput("'positions' must map conversation ids to sequences", field="positions")
    positions: dict[str, int] = {}
    for conversation_id, seq in value.items():
        if not _ID.fullmatch(conversation_id):
            raise InvalidInput("'positions' keys must be conversation ids", field="positions")
        positions[conversation_id] = _seq(seq, "positions")
    return positions


# -- frame specs ---------------------------------------------------------------------------------

_Builder = Callable[[Mapping[str, Any], str], ClientFrame]


@dataclass(frozen=True)
class _Spec:
    required: frozenset[str]
    optional: frozenset[str]
    build: _Builder


def _spec(required: str, optional: str, build: _Builder) -> _Spec:
    return _Spec(frozenset(required.split()), frozenset(optional.split()) | {"ref"}, build)


def _hello(data: Mapping[str, Any], conversation: str) -> Hello:
    version = data.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise InvalidInput(f"unsupported protocol version; use v={PROTOCOL_VERSION}", field="v")
    token = _text(data, "token")
    if not 0 < len(token) <= 128:
        raise InvalidInput("'token' must be 1-128 characters", field="token")
    if "last_seq" in data:
        return Hello(PROTOCOL_VERSION, token, {conversation: _seq(data["last_seq"], "last_seq")})
    return Hello(PROTOCOL_VERSION, token, _positions(data))


_VISITOR_SPECS: dict[str, _Spec] = {
    "hello": _spec("v token", "last_seq", _hello),
    "send": _spec(
        "client_msg_id text",
        "",
        lambda d, c: Send(c, _identifier(d, "client_msg_id"), _text(d, "text")),
    ),
    "typing": _spec("active", "", lambda d, c: Typing(c, _boolean(d, "active"))),
    "profile": _spec(
        "",
        "age gender",
        lambda d, c: Profile(_optional_int(d, "age"), _optional_text(d, "gender")),
    ),
    "sync": _spec("last_seq", "", lambda d, c: Sync(c, _seq(d.get("last_seq"), "last_seq"))),
    "end": _spec(
        "",
        "quick_exit",
        lambda d, c: End(c, quick_exit="quick_exit" in d and _boolean(d, "quick_exit")),
    ),
    "ping": _spec("", "", lambda d, c: Ping()),
}

_STAFF_SPECS: dict[str, _Spec] = {
    "hello": _spec("v token", "positions", _hello),
    "send": _spec(
        "conversation_id client_msg_id text",
        "",
        lambda d, c: Send(
            _identifier(d, "conversation_id"), _identifier(d, "client_msg_id"), _text(d, "text")
        ),
    ),
    "typing": _spec(
        "conversation_id active",
        "",
        lambda d, c: Typing(_identifier(d, "conversation_id"), _boolean(d, "active")),
    ),
    "note": _spec(
        "conversation_id client_note_id text",
        "",
        lambda d, c: Note(
            _identifier(d, "conversation_id"), _identifier(d, "client_note_id"), _text(d, "text")
        ),
    ),
    "accept_next": _spec("", "", lambda d, c: Accept()),
    "transfer": _spec(
        "conversation_id to_staff_id",
        "",
        lambda d, c: Transfer(_identifier(d, "conversation_id"), _identifier(d, "to_staff_id")),
    ),
    "end": _spec("conversation_id", "", lambda d, c: End(_identifier(d, "conversation_id"))),
    "sync": _spec(
        "conversation_id last_seq",
        "",
        lambda d, c: Sync(_identifier(d, "conversation_id"), _seq(d.get("last_seq"), "last_seq")),
    ),
    "ping": _spec("", "", lambda d, c: Ping()),
}


#: The frame types each socket accepts (docs/security.md says who may send each).
VISITOR_FRAME_TYPES = frozenset(_VISITOR_SPECS)
STAFF_FRAME_TYPES = frozenset(_STAFF_SPECS)


def decode_visitor_frame(raw: str | bytes, *, max_bytes: int) -> ClientFrame:
    """Decode a visitor frame; ``conversation_id`` is left empty for the caller to bind."""
    return _decode(raw, _VISITOR_SPECS, max_bytes=max_bytes)


def decode_staff_frame(raw: str | bytes, *, max_bytes: int) -> ClientFrame:
    return _decode(raw, _STAFF_SPECS, max_bytes=max_bytes)


def read_ref(raw: str | bytes) -> str | None:
    """Best-effort ``ref`` of a frame that failed to decode, so the error can name it."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    ref = data.get("ref") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) and _ID.fullmatch(ref) else None


def _decode(raw: str | bytes, specs: Mapping[str, _Spec], *, max_bytes: int) -> ClientFrame:
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise TooLarge(f"frame is larger than {max_bytes} bytes")
    if isinstance(raw, bytes):
        raise InvalidInput("frames must be JSON text, not binary")
    data = load_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput("frame must be a JSON object")
    kind = data.get("type")
    spec = specs.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise InvalidInput(f"unknown frame type {kind!r}"[:120], field="type")
    fields = set(data) - {"type"}
    missing = spec.required - fields
    if missing:
        name = sorted(missing)[0]
        raise InvalidInput(f"'{name}' is required", field=name)
    refuse_unknown_fields(data, spec.required | spec.optional | {"type"})
    frame = spec.build(data, "")
    ref = data.get("ref")
    if ref is None:
        return frame
    return replace(frame, ref=_identifier(data, "ref"))
