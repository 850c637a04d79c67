"""Datasets, disclosure control and file formats, on small hand-made years."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pyreadstat
import pytest

from tests.support.records import conversation
from triage.codebook import UNKNOWN
from triage.research.dataset.pipeline import ConversationRecord, YearCount, count_year
from triage.research.dataset.rows import (
    NOT_APPLICABLE_CODE,
    SUPPRESSED_CODE,
    UNKNOWN_CODE,
    Dataset,
    conversation_dataset,
    person_dataset,
)
from triage.research.export.disclosure import (
    KAnonymityRefused,
    enforce_k_anonymity,
    protect_counts,
    small_classes,
)
from triage.research.export.formats import codebook_csv, csv_zip, sav

QIS = ("age_band", "gender")


def year_of(*records: ConversationRecord) -> YearCount:
    return count_year(records, 2024)


def persons(year: YearCount) -> Dataset:
    return person_dataset(year, {p.key: f"r{index}" for index, p in enumerate(year.persons)})


def only_row(dataset: Dataset) -> dict[str, Any]:
    [row] = dataset.rows
    return row


# -- datasets -----------------------------------------------------------------------------------


def test_a_multi_select_becomes_zero_one_indicator_columns() -> None:
    row = only_row(
        persons(year_of(conversation("2024-03-01T12:00", exploitation_form=["criminal"])))
    )
    assert (row["exploitation_form_sexual"], row["exploitation_form_criminal"]) == (0, 1)


def test_unknown_not_applicable_and_not_coded_stay_apart() -> None:
    row = only_row(
        persons(
            year_of(conversation("2024-03-01T12:00", gender=UNKNOWN, chatter_background="family"))
        )
    )
    assert row["gender"] == UNKNOWN_CODE
    assert row["first_disclosure"] == NOT_APPLICABLE_CODE
    assert row["age"] is None


def test_an_unknown_multi_select_is_unknown_in_every_indicator() -> None:
    row = only_row(persons(year_of(conversation("2024-03-01T12:00", exploitation_form=UNKNOWN))))
    assert {row[f"exploitation_form_{c}"] for c in ("sexual", "criminal", "labour")} == {-1}


def test_answers_are_the_codebooks_numeric_values_and_ages_exact() -> None:
    row = only_row(persons(year_of(conversation("2024-03-01T12:00", gender="male", age=15))))
    assert (row["gender"], row["age"], row["age_band"]) == (2, 15, 1)


def test_dates_are_kept_to_the_month() -> None:
    year = year_of(conversation("2024-05-20T12:00", first_conversation_date="2024-05-20"))
    row = only_row(persons(year))
    assert (row["first_conversation_date"], row["first_contact_month"]) == (202405, 202405)
    assert row["first_contact_quarter"] == 2


def test_the_conversation_dataset_numbers_a_persons_conversations() -> None:
    year = year_of(
        conversation("2024-03-01T12:00", person="p", gender="female"),
        conversation("2024-04-01T12:00", person="p", gender=UNKNOWN),
    )
    dataset = conversation_dataset(year, {"p": "r1"})
    assert [(r["research_id"], r["conversation_number"]) for r in dataset.rows] == [
        ("r1", 1),
        ("r1", 2),
    ]
    assert [r["gender"] for r in dataset.rows] == [1, UNKNOWN_CODE]


# -- disclosure control -------------------------------------------------------------------------


def crowd() -> YearCount:
    """Five teenage girls and one boy of 30."""
    girls = [conversation("2024-03-01T12:00", gender="female", age=15) for _ in range(5)]
    return year_of(*girls, conversation("2024-03-02T12:00", gender="male", age=30))


def test_refusal_names_the_combination_shared_by_too_few() -> None:
    with pytest.raises(KAnonymityRefused) as refused:
        enforce_k_anonymity(persons(crowd()), QIS, 5, "refuse")
    assert [c.values for c in refused.value.combinations] == [(("age_band", 4), ("gender", 2))]
    assert "gender=2 (Male)" in refused.value.message


def test_suppression_removes_the_combination_and_what_gives_it_away() -> None:
    safe, report = enforce_k_anonymity(persons(crowd()), QIS, 5, "suppress")
    assert small_classes(safe, QIS, 5) == ()
    boy = next(row for row in safe.rows if row["gender"] != 1)
    assert boy["age_band"] == boy["age"] == SUPPRESSED_CODE
    assert report.rows_with_suppression == 1


def test_classes_are_counted_in_persons_not_conversations() -> None:
    year = year_of(
        *(conversation(f"2024-03-0{day}T12:00", person="p", gender="male") for day in (1, 2))
    )
    dataset = conversation_dataset(year, {"p": "r1"})
    assert [c.persons for c in small_classes(dataset, ("gender",), 2)] == [1]


def test_a_row_whose_quasi_identifiers_are_all_missing_passes() -> None:
    year = year_of(conversation("2024-03-01T12:00", gender=UNKNOWN))
    assert small_classes(persons(year), QIS, 5) == ()


def test_small_cells_of_a_table_are_hidden_but_zero_is_shown() -> None:
    assert protect_counts({"a": 0, "b": 3, "c": 5}, 5) == {"a": 0, "b": None, "c": 5}


# -- formats ------------------------------------------------------------------------------------


def test_the_sav_carries_labels_and_declared_missing_values(tmp_path: Path) -> None:
    dataset = persons(year_of(conversation("2024-03-01T12:00", gender=UNKNOWN, age=16)))
    path = tmp_path / "persons.sav"
    path.write_bytes(sav(dataset, "en"))
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.column_names_to_labels["age"] == "Victim's age"
    assert meta.variable_value_labels["gender"][-2] == "Not applicable"
    assert meta.missing_ranges["age"] == [{"lo": -3.0, "hi": -1.0}]
    assert (frame["gender"][0], frame["age"][0]) == (-1, 16)
    plain, _ = pyreadstat.read_sav(str(path))
    assert plain["gender"].isna()[0]  # SPSS leaves the declared missing value out


def test_the_csv_zip_holds_the_data_and_its_codebook() -> None:
    dataset = persons(year_of(conversation("2024-03-01T12:00", gender="female")))
    with zipfile.ZipFile(io.BytesIO(csv_zip(dataset))) as archive:
        assert archive.namelist() == ["persons-2024.csv", "codebook.csv"]
        [row] = csv.DictReader(io.StringIO(archive.read("persons-2024.csv").decode()))
    assert (row["gender"], row["age"]) == ("1", "")
    codebook = codebook_csv(dataset).decode()
    assert "gender,,,,,-3,Onderdrukt (privacy),Suppressed (privacy),yes" in codebook
