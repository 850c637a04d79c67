"""The yearly report's files: one self-contained HTML page, and every table as CSV.

The page has no script and fetches nothing: charts are inline SVG
(:mod:`triage.research.report.charts`), the one stylesheet is inline and allowed by its
hash in the page's own Content-Security-Policy, so it opens offline and under the
app's strict policy alike (where the stylesheet does not apply, the page stays
readable). The zip holds the page, ``tables/about.csv`` (year, edition, disclosure
settings), ``tables/index.csv`` (one line per table) and one CSV per table in a long
format: one line per figure, with its group's denominator in words and in number.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from itertools import groupby

from triage.research.dataset.rows import Language
from triage.research.export.formats import ZIP_TIME
from triage.research.report.charts import Bar, bar_chart
from triage.research.report.small_cells import SmallCells
from triage.research.report.tables import Group, Row, Table
from triage.research.report.texts import FIGURES, PARTS

HIDDEN = "\N{MULTIPLICATION SIGN}"
SMALL = "*"
CSV_HEADER = (
    "table",
    "group",
    "group_label",
    "denominator",
    "population",
    "n",
    "row",
    "label",
    "kind",
    "count",
    "percent",
    "value",
    "flag",
    "n_all",
    "percent_all",
)
STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;"
    "line-height:1.45;max-width:62rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem;width:46rem;max-width:100%}"
    "th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;width:6.5rem}"
    "tbody th{font-weight:normal}tr.derived th,tr.derived td{font-style:italic}"
    ".denominator,.note,.facts{color:#444}.note{font-size:.9em}"
    "section{margin-bottom:2.5rem}svg{display:block;max-width:100%;height:auto}"
    "section.part{border-top:3px solid #2f6690;padding-top:.5rem}"
    "caption{caption-side:top;text-align:left;padding:.25rem 0}"
    "caption .label{display:block;font-weight:600;font-size:1.05em}"
    "figure{margin:.5rem 0 1.5rem}figcaption{font-weight:600;margin-bottom:.25rem}"
    "nav ol ol{margin:.1rem 0 .4rem}"
    "@media print{section.table{break-inside:avoid}section.part{break-before:page}}"
)
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Jaarcijfers mensenhandel {year}", "Yearly figures on human trafficking {year}"),
    "facts": (
        "Codeboekeditie {edition} · gemaakt op {made} · kleine aantallen (minder dan "
        "{threshold}) {mode}",
        "Codebook edition {edition} · made on {made} · small counts (under {threshold}) {mode}",
    ),
    "suppress": ("onderdrukt", "suppressed"),
    "flag": ("gemarkeerd, niet onderdrukt", "flagged, not suppressed"),
    "publish": (
        "getoond zoals CKM publiceert (leeftijden alleen als grenzen)",
        "shown as CKM publishes them (ages only as bounds)",
    ),
    "reading": ("Leeswijzer", "How to read"),
    "reading_known": (
        "Percentages zijn over de gevallen waarin het gegeven bekend is, tenzij de tabel een "
        "andere noemer noemt; elke groep noemt zijn noemer en n. Hulpverleners vragen niet naar "
        "codeboekgegevens: de cijfers zijn ondergrenzen.",
        "Percentages are over the cases where the variable is known unless the table names "
        "another denominator; every group states its denominator and n. Counsellors do not ask "
        "for codebook facts: the figures are lower bounds.",
    ),
    "reading_hidden": (
        f"{HIDDEN} = niet getoond om herleidbaarheid tot personen te voorkomen (een klein aantal, "
        "of een getal waaruit een klein aantal af te leiden is).",
        f"{HIDDEN} = not shown so that no one can be singled out (a small count, or a figure a "
        "small count could be worked out from).",
    ),
    "reading_small": (
        f"{SMALL} = klein aantal (minder dan {{threshold}}): niet publiceren zonder nadere "
        "controle.",
        f"{SMALL} = small count (under {{threshold}}): do not publish without further checks.",
    ),
    "contents": ("Inhoud", "Contents"),
    "table": ("Tabel {number}", "Table {number}"),
    "unit": ("Telt: {unit}", "Counts: {unit}"),
    "over": ("Percentages over: {denominator}", "Percentages over: {denominator}"),
    "n": ("n = {n}", "n = {n}"),
    "of": (
        "n = {n} van {population} ({unknown} onbekend of niet gecodeerd)",
        "n = {n} of {population} ({unknown} unknown or not coded)",
    ),
    "too_few": ("te weinig gevallen om te tonen", "too few cases to show"),
    "category": ("Categorie", "Category"),
    "count": ("Aantal", "Count"),
    "percent": ("%", "%"),
    "percent_all": ("% van allen", "% of all"),
    "figure": ("Gegeven", "Figure"),
    "younger": ("jonger dan {value}", "younger than {value}"),
    "older": ("ouder dan {value}", "older than {value}"),
}


@dataclass(frozen=True)
class ReportFacts:
    """What the report says about itself (and ``tables/about.csv`` records)."""

    year: int
    edition_id: str
    language: Language
    threshold: int
    small_cells: SmallCells
    made_on: date
    earlier_years: int


def file_stem(year: int) -> str:
    return f"report-{year}"


def report_zip(tables: Sequence[Table], facts: ReportFacts) -> tuple[bytes, bytes]:
    """The HTML page and the zip (the page and the tables as CSV)."""
    page = html(tables, facts).encode("utf-8")
    files = [
        (f"{file_stem(facts.year)}.html", page),
        ("tables/about.csv", _about(facts)),
        ("tables/index.csv", _index(tables, facts.language)),
        *(
            (f"tables/{_csv_name(i, t)}", table_csv(t, facts.language))
            for i, t in _numbered(tables)
        ),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data)
    return page, buffer.getvalue()


# -- CSV ----------------------------------------------------------------------------------------


def table_csv(table: Table, language: Language) -> bytes:
    """One line per figure; empty cells where a figure is hidden or does not apply."""

    def rows() -> list[tuple[object, ...]]:
        return [
            (
                table.key,
                group.key,
                group.label(language),
                group.denominator(language),
                _blank(group.population),
                _blank(row.n if row.kind == "count" else group.n),
                row.key,
                row.label(language),
                "derived" if row.derived else row.kind,
                _blank(row.count),
                _blank(row.percent),
                _csv_value(row),
                row.flag,
                _blank(row.n_all),
                _blank(row.percent_all),
            )
            for group in table.groups
            for row in group.rows
        ]

    return _csv([CSV_HEADER, *rows()])


def _index(tables: Sequence[Table], language: Language) -> bytes:
    header = ("number", "table", "file", "title", "unit", "note")
    lines = [
        (
            number,
            t.key,
            _csv_name(number, t),
            t.title(language),
            t.unit(language),
            _note(t, language),
        )
        for number, t in _numbered(tables)
    ]
    return _csv([header, *lines])


def _about(facts: ReportFacts) -> bytes:
    return _csv(
        [
            ("key", "value"),
            ("year", facts.year),
            ("earlier_years", facts.earlier_years),
            ("codebook_edition", facts.edition_id),
            ("small_cell_threshold", facts.threshold),
            ("small_cells", facts.small_cells),
            ("language", facts.language),
            ("made_on", facts.made_on.isoformat()),
        ]
    )


def _csv(lines: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8")


def _csv_value(row: Row) -> str:
    if row.value is None:
        return ""
    if row.kind == "bound":
        return f"{row.direction}{row.value:g}"
    return f"{row.value:g}"


def _blank(value: object) -> object:
    return "" if value is None else value


def _numbered(tables: Sequence[Table]) -> list[tuple[int, Table]]:
    return list(enumerate(tables, start=1))


def _csv_name(number: int, table: Table) -> str:
    return f"{number:02d}-{table.key}.csv"


def _note(table: Table, language: Language) -> str:
    return table.note(language) if table.note else ""


# -- HTML ---------------------------------------------------------------------------------------


class _Page:
    def __init__(self, facts: ReportFacts) -> None:
        self.facts = facts
        self.language = facts.language

    def word(self, key: str, **values: object) -> str:
        nl, en = WORDS[key]
        return (nl if self.language == "nl" else en).format(**values)

    def number(self, value: float, decimals: int | None = None) -> str:
        """In the report's language; whole numbers without decimals unless ``decimals``."""
        plain = value == int(value) and decimals is None
        text = f"{value:.0f}" if plain else f"{value:.{1 if decimals is None else decimals}f}"
        return text.replace(".", ",") if self.language == "nl" else text

    def count(self, row: Row) -> str:
        if row.count is None:
            return HIDDEN if row.flag == "suppressed" else ""
        return f"{row.count}{SMALL if row.flag == 'small' else ''}"

    def percent(self, row: Row, *, of_all: bool = False) -> str:
        share = row.percent_all if of_all else row.percent
        if share is None:
            return HIDDEN if row.flag == "suppressed" and row.n is not None else ""
        return f"{self.number(share, decimals=1)}%"

    def value(self, row: Row) -> str:
        if row.value is None:
            return HIDDEN
        if row.kind == "bound":
            key = "younger" if row.direction == "<" else "older"
            return self.word(key, value=self.number(row.value))
        return self.number(row.value)

    def part(self, number: int, part: str, tables: Sequence[tuple[int, Table]]) -> str:
        """A chapter of the report: its title, then its tables."""
        title = escape(PARTS[part](self.language))
        return "".join(
            [
                f'<section class="part" id="p-{escape(part)}"><h2>{number}. {title}</h2>',
                *(self.section(n, table) for n, table in tables),
                "</section>",
            ]
        )

    def contents(self, part: str, tables: Sequence[tuple[int, Table]]) -> str:
        """The chapter's line in the contents, with its tables under it by their number."""
        items = "".join(
            f'<li value="{n}"><a href="#t-{escape(t.key)}">{escape(t.title(self.language))}</a>'
            "</li>"
            for n, t in tables
        )
        title = escape(PARTS[part](self.language))
        return f'<li><a href="#p-{escape(part)}">{title}</a><ol>{items}</ol></li>'

    def section(self, number: int, table: Table) -> str:
        title = escape(f"{self.word('table', number=number)}. {table.title(self.language)}")
        parts = [
            f'<section class="table" id="t-{escape(table.key)}"><h3>{title}</h3>',
            f'<p class="facts">{escape(self.word("unit", unit=table.unit(self.language)))}</p>',
        ]
        if table.chart == "years":
            parts.append(self.years(table))
        else:
            parts.extend(self.group(table, group) for group in table.groups)
        if table.note:
            parts.append(f'<p class="note">{escape(table.note(self.language))}</p>')
        parts.append("</section>")
        return "".join(parts)

    def denominator(self, group: Group) -> str:
        if group.n is None and not group.flag:
            return escape(_capital(group.denominator(self.language)))
        over = self.word("over", denominator=group.denominator(self.language))
        if group.n is None:
            size = f"n {HIDDEN} ({self.word('too_few')})"
        elif group.population is not None and group.population != group.n:
            size = self.word(
                "of", n=group.n, population=group.population, unknown=group.population - group.n
            )
        else:
            size = self.word("n", n=group.n)
        small = SMALL if group.flag == "small" else ""
        return f"{escape(over)}. {escape(size)}{small}"

    def group(self, table: Table, group: Group) -> str:
        label = group.label(self.language)
        #: The share over every case, unknown included, beside the one over known cases.
        of_all = any(r.n_all is not None and r.n_all != r.n for r in group.rows)
        columns = ("count", "percent", "percent_all") if of_all else ("count", "percent")
        head = "".join(f'<th scope="col" class="num">{escape(self.word(c))}</th>' for c in columns)
        parts = [
            f'<table><caption><span class="label">{escape(label)}</span>'
            f'<span class="denominator">{self.denominator(group)}</span></caption><thead><tr>'
            f'<th scope="col">{escape(self.word("category"))}</th>{head}'
            "</tr></thead><tbody>",
        ]
        for row in group.rows:
            css = ' class="derived"' if row.derived else ""
            heading = f'<th scope="row">{escape(row.label(self.language))}</th>'
            if row.kind == "count":
                cells = (
                    f'<td class="num">{escape(self.count(row))}</td>'
                    f'<td class="num">{escape(self.percent(row))}</td>'
                )
                if of_all:
                    cells += f'<td class="num">{escape(self.percent(row, of_all=True))}</td>'
            else:
                span = len(columns)
                cells = f'<td class="num" colspan="{span}">{escape(self.value(row))}</td>'
            parts.append(f"<tr{css}>{heading}{cells}</tr>")
        parts.append("</tbody></table>")
        parts.append(self.figure(table, group))
        return "".join(parts)

    def figure(self, table: Table, group: Group) -> str:
        """CKM's figure of the group, if CKM draws one: its bars, captioned with its n."""
        caption = FIGURES.get((table.key, group.key))
        atoms = [row for row in group.rows if row.kind == "count" and not row.derived]
        if caption is None or not atoms or group.flag == "suppressed":
            return ""
        title = caption(self.language)
        chart = self.bars(title, [(row.label(self.language), row) for row in atoms])
        if not chart:
            return ""
        if group.n is not None:
            title = f"{title} ({self.word('n', n=group.n)})"
        return f"<figure><figcaption>{escape(title)}</figcaption>{chart}</figure>"

    def bars(self, title: str, labelled: Sequence[tuple[str, Row]]) -> str:
        """Shares on a 0-100 scale, or nothing when every figure is hidden."""
        if all(row.count is None for _, row in labelled):
            return ""
        bars = [Bar(label, row.percent, self.shown(row)) for label, row in labelled]
        return bar_chart(title, bars, maximum=100.0)

    def shown(self, row: Row) -> str:
        if row.count is None:
            return self.count(row)
        return f"{self.percent(row)} ({self.count(row)})"

    def years(self, table: Table) -> str:
        """Figures as rows, years as columns (CKM's comparison is a table, not a figure)."""
        first = table.groups[0]
        head = "".join(
            f'<th scope="col" class="num">{escape(g.label(self.language))}</th>'
            for g in table.groups
        )
        parts = [
            f"<table><caption>{escape(_capital(first.denominator(self.language)))}</caption>"
            f'<thead><tr><th scope="col">{escape(self.word("figure"))}</th>{head}</tr>'
            "</thead><tbody>",
        ]
        for row in first.rows:
            across = [group.row(row.key) for group in table.groups]
            cells = "".join(f'<td class="num">{escape(self.fraction(r))}</td>' for r in across)
            parts.append(f'<tr><th scope="row">{escape(row.label(self.language))}</th>{cells}</tr>')
        parts.append("</tbody></table>")
        return "".join(parts)

    def fraction(self, row: Row) -> str:
        """``42 / 180 (23,3%)``: the count, its denominator and the share; or the statistic."""
        if row.kind != "count":
            return self.value(row)
        if row.n is None:
            return self.count(row)
        if row.count is None:
            return f"{HIDDEN} / {row.n}"
        return f"{self.count(row)} / {row.n} ({self.percent(row)})"


