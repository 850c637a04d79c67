"""Strict decoding of client frames."""

from __future__ import annotations

import pytest

from chatserver.errors import InvalidInput, TooLarge
from chatserver.protocol import Hello, Send, decode_staff_frame, decode_visitor_frame

LIMIT = 1024


def test_visitor_hello_carries_its_last_sequence() -> None:
    frame = decode_visitor_frame('{"type":"hello","v":1,"token":"t","last_seq":7}', max_bytes=LIMIT)
    assert frame == Hello(1, "t", {"": 7})


def test_staff_send_names_the_conversation() -> None:
    raw = '{"type":"send","conversation_id":"c1","client_msg_id":"m1","text":"hoi","ref":"r"}'
    assert decode_staff_frame(raw, max_bytes=LIMIT) == Send("c1", "m1", "hoi", ref="r")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"type":"send","text":"x"}', "client_msg_id"),
        ('{"type":"send","client_msg_id":"m","text":"x","extra":1}', "extra"),
        ('{"type":"send","client_msg_id":"bad id","text":"x"}', "client_msg_id"),
        ('{"type":"typing","active":"yes"}', "active"),
        ('{"type":"sync","last_seq":-1}', "last_seq"),
        ('{"type":"sync","last_seq":true}', "last_seq"),
        ('{"type":"accept_next"}', "type"),
        ('{"type":"hello","v":2,"token":"t"}', "v"),
    ],
)
def test_invalid_visitor_frames_name_the_field(raw: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_visitor_frame(raw, max_bytes=LIMIT)
    assert raised.value.field == field


@pytest.mark.parametrize("raw", ["not json", "[1]", "null", b'{"type":"ping"}', '{"type":1}'])
def test_frames_that_are_not_json_objects_are_refused(raw: str | bytes) -> None:
    with pytest.raises(InvalidInput):
        decode_visitor_frame(raw, max_bytes=LIMIT)


def test_frames_over_the_size_limit_are_refused_before_parsing() -> None:
    with pytest.raises(TooLarge):
        decode_visitor_frame('{"type":"ping","ref":"' + "x" * LIMIT + '"}', max_bytes=LIMIT)


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"hello","v":true,"token":"t"}',
        '{"type":"hello","v":1.0,"token":"t"}',
        '{"type":"send","client_msg_id":"abc\\n","text":"x"}',
        '{"type":"send","client_msg_id":"m","text":"\\ud800"}',
        '{"type":"ping","\\udfff":1}',
    ],
)
def test_near_misses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        decode_visitor_frame(raw, max_bytes=LIMIT)


def test_a_paired_surrogate_escape_is_ordinary_text() -> None:
    frame = decode_visitor_frame(
        '{"type":"send","client_msg_id":"m","text":"\\ud83d\\ude00"}', max_bytes=LIMIT
    )
    assert frame == Send("", "m", "\U0001f600")
