"""The settings that open /metrics and time a node's drain refuse unsafe values."""

from __future__ import annotations

import pytest

from chatserver.settings import Settings, SettingsError

SHORT_TOKEN = "only-twenty-chars-00"


def test_metrics_are_off_unless_a_token_is_set() -> None:
    assert Settings.from_environ({}).metrics_token == ""


def test_a_short_metrics_token_is_refused_without_quoting_it() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"METRICS_TOKEN": SHORT_TOKEN})
    assert SHORT_TOKEN not in str(refused.value)


def test_the_metrics_token_is_kept_out_of_the_settings_repr() -> None:
    token = "a" * 40
    assert token not in repr(Settings.from_environ({"METRICS_TOKEN": token}))


def test_a_drain_of_zero_is_allowed() -> None:
    assert Settings.from_environ({"SHUTDOWN_DRAIN_S": "0"}).shutdown_drain_s == 0


def test_a_negative_drain_is_refused() -> None:
    with pytest.raises(SettingsError):
        Settings.from_environ({"SHUTDOWN_DRAIN_S": "-1"})
