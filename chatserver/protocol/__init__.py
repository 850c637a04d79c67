"""The WebSocket wire format, version 1: pure parsing and encoding, no sockets."""

from chatserver.protocol.frames import (
    PROTOCOL_VERSION,
    Accept,
    ClientFrame,
    End,
    Hello,
    Note,
    Ping,
    Profile,
    Send,
    Sync,
    Transfer,
    Typing,
    decode_staff_frame,
    decode_visitor_frame,
    encode,
)

__all__ = [
    "PROTOCOL_VERSION",
    "Accept",
    "ClientFrame",
    "End",
    "Hello",
    "Note",
    "Ping",
    "Profile",
    "Send",
    "Sync",
    "Transfer",
    "Typing",
    "decode_staff_frame",
    "decode_visitor_frame",
    "encode",
]
