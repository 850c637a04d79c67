"""The synthetic year: the same seed gives the same year, and every coding is valid."""

from __future__ import annotations

from triage.codebook import current_edition, validate_values
from triage.research.dataset.synthetic import plan


def test_the_same_seed_plans_the_same_year() -> None:
    assert plan(2024, 40, seed=5) == plan(2024, 40, seed=5)
    assert plan(2024, 40, seed=5) != plan(2024, 40, seed=6)


def test_every_planned_coding_passes_the_codebook() -> None:
    edition = current_edition()
    for conversation in plan(2024, 80, seed=1).conversations:
        assert validate_values(edition, dict(conversation.values)) == conversation.values


def test_visitors_with_several_conversations_are_linked_under_different_usernames() -> None:
    for visitor in plan(2024, 80, seed=2).visitors:
        names = {c.pseudonym for c in visitor.conversations}
        assert (visitor.person_id is not None) == (len(visitor.conversations) > 1)
        assert len(names) == len(visitor.conversations)
