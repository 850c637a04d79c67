"""The labelled evaluation set for de-identification (written for this project; no real chats).

Each ``messages_*.txt`` holds one message a line; ``{type|text}`` marks a gold span, a
leading ``! `` a hard message, ``#`` a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
MARK = re.compile(r"\{(?P<type>[a-z]+)\|(?P<text>[^{}]+)\}")


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Message:
    text: str
    gold: tuple[Gold, ...]
    hard: bool


def parse(line: str) -> Message:
    hard = line.startswith("! ")
    marked = line[2:] if hard else line
    text, gold, position = "", [], 0
    for match in MARK.finditer(marked):
        text += marked[position : match.start()]
        gold.append(Gold(len(text), len(text) + len(match["text"]), match["type"]))
        text += match["text"]
        position = match.end()
    text += marked[position:]
    return Message(text, tuple(gold), hard)


def messages() -> list[Message]:
    lines = (
        line
        for path in sorted(HERE.glob("messages_*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [parse(line) for line in lines if line.strip() and not line.startswith("#")]
