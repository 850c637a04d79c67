"""The CKM research codebook: editions, loading, and checking codings.

Pure: no web framework, no database. Validation errors are
``chatserver.errors.InvalidInput`` so the HTTP edge answers 400 with the field.
"""

from triage.codebook.loader import (
    CURRENT_EDITION_ID,
    CodebookError,
    UnknownEdition,
    current_edition,
    load_edition,
    load_edition_file,
    load_editions,
    parse_edition,
)
from triage.codebook.model import (
    UNKNOWN,
    UNKNOWN_VALUE,
    Category,
    Condition,
    Edition,
    Kind,
    Subject,
    Variable,
)
from triage.codebook.validate import (
    AGE_BANDS,
    CodingError,
    CodingErrors,
    Completeness,
    age_band,
    applicable_variables,
    completeness,
    validate_values,
)

__all__ = [
    "AGE_BANDS",
    "CURRENT_EDITION_ID",
    "UNKNOWN",
    "UNKNOWN_VALUE",
    "Category",
    "CodebookError",
    "CodingError",
    "CodingErrors",
    "Completeness",
    "Condition",
    "Edition",
    "Kind",
    "Subject",
    "UnknownEdition",
    "Variable",
    "age_band",
    "applicable_variables",
    "completeness",
    "current_edition",
    "load_edition",
    "load_edition_file",
    "load_editions",
    "parse_edition",
    "validate_values",
]
