"""Dutch de-identification of a chat message: deduce, our chat rules, one set of tags.

deduce (https://github.com/vmenger/deduce) builds lookup tables from its word lists on first
use, which takes about a minute; it then pickles them into a cache directory
(``DEDUCE_CACHE_DIR``) and later loads take seconds. The server loads it only in its
de-identification worker (:mod:`triage.research.deidentify.worker`). A file lock makes
concurrent processes build the cache once. The cache is a pickle:
keep its directory writable by the service user only.

deduce's tags become ours (``TAGS``); anything else it finds is removed as ``[ANONIEM]``.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.research.deidentify.chat_rules import CaseBlindLookup, rule_spans
from triage.research.deidentify.conservative import Conservative, common_words
from triage.research.deidentify.identifiers import identifier_spans
from triage.research.deidentify.lexicon import Lexicon, workplace_spans
from triage.research.deidentify.spans import Span, Tag, redact

if TYPE_CHECKING:  # docdeid pulls in numpy: not at start-up, only with deduce itself
    from docdeid.ds.lookup import LookupSet, LookupTrie

#: deduce's tags (after its own merging) and ours. "persoon" is deduce's merged name tag.
TAGS = {
    "persoon": Tag.NAAM,
    "patient": Tag.NAAM,
    "voornaam": Tag.NAAM,
    "achternaam": Tag.NAAM,
    "locatie": Tag.LOCATIE,
    "ziekenhuis": Tag.INSTELLING,
    "zorginstelling": Tag.INSTELLING,
    "datum": Tag.DATUM,
    "leeftijd": Tag.LEEFTIJD,
    "telefoonnummer": Tag.TELEFOONNUMMER,
    "emailadres": Tag.EMAIL,
    "url": Tag.URL,
    "bsn": Tag.NUMMER,
    "id": Tag.NUMMER,
}

log = logging.getLogger(__name__)


def tag_of(deduce_tag: str) -> Tag:
    return TAGS.get(deduce_tag.lower(), Tag.ANONIEM)


class Engine:
    """A loaded deduce with our rules; :meth:`deidentify` is synchronous and CPU-bound."""

    def __init__(
        self, model: Any, names: CaseBlindLookup, conservative: Conservative, lexicon: Lexicon
    ) -> None:
        self._model = model
        self._names = names
        self.keep_nationality = False
        self._lexicon = lexicon
        self._conservative = conservative
        self._lock = threading.Lock()  # deduce does not promise thread safety

    def detected(self, text: str) -> list[Span]:
        """What the detectors find: deduce, our rules, the case-blind name lists."""
        with self._lock:
            document = self._model.deidentify(text)
        found = [Span(a.start_char, a.end_char, tag_of(a.tag)) for a in document.annotations]
        return [
            *found,
            *rule_spans(text),
            *identifier_spans(text),
            *workplace_spans(text),
            *self._lexicon.spans(text),
            *self._names.spans(text),
        ]

    def spans(self, text: str) -> list[Span]:
        """What a quote loses: the detectors' spans and the conservative layer's."""
        found = [*self.detected(text), *self._conservative.spans(text)]
        if self.keep_nationality:
            return [span for span in found if span.tag is not Tag.LAND]
        return found

    def deidentify(self, text: str) -> str:
        return redact(text, self.spans(text))


#: Where deduce keeps its pickle inside the cache directory (deduce.lookup_structs).
CACHE_FILE = Path("cache") / "lookup_structs.pickle"


def load_engine(cache_dir: Path, *, keep_nationality: bool = False) -> Engine:
    """deduce with its tables from ``cache_dir``, building them there first if needed.

    ``keep_nationality`` leaves countries and nationalities in (``QUOTES_KEEP_NATIONALITY``).
    """
    with _cache_lock(cache_dir):
        model = _deduce(cache_dir)
    structs = model.lookup_structs
    first_names = (" ".join(entry).lower() for entry in _entries(structs["first_name"]))
    engine = Engine(
        model, _case_blind_lookup(structs), Conservative(common_words()), Lexicon(first_names)
    )
    engine.keep_nationality = keep_nationality
    return engine


def ensure_cache(cache_dir: Path) -> None:
    """Build deduce's tables into ``cache_dir`` unless they are there (a deployment step)."""
    with _cache_lock(cache_dir):
        if not (cache_dir / CACHE_FILE).exists():
            _deduce(cache_dir)


def _deduce(cache_dir: Path) -> Any:
    deduce = _import_deduce()
    try:
        return deduce.Deduce(cache_path=cache_dir)
    except (EOFError, pickle.UnpicklingError):  # a cache left half-written by a crash
        log.warning("deduce cache unreadable; rebuilding it")
        return deduce.Deduce(cache_path=cache_dir, build_lookup_structs=True)


def _import_deduce() -> Any:
    """Import deduce without the root logging set-up it does on import (DEBUG to stdout)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return importlib.import_module("deduce")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@contextmanager
def _cache_lock(cache_dir: Path) -> Iterator[None]:
    """One process at a time builds or reads the cache, so none reads a half-written one."""
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (cache_dir / "build.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _case_blind_lookup(structs: Any) -> CaseBlindLookup:
    return CaseBlindLookup(
        first_names=_entries(structs["first_name"]),
        places=_entries(structs["placename"]),
        surnames=[*_entries(structs["surname"]), *_words(structs["interfix_surname"])],
        interfixes=_words(structs["interfix"]),
    )


def _entries(trie: LookupTrie) -> Iterator[list[str]]:
    """Every entry of a deduce lookup trie, as its list of tokens."""
    stack: list[tuple[LookupTrie, list[str]]] = [(trie, [])]
    while stack:
        node, path = stack.pop()
        if node.is_terminal:
            yield path
        stack.extend((child, [*path, token]) for token, child in node.children.items())


def _words(lookup: LookupSet) -> list[list[str]]:
    return [[item] for item in lookup.items()]
