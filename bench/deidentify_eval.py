"""Recall and over-redaction of de-identification on the labelled set in tests/deidentify_eval.

    python -m bench.deidentify_eval [DEDUCE_CACHE_DIR] [-v] [--zipf=2.5,3,3.5,4]

Prints, for each layer (the detectors alone; the detectors and the conservative layer that
quotes use), the share of gold spans caught by type, over-redaction and milliseconds per
message (-v lists the missed spans; --zipf= also tries other thresholds).
A span is caught only if none of its characters survive; over-redaction is the
share of characters (and of word tokens) outside gold spans that were removed.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.deidentify_eval import Message, messages
from triage.research.deidentify.conservative import Conservative, common_words
from triage.research.deidentify.engine import load_engine
from triage.research.deidentify.spans import Span, merge

WORDS = re.compile(r"\w+")


def covered(text: str, spans: Iterable[Span]) -> list[bool]:
    removed = [False] * len(text)
    for span in merge(spans):
        removed[span.start : span.end] = [True] * span.length
    return removed


def evaluate(name: str, find: Callable[[str], list[Span]], data: list[Message]) -> None:
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    other_chars = other_removed = other_tokens = tokens_removed = 0
    missed: list[str] = []
    started = time.perf_counter()
    found = [find(m.text) for m in data]
    elapsed = time.perf_counter() - started
    for message, spans in zip(data, found, strict=True):
        removed = covered(message.text, spans)
        gold = [False] * len(message.text)
        for g in message.gold:
            gold[g.start : g.end] = [True] * (g.end - g.start)
            total[g.type] += 1
            if all(removed[i] for i in range(g.start, g.end) if not message.text[i].isspace()):
                caught[g.type] += 1
            else:
                missed.append(f"{g.type}: {message.text[g.start : g.end]!r} in {message.text!r}")
        for i, char in enumerate(message.text):
            if not gold[i] and not char.isspace():
                other_chars += 1
                other_removed += removed[i]
        for word in WORDS.finditer(message.text):
            if not any(gold[word.start() : word.end()]):
                other_tokens += 1
                tokens_removed += any(removed[word.start() : word.end()])
    spans_total, spans_caught = sum(total.values()), sum(caught.values())
    print(f"\n== {name}")
    for kind in sorted(total):
        print(f"  {kind:14} {caught[kind]:4}/{total[kind]:<4} {caught[kind] / total[kind]:6.1%}")
    print(f"  {'all spans':14} {spans_caught:4}/{spans_total:<4} {spans_caught / spans_total:6.1%}")
    print(
        f"  over-redaction {other_removed / other_chars:.1%} of characters, "
        f"{tokens_removed / other_tokens:.1%} of tokens outside gold spans"
    )
    print(f"  {1000 * elapsed / len(data):.2f} ms per message")
    if "-v" in sys.argv:
        print("  missed:", *missed, sep="\n    ")


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("-")]
    engine = load_engine(Path(arguments[0] if arguments else "var/deduce-cache"))
    data = messages()
    zipf = common_words()
    hard = sum(m.hard for m in data)
    print(f"{len(data)} messages ({hard} hard), {sum(len(m.gold) for m in data)} gold spans")
    evaluate("detectors", engine.detected, data)
    evaluate("detectors + conservative layer (quotes)", engine.spans, data)
    for option in (a for a in sys.argv[1:] if a.startswith("--zipf=")):
        for threshold in (float(t) for t in option.removeprefix("--zipf=").split(",")):
            layer = Conservative(zipf, threshold=threshold)
            name = f"detectors + conservative layer at Zipf {threshold}"
            evaluate(name, lambda text, c=layer: [*engine.detected(text), *c.spans(text)], data)


if __name__ == "__main__":
    main()
