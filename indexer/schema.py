"""The one schema of the experience database: which fields exist and what each is for."""
from __future__ import annotations

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from kb.config import LANGUAGES

from .analysis import language_analyzer

INDEX_NAME = "experience"

# The searchable parts of a ticket, and which of them each search mode looks in ("Fritext" is all of them).
PARTS = ("title", "problem", "solution")
MODES = {"free": PARTS, "problem": ("problem",), "solution": ("solution",)}
BOOSTS = {"title": 2.0, "problem": 1.0, "solution": 1.0}
# The fields a search filters on and counts (the search page's facets), in the order they are shown.
FACETS = ("product", "category", "version", "language")


class ResolvedDate(DATETIME):
    """A date kept for "newest first" (a column) and display (stored), never searched: not indexed, so a
    ticket costs no terms for it (Whoosh indexes a date as 8 terms of ever coarser precision, for ranges)."""

    indexed = False


def analyzed_field(part: str, language: str) -> str:
    """The field holding a part's lemmas and compound parts in one language, e.g. problem_sv."""
    return f"{part}_{language}"


def build_schema() -> Schema:
    fields = {
        "number": ID(stored=True, unique=True),  # the ticket number: the document's key
        "language": ID(stored=True),  # facet: sv or fi
        "product": ID(stored=True, sortable=True),  # facet: product code
        "category": ID(stored=True, sortable=True),  # facet: category code
        "version": ID(stored=True, sortable=True),  # facet: version code
        "resolved": ResolvedDate(stored=True, sortable=True),  # for "newest first" and display
        "title": STORED(),  # the subject as published, for display
        "problem": STORED(),  # the published problem as plain text, for snippets
        "solution": STORED(),  # the published solution as plain text, for snippets
    }
    for part in PARTS:
        for language in LANGUAGES:
            # Lemmas and compound parts, folded, in the document's own language; positions for phrases. Their
            # vocabulary also serves as-you-type prefixes and "did you mean".
            fields[analyzed_field(part, language)] = TEXT(analyzer=language_analyzer(language), phrase=True,
                                                          field_boost=BOOSTS[part])
    return Schema(**fields)
