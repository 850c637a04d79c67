"""The backoff rule of the login throttle, and TOTP codes, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from chatserver.auth.totp import matching_step, new_secret
from chatserver.domain.backoff import FORGET_AFTER_S, Attempts, BackoffPolicy

POLICY = BackoffPolicy(free=3, base_s=30.0, max_s=900.0)
NOW = datetime(2026, 11, 30, 9, 0, 7, tzinfo=UTC)


def after(count: int, start: float = 1000.0) -> Attempts:
    attempts = Attempts()
    for number in range(count):
        attempts = attempts.one_more(start + number, POLICY)
    return attempts


def test_the_first_free_attempts_wait_for_nothing_then_each_doubles_up_to_the_cap() -> None:
    delays = [POLICY.delay_s(count) for count in range(1, 12)]
    assert delays == [0, 0, 30, 60, 120, 240, 480, 900, 900, 900, 900]


def test_a_free_attempt_does_not_hold_up_a_parallel_one_stamped_a_moment_earlier() -> None:
    counted = Attempts().one_more(1000.5, POLICY)
    assert counted.wait_s(1000.0) == 0


def test_a_huge_count_stays_at_the_cap() -> None:
    assert POLICY.delay_s(10**6) == 900


def test_after_the_free_attempts_the_next_one_must_wait() -> None:
    attempts = after(3)
    assert attempts.count == 3
    assert attempts.wait_s(1002.0) == 30
    assert attempts.wait_s(1032.0) == 0


def test_attempts_are_forgotten_after_a_day_without_one() -> None:
    attempts = after(7)
    later = attempts.last_at + FORGET_AFTER_S
    assert attempts.one_more(later, POLICY).count == 1
    assert attempts.one_more(later - 1, POLICY).count == 8


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_a_code_of_this_step_or_one_step_either_side_names_its_step(drift: int) -> None:
    secret = new_secret()
    step = pyotp.TOTP(secret).timecode(NOW)
    code = code_at(secret, NOW + timedelta(seconds=30 * drift))
    assert matching_step(secret, code, NOW) == step + drift


@pytest.mark.parametrize("drift", [-2, 2])
def test_a_code_two_steps_away_is_no_match(drift: int) -> None:
    secret = new_secret()
    assert matching_step(secret, code_at(secret, NOW + timedelta(seconds=30 * drift)), NOW) is None


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "12345a", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_anything_but_six_ascii_digits_is_no_match(code: str) -> None:
    assert matching_step(new_secret(), code, NOW) is None


def test_spaces_in_a_code_are_ignored() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    assert matching_step(secret, f"{code[:3]} {code[3:]}", NOW) is not None
