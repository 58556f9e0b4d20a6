"""What every search backend takes and returns, so the views and alerts never know which
backend answered (database by default, Elasticsearch when ELASTICSEARCH_URL is set)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal


class Kind:
    """The kinds of thing that are searched: tenders, organisations and the project results
    (项目成果) published on the portal."""

    TENDER = "tender"
    ORGANISATION = "organisation"
    RESULT = "result"
    ALL = (TENDER, ORGANISATION, RESULT)


class Sort:
    RELEVANCE = "relevance"
    # Tender-only: organisations and results have neither, and sort after every tender
    # (newest first among themselves); the page does not offer these sorts for them.
    DEADLINE = "deadline"  # soonest bid deadline first
    BUDGET = "budget"  # largest budget first
    NEWEST = "newest"
    ALL = (RELEVANCE, DEADLINE, BUDGET, NEWEST)


# Facet names, shared by the filters, the counts and the saved searches' `filters`.
FACETS = ("kind", "category", "region", "method", "status", "rating_level")


@dataclass(frozen=True)
class SearchQuery:
    """A search: free text (any language; Chinese is segmented), facet filters, ranges,
    sort and page. `filters` maps a facet name to one value (codes: category and region
    codes match themselves and everything inside them)."""

    text: str = ""
    kinds: tuple[str, ...] = Kind.ALL
    filters: dict[str, str] = field(default_factory=dict)
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    deadline_after: datetime.datetime | None = None
    sort: str = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20
    # Restrict to these objects of `kinds` (matching one new tender against a saved search).
    ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    url: str
    # HTML-safe snippets with matches wrapped in <mark>…</mark>; everything else escaped.
    title_highlight: str
    snippet: str
    score: float
    # Display fields: category / region names, method and status labels, budget, deadline,
    # rating level; absent keys are simply not shown.
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FacetCount:
    value: str  # the code/value used in filters
    label: str
    count: int


@dataclass(frozen=True)
class SearchResults:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetCount]]  # facet name -> counts, largest first
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
