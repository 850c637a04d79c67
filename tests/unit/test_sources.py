"""Per-source limits count by a keyed hash that rotates, never by the address itself."""

from __future__ import annotations

from chatserver.domain.sources import Concurrent, SourceKeys, StartWindow


def test_a_source_is_refused_past_its_window_and_let_in_when_it_has_passed() -> None:
    window = StartWindow(SourceKeys(3600, now=0), limit=2, window_s=60)
    assert window.admit("203.0.113.7", 0) == 0
    assert window.admit("203.0.113.7", 1) == 0
    assert window.admit("203.0.113.7", 2) == 58
    assert window.admit("198.51.100.1", 2) == 0  # another source is not affected
    assert window.admit("203.0.113.7", 60) == 0


def test_a_key_rotation_does_not_give_a_source_a_fresh_budget() -> None:
    keys = SourceKeys(rotate_s=10, now=0)
    window = StartWindow(keys, limit=1, window_s=60)
    sockets = Concurrent(keys, limit=1)
    assert window.admit("203.0.113.7", 0) == 0
    held = sockets.take("203.0.113.7", 0)
    assert held is not None
    assert window.admit("203.0.113.7", 11) > 0
    assert sockets.take("203.0.113.7", 11) is None
    held.release()
    held.release()  # once only
    assert sockets.total() == 0
    assert sockets.take("203.0.113.7", 12) is not None


def test_the_address_is_not_kept_anywhere_in_the_limits() -> None:
    keys = SourceKeys(3600, now=0)
    window = StartWindow(keys, limit=5, window_s=60)
    window.admit("203.0.113.7", 0)
    assert "203.0.113.7" not in repr(vars(window)) + repr(vars(keys))
    assert b"203.0.113.7" not in b"".join(vars(window)["_events"])
