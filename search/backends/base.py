"""What both backends share: highlighting, hits built from index records, facet labels."""

import datetime
import re
from decimal import Decimal

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from marketplace.models import Category, Region, Tender
from search import analysis
from search.types import FacetCount, Hit, Kind, SearchQuery

SNIPPET_CHARS = 120
# The kinds as the public reads them (facet labels, the page's tabs and groups).
KIND_LABELS = {
    Kind.TENDER: _("服务项目"),
    Kind.ORGANISATION: _("社会组织"),
    Kind.RESULT: _("项目成果"),
}


def highlight(text: str, terms: list[str]) -> str:
    """`text` HTML-escaped, with every occurrence of a term wrapped in <mark>…</mark>
    (case-insensitive, overlapping matches merged)."""
    if not terms or not text:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    spans = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(text: str, terms: list[str], size: int = SNIPPET_CHARS) -> str:
    """A highlighted excerpt of about `size` characters around the first match (the start
    of the text when nothing matches)."""
    text = " ".join(text.split())
    lowered = text.lower()
    positions = [lowered.find(term) for term in terms if term in lowered]
    start = max(0, min(positions) - size // 4) if positions else 0
    excerpt = text[start : start + size]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + size < len(text) else ""
    return prefix + highlight(excerpt, terms) + suffix


def display_fields(kind: str, fields: dict) -> dict:
    """A hit's display values, with labels for its codes (method and status as the public
    should read them now)."""
    shown = dict(fields)
    if kind == Kind.TENDER:
        shown["method_label"] = Tender.Method(fields["method"]).label
        deadline = datetime.datetime.fromisoformat(fields["deadline"])
        shown["deadline"] = deadline
        shown["budget"] = Decimal(fields["budget"])
        status = fields["status"]
        # Past its deadline, a tender the close job has not reached yet already reads 投标已截止.
        if status == Tender.Status.PUBLISHED and deadline <= datetime.datetime.now(datetime.UTC):
            status = Tender.Status.CLOSED
        shown["status_label"] = Tender.Status(status).label
    elif kind == Kind.RESULT:
        shown["amount"] = Decimal(fields["amount"])
    elif fields.get("rating_level"):
        shown["rating_label"] = f"{fields['rating_level']}A"
    return shown


def make_hit(*, kind, id, title, url, body, fields, score, terms) -> Hit:
    return Hit(
        kind=kind,
        id=int(id),
        title=title,
        url=url,
        title_highlight=highlight(title, terms),
        snippet=snippet(body, terms),
        score=float(score or 0),
        fields=display_fields(kind, fields),
    )


def facet_counts(rows) -> dict[str, list[FacetCount]]:
    """Facet counts from (facet, value, count) rows, labelled, largest first, with the
    category and region names read in one query each."""
    rows = sorted(rows, key=lambda row: (-row[2], row[0], row[1]))
    codes = {"category": set(), "region": set()}
    for facet, value, _count in rows:
        if facet in codes:
            codes[facet].add(value)
    names = {
        "category": dict(
            Category.objects.filter(code__in=codes["category"]).values_list("code", "name")
        )
        if codes["category"]
        else {},
        "region": dict(Region.objects.filter(code__in=codes["region"]).values_list("code", "name"))
        if codes["region"]
        else {},
    }
    facets = {}
    for facet, value, count in rows:
        facets.setdefault(facet, []).append(
            FacetCount(value, _facet_label(facet, value, names), count)
        )
    return facets


def _facet_label(facet, value, names) -> str:
    if facet in names:
        return names[facet].get(value, value)
    if facet == "kind":
        return str(KIND_LABELS.get(value, value))
    if facet == "method":
        return Tender.Method(value).label
    if facet == "status":
        return Tender.Status(value).label
    if facet == "rating_level":
        return f"{value}A"
    return value


def query_terms(query: SearchQuery) -> list[str]:
    return analysis.query_terms(query.text)