def _parts(tables: Sequence[Table]) -> list[tuple[str, list[tuple[int, Table]]]]:
    """The report's chapters in order, each with its (numbered) tables."""
    return [
        (part, list(numbered))
        for part, numbered in groupby(_numbered(tables), key=lambda item: item[1].part)
    ]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def html(tables: Sequence[Table], facts: ReportFacts) -> str:
    page = _Page(facts)
    title = page.word("title", year=facts.year)
    style_hash = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'sha256-{style_hash}'"
    reading = [page.word("reading_known"), page.word("reading_hidden")]
    if facts.small_cells == "flag":
        reading.append(page.word("reading_small", threshold=facts.threshold))
    parts = _parts(tables)
    contents = "".join(page.contents(part, numbered) for part, numbered in parts)
    facts_line = page.word(
        "facts",
        edition=facts.edition_id,
        made=facts.made_on.isoformat(),
        threshold=facts.threshold,
        mode=page.word(facts.small_cells),
    )
    return "".join(
        [
            f'<!DOCTYPE html><html lang="{facts.language}"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f'<header><h1>{escape(title)}</h1><p class="facts">{escape(facts_line)}</p></header>',
            f"<section><h2>{escape(page.word('reading'))}</h2><ul>",
            *(f"<li>{escape(line)}</li>" for line in reading),
            f"</ul></section><nav><h2>{escape(page.word('contents'))}</h2><ol>{contents}</ol></nav>",
            *(
                page.part(number, part, numbered)
                for number, (part, numbered) in enumerate(parts, start=1)
            ),
            "</body></html>\n",
        ]
    )
