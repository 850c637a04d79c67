"""Writes triage/research/deidentify/data/common_words.tsv.gz from wordfreq (a build step).

    pip install 'wordfreq>=3.1' && python -m bench.common_words

Every alphabetic word whose Zipf frequency in Dutch or English is at least ``FLOOR``, with
the higher of the two. The server reads the file (no wordfreq at run time) and treats a
word below its threshold (``conservative.ZIPF_THRESHOLD``) as possibly identifying.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import wordfreq  # type: ignore[import-not-found,unused-ignore]

FLOOR = 2.5
OUT = Path("triage/research/deidentify/data/common_words.tsv.gz")
ALPHABETIC = re.compile(r"[^\W\d_]+")


def main() -> None:
    best: dict[str, float] = {}
    for language in ("nl", "en"):
        for word, frequency in wordfreq.get_frequency_dict(language).items():
            if ALPHABETIC.fullmatch(word):
                zipf = wordfreq.freq_to_zipf(frequency)
                if zipf >= FLOOR:
                    best[word] = max(best.get(word, 0.0), zipf)
    lines = "".join(f"{w}\t{z:.2f}\n" for w, z in sorted(best.items()))
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(lines)
    print(f"{len(best)} words into {OUT}")


if __name__ == "__main__":
    main()
