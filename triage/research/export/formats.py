"""Dataset files: CSV with a codebook file (zipped together), and SPSS ``.sav``.

The CSV holds the numeric codes (UTF-8, comma-separated, header row, empty cell for
not coded); ``codebook.csv`` beside it gives every column's labels in Dutch and
English, every value's labels, and which codes are declared missing. The ``.sav``
carries the same as variable labels, value labels (Dutch by default) and user-missing
values (``-3`` to ``-1``), so SPSS leaves unknowns out of percentages by itself.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Literal

from triage.research.dataset.rows import MISSING_CODES, Column, Dataset, Language

Format = Literal["csv", "sav"]
FORMATS: tuple[Format, ...] = ("csv", "sav")
MEDIA_TYPES: dict[Format, str] = {"csv": "application/zip", "sav": "application/x-spss-sav"}
#: Fixed entry time in the zip, so the same export gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CODEBOOK_HEADER = (
    "column",
    "label_nl",
    "label_en",
    "type",
    "measure",
    "value",
    "value_label_nl",
    "value_label_en",
    "missing",
)


def file_name(dataset: Dataset, format: Format) -> str:
    stem = f"{dataset.level}s-{dataset.year}"
    return f"{stem}.zip" if format == "csv" else f"{stem}.sav"


def render(dataset: Dataset, format: Format, language: Language) -> bytes:
    """The file's bytes in ``format``; ``language`` picks the ``.sav``'s labels."""
    return csv_zip(dataset) if format == "csv" else sav(dataset, language)


def data_csv(dataset: Dataset) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(dataset.names)
    for row in dataset.rows:
        writer.writerow(["" if row[name] is None else row[name] for name in dataset.names])
    return out.getvalue().encode("utf-8")


def codebook_csv(dataset: Dataset) -> bytes:
    """One line per column, then one per value label (missing codes marked)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CODEBOOK_HEADER)
    for column in dataset.columns:
        writer.writerow(
            (column.name, column.label_nl, column.label_en, column.kind, column.measure) + ("",) * 4
        )
        for label in column.value_labels:
            missing = "yes" if label.value in MISSING_CODES else "no"
            writer.writerow(
                (column.name, "", "", "", "", label.value, label.label_nl, label.label_en, missing)
            )
    return out.getvalue().encode("utf-8")


def csv_zip(dataset: Dataset) -> bytes:
    stem = f"{dataset.level}s-{dataset.year}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            (f"{stem}.csv", data_csv(dataset)),
            ("codebook.csv", codebook_csv(dataset)),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data)
    return buffer.getvalue()


def sav(dataset: Dataset, language: Language) -> bytes:
    """An SPSS system file with labels in ``language`` and declared missing values."""
    # Imported here: pandas takes a while to load, and every server start would pay for it.
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(
        {
            column.name: pd.Series(
                _cells(dataset, column), dtype=object if column.kind == "string" else "float64"
            )
            for column in dataset.columns
        },
        columns=list(dataset.names),
    )
    numeric = [c for c in dataset.columns if c.kind == "numeric"]
    options: dict[str, Any] = {
        "file_label": _file_label(dataset, language),
        "column_labels": {c.name: c.label(language) for c in dataset.columns},
        "variable_value_labels": {
            c.name: {float(v.value): v.label(language) for v in c.value_labels} for c in numeric
        },
        "missing_ranges": {
            c.name: [{"lo": float(min(MISSING_CODES)), "hi": float(max(MISSING_CODES))}]
            for c in numeric
        },
        "variable_measure": {c.name: c.measure for c in dataset.columns},
        "variable_format": {
            c.name: "F8.0" if c.kind == "numeric" else f"A{_string_width(dataset, c)}"
            for c in dataset.columns
        },
    }
    with tempfile.TemporaryDirectory(prefix="research-export-") as folder:
        path = Path(folder) / "export.sav"
        pyreadstat.write_sav(frame, path, **options)
        return path.read_bytes()


def _cells(dataset: Dataset, column: Column) -> list[str] | list[float]:
    """A column's cells as SPSS takes them: text, or numbers with NaN for system missing."""
    cells = [row[column.name] for row in dataset.rows]
    if column.kind == "string":
        return ["" if cell is None else str(cell) for cell in cells]
    return [float("nan") if cell is None else float(cell) for cell in cells]


def _string_width(dataset: Dataset, column: Column) -> int:
    return max([8, *(len(str(row[column.name] or "")) for row in dataset.rows)])


def _file_label(dataset: Dataset, language: Language) -> str:
    level = {"person": ("personen", "persons"), "conversation": ("gesprekken", "conversations")}
    nl, en = level[dataset.level]
    if language == "nl":
        return f"Onderzoeksexport {nl} {dataset.year} ({dataset.edition_id})"
    return f"Research export {en} {dataset.year} ({dataset.edition_id})"
