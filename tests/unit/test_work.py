"""Proof-of-work puzzles: signed, timed, sized in zero bits, and good once."""

from __future__ import annotations

import pytest

from chatserver.domain.work import (
    AutoPolicy,
    BadWork,
    Challenges,
    Fault,
    SpentSet,
    SpreadDetector,
    WorkMode,
    WorkState,
    leading_zero_bits,
    work_digest,
)
from tests.support.work import solve

SECRET = b"s" * 32


def challenges(difficulty: int = 8, secret: bytes = SECRET) -> Challenges:
    return Challenges(secret, difficulty=difficulty, lifetime_s=120)


def fault_of(checker: Challenges, challenge: str, nonce: str, now: float) -> Fault:
    with pytest.raises(BadWork) as refused:
        checker.check(challenge, nonce, now)
    return refused.value.fault


def test_leading_zero_bits_count_across_bytes() -> None:
    assert leading_zero_bits(bytes([0x80])) == 0
    assert leading_zero_bits(bytes([0x01])) == 7
    assert leading_zero_bits(bytes([0, 0, 0x10, 0xFF])) == 19
    assert leading_zero_bits(bytes(4)) == 32


def test_a_solved_puzzle_is_accepted_on_any_node_with_the_secret() -> None:
    puzzle = challenges().issue(now=1000)
    nonce = solve(puzzle)
    assert leading_zero_bits(work_digest(puzzle.challenge, nonce)) >= 8
    checked = Challenges(SECRET, difficulty=20, lifetime_s=5).check(puzzle.challenge, nonce, 1001)
    assert checked.expires_at == puzzle.expires_at  # the signed difficulty and expiry count


def test_a_nonce_that_does_not_solve_the_puzzle_is_wrong() -> None:
    checker = challenges(difficulty=16)
    puzzle = checker.issue(now=1000)
    wrong = next(
        str(n) for n in range(100) if leading_zero_bits(work_digest(puzzle.challenge, str(n))) < 16
    )
    assert fault_of(checker, puzzle.challenge, wrong, 1001) is Fault.WRONG


def test_a_puzzle_past_its_lifetime_is_expired() -> None:
    checker = challenges()
    puzzle = checker.issue(now=1000)
    assert fault_of(checker, puzzle.challenge, solve(puzzle), puzzle.expires_at) is Fault.EXPIRED


def test_a_puzzle_signed_with_another_secret_or_altered_is_malformed() -> None:
    puzzle = challenges(secret=b"o" * 32).issue(now=1000)
    nonce = solve(puzzle)
    checker = challenges()
    assert fault_of(checker, puzzle.challenge, nonce, 1001) is Fault.MALFORMED
    own = checker.issue(now=1000)
    easier = own.challenge.replace("w1.8.", "w1.1.", 1)
    assert fault_of(checker, easier, "0", 1001) is Fault.MALFORMED
    assert fault_of(checker, "nonsense", "0", 1001) is Fault.MALFORMED
    assert fault_of(checker, own.challenge, "NOT A NONCE", 1001) is Fault.MALFORMED


def test_a_challenge_with_characters_outside_ascii_is_malformed_not_a_crash() -> None:
    checker = challenges()
    forged = checker.issue(now=1000).challenge.rsplit(".", 1)[0] + ".\u00e9"

    assert fault_of(checker, forged, "a", 1001) is Fault.MALFORMED
    assert fault_of(checker, "w1.1.2.3.\u00e9", "a", 1001) is Fault.MALFORMED


def test_a_key_is_claimed_once_until_it_expires() -> None:
    spent = SpentSet()
    assert spent.claim("a", until=10, now=0)
    assert not spent.claim("a", until=10, now=5)
    assert spent.claim("b", until=12, now=5)
    assert spent.claim("a", until=20, now=10)  # forgotten once expired


def test_the_spread_counts_different_sources_within_the_window() -> None:
    spread = SpreadDetector(window_s=60, max_sources=100)
    assert spread.note(b"one", 0) == 1
    assert spread.note(b"one", 1) == 1  # one source counts once
    assert spread.note(b"two", 2) == 2
    assert spread.note(b"three", 61) == 2  # "one" was last seen 60 s ago


def test_auto_sees_a_flood_in_many_sources_or_a_near_full_queue() -> None:
    policy = AutoPolicy(sources=20, queue_share=0.8, calm_s=600)
    assert not policy.flooded(spread=19, waiting=39, queue_max=50)
    assert policy.flooded(spread=20, waiting=0, queue_max=0)
    assert policy.flooded(spread=1, waiting=40, queue_max=50)
    assert not policy.flooded(spread=1, waiting=400, queue_max=0)  # no cap, no near-full


def test_work_is_required_when_on_and_in_auto_until_the_calm_period_ends() -> None:
    assert WorkState(WorkMode.ON, 0, SECRET).required(now=1000)
    assert not WorkState(WorkMode.OFF, 2000, SECRET).required(now=1000)
    assert WorkState(WorkMode.AUTO, 2000, SECRET).required(now=1000)
    assert not WorkState(WorkMode.AUTO, 2000, SECRET).required(now=2000)
