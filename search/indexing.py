"""What the search index holds for each kind, and keeping it current.

A tender is indexed once published (never as a draft) and for as long as it is public:
cancelled (已取消) and failed (已流标) tenders leave the index. Only the tender notice is read:
bids, their documents and everything else sealed are never loaded here, so they can never
reach an index. An organisation is indexed while it is verified (认证); pending, rejected
and suspended ones are not. A project result (项目成果, cms.ResultPage) is indexed while its
page is live and public (no view restriction on it or above it) and its contract completed,
as the /results/ list shows it; drafts, private and unpublished pages are not.

Marketplace events (and, since profile edits send none, saves of Organisation and changes of
its categories and districts) enqueue `search.tasks.update_search_index` once the transaction
has committed; the task updates the configured backend and sends `search.signals.indexed`.
Result pages follow Wagtail's publish, unpublish, move and delete, and view restrictions;
their contract facts (buyer, organisation, amount, category, district) are read live, so the
events that change those facts refresh the pages of the contracts concerned, looked up after
the commit (most such events concern no result page and then cost nothing more).
"""

import datetime
import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.html import strip_tags
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.models import ResultPage
from marketplace import events
from marketplace.models import Buyer, Category, Contract, Organisation, Region, Tender
from marketplace.selectors.results import result_pages_public
from search import signals, tasks
from search.types import Kind

BATCH_SIZE = 2_000

# Tenders that are no longer public offers leave the index.
TENDER_STATUSES_REMOVED = (Tender.Status.DRAFT, Tender.Status.CANCELLED, Tender.Status.FAILED)


@dataclass(frozen=True)
class Record:
    """One object as every backend indexes it. `categories` and `regions` hold the codes of
    the object's categories/regions and of all their ancestors (a filter on a code finds
    everything inside it); `body` is the plain text the snippets come from."""

    kind: str
    id: int
    title: str
    body: str
    url: str
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    method: str = ""
    status: str = ""
    rating_level: str = ""
    budget: Decimal | None = None
    deadline: datetime.datetime | None = None
    published_at: datetime.datetime | None = None
    fields: dict = field(default_factory=dict)

    def facet_values(self) -> list[tuple[str, str]]:
        """(facet, value) pairs, the filterable values of search.types.FACETS."""
        values = [("kind", self.kind)]
        values += [("category", code) for code in self.categories]
        values += [("region", code) for code in self.regions]
        for name in ("method", "status", "rating_level"):
            if getattr(self, name):
                values.append((name, getattr(self, name)))
        return list(dict.fromkeys(values))

    def facet_tokens(self) -> list[str]:
        """The facet values as "facet:value" tokens (the database backend's `facets`)."""
        return [facet_token(facet, value) for facet, value in self.facet_values()]


def facet_token(facet: str, value: str) -> str:
    return f"{facet}:{value}"


class _Ancestors:
    """Codes of a region or category and all its ancestors, from one query per model."""

    def __init__(self, model):
        rows = model.objects.values_list("pk", "code", "parent_id")
        self.code = {pk: code for pk, code, _parent in rows}
        self.parent = {pk: parent for pk, _code, parent in rows}
        self.memo = {}

    def codes(self, pk) -> tuple[str, ...]:
        if pk not in self.memo:
            chain = []
            node = pk
            while node is not None:
                chain.append(self.code[node])
                node = self.parent[node]
            self.memo[pk] = tuple(reversed(chain))
        return self.memo[pk]

    def all_codes(self, pks) -> tuple[str, ...]:
        return tuple(dict.fromkeys(code for pk in pks for code in self.codes(pk)))


def tenders_indexable():
    """Tenders that belong in the index: published at some point, not cancelled or failed."""
    return Tender.objects.filter(published_at__isnull=False).exclude(
        status__in=TENDER_STATUSES_REMOVED
    )


def organisations_indexable():
    """Organisations that belong in the index: verified ones."""
    return Organisation.objects.filter(status=Organisation.Status.VERIFIED)


def results_indexable():
    """Result pages that belong in the index: those anyone may read (live, no view
    restriction on the page or above it, of a completed contract), with their contract's
    tender and parties."""
    return result_pages_public()


INDEXABLE = {
    Kind.TENDER: tenders_indexable,
    Kind.ORGANISATION: organisations_indexable,
    Kind.RESULT: results_indexable,
}


TENDER_COLUMNS = (
    "pk",
    "title",
    "description",
    "buyer__name",
    "category_id",
    "category__name",
    "region_id",
    "region__name",
    "method",
    "status",
    "budget",
    "bid_deadline",
    "published_at",
)


def _tender_record(row, categories, regions, url) -> Record:
    # Rows, not model instances: a rebuild reads 100k of them, and building instances with
    # their related rows costs more than the rest of the record put together.
    return Record(
        kind=Kind.TENDER,
        id=row["pk"],
        title=row["title"],
        body=f"{row['description']}\n{row['buyer__name']}",
        url=url.replace("/0/", f"/{row['pk']}/"),
        categories=categories.codes(row["category_id"]),
        regions=regions.codes(row["region_id"]),
        method=row["method"],
        status=row["status"],
        budget=row["budget"],
        deadline=row["bid_deadline"],
        published_at=row["published_at"],
        fields={
            "category": row["category__name"],
            "region": row["region__name"],
            "buyer": row["buyer__name"],
            "method": row["method"],
            "status": row["status"],
            "budget": str(row["budget"]),
            "deadline": row["bid_deadline"].isoformat(),
            "reference": f"ZS-{row['published_at'].year}-{row['pk']:06d}",
        },
    )


def _organisation_record(organisation, categories, regions) -> Record:
    category_rows = list(organisation.categories.all())
    district_rows = list(organisation.districts.all())
    level = organisation.rating_level if organisation.rating_is_current else None
    return Record(
        kind=Kind.ORGANISATION,
        id=organisation.pk,
        title=organisation.name,
        body="\n".join(
            [organisation.description, *(c.name for c in category_rows)]
            + [d.name for d in district_rows]
        ),
        url=organisation.get_absolute_url(),
        categories=categories.all_codes(c.pk for c in category_rows),
        regions=regions.all_codes(d.pk for d in district_rows),
        rating_level=str(level or ""),
        published_at=organisation.created_at,
        fields={
            "categories": [c.name for c in category_rows],
            "districts": [d.name for d in district_rows],
            "rating_level": level,
            "type": organisation.type,
        },
    )


def story_text(story) -> str:
    """The plain text of a StreamField: every text in its raw blocks (headings, paragraphs
    without their HTML, quotes, captions and alt texts), one per line. Read from the raw
    JSON: the images of photo blocks are never loaded."""
    texts = []

    def walk(value):
        if isinstance(value, str):
            text = html.unescape(strip_tags(value)).strip()
            if text:
                texts.append(text)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("type", "id"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(story.raw_data))
    return "\n".join(texts)


def _result_record(page, categories, regions) -> Record:
    contract = page.contract
    tender = contract.tender
    return Record(
        kind=Kind.RESULT,
        id=page.pk,
        title=page.title,
        body="\n".join(
            text
            for text in (
                page.summary,
                story_text(page.story),
                contract.buyer.name,
                contract.organisation.name,
            )
            if text
        ),
        url=page.get_url(),
        categories=categories.codes(tender.category_id),
        regions=regions.codes(tender.region_id),
        published_at=page.first_published_at or page.last_published_at,
        fields={
            "category": tender.category.name,
            "region": tender.region.name,
            "buyer": contract.buyer.name,
            "organisation": contract.organisation.name,
            # The Money's amount as a decimal string (never a float), CNY like every contract.
            "amount": str(contract.amount.amount),
            # The year the service ended, as the /results/ list's year filter reads it.
            "year": contract.ends_on.year,
        },
    )


def _batches(queryset, ids, columns=None) -> Iterator[list]:
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    last = 0
    while True:
        page = queryset.filter(pk__gt=last).order_by("pk")
        batch = list(page.values(*columns)[:BATCH_SIZE] if columns else page[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1]["pk"] if columns else batch[-1].pk


def record_batches(kind: str, ids: Iterable[int] | None = None) -> Iterator[list[Record]]:
    """The records of `kind` (all indexable objects, or those of `ids` that are indexable),
    in batches of BATCH_SIZE; a constant number of queries per batch."""
    categories, regions = _Ancestors(Category), _Ancestors(Region)
    if kind == Kind.TENDER:
        # The URL of tender 0, with the id put in per row (reverse() per row is slow).
        url = reverse("tender_detail", args=[0])
        for batch in _batches(tenders_indexable(), ids, TENDER_COLUMNS):
            yield [_tender_record(row, categories, regions, url) for row in batch]
    elif kind == Kind.ORGANISATION:
        queryset = organisations_indexable().prefetch_related("categories", "districts")
        for batch in _batches(queryset, ids):
            yield [_organisation_record(org, categories, regions) for org in batch]
    elif kind == Kind.RESULT:
        for batch in _batches(results_indexable(), ids):
            yield [_result_record(page, categories, regions) for page in batch]
    else:
        raise ValueError(f"Unknown search kind: {kind!r}")


def records(kind: str, ids: Iterable[int]) -> list[Record]:
    """The records of those of `ids` that belong in the index."""
    return [record for batch in record_batches(kind, ids) for record in batch]


def indexable_count(kind: str) -> int:
    """How many objects of `kind` a full rebuild indexes (for its progress bar)."""
    return INDEXABLE[kind]().count()


def index_update(*, kind: str, ids: list[int], backend) -> list[int]:
    """Bring `ids` of `kind` up to date in `backend` (added, replaced or removed) and tell
    the listeners (saved-search alerts) which of them are now in the index."""
    indexed = backend.index(kind, ids)
    if indexed:
        signals.indexed.send(sender=kind, ids=indexed)
    return indexed


def schedule(kind: str, ids: Iterable[int]) -> None:
    """Update these objects in the index in the background, once the transaction commits
    (an update that is rolled back must not reach the index)."""
    ids = sorted(set(ids))
    transaction.on_commit(lambda: tasks.update_search_index.enqueue(kind=kind, ids=ids))


def schedule_results(pages: Callable[[], object], kind: str = Kind.RESULT) -> None:
    """Update the objects of `pages()` (a queryset of `kind`, result pages by default) once
    the transaction commits. They are looked up then, not now: the events that call this
    mostly concern none, and they add no query to the transaction that sends them."""

    def enqueue():
        ids = sorted(pages().values_list("pk", flat=True))
        if ids:
            tasks.update_search_index.enqueue(kind=kind, ids=ids)

    transaction.on_commit(enqueue)


def results_of(**lookup) -> Callable[[], object]:
    """The result pages matching `lookup` (e.g. contract__organisation_id=…), for
    schedule_results."""
    return lambda: ResultPage.objects.filter(**lookup)


def _results_under(page_id) -> Callable[[], object]:
    """The result pages at or below a page (a move or a view restriction reaches them all)."""

    def pages():
        page = Page.objects.filter(pk=page_id).first()
        if page is None:
            return ResultPage.objects.none()
        return ResultPage.objects.descendant_of(page, inclusive=True)

    return pages


@receiver(events.status_changed)
def _status_changed(sender, instance, **kwargs):
    if sender is Tender:
        schedule(Kind.TENDER, [instance.pk])
        schedule_results(results_of(contract__tender_id=instance.pk))
    elif sender is Organisation:
        schedule(Kind.ORGANISATION, [instance.pk])
    elif sender is Contract:
        # Completion puts a live result page in the index, termination takes it out.
        schedule_results(results_of(contract_id=instance.pk))


@receiver(events.tender_amended)
def _tender_amended(sender, instance, **kwargs):
    schedule(Kind.TENDER, [instance.pk])
    schedule_results(results_of(contract__tender_id=instance.pk))


@receiver(events.contract_varied)
def _contract_varied(sender, instance, **kwargs):
    # A variation may change the amount a result shows.
    schedule_results(results_of(contract_id=instance.pk))


@receiver(post_save, sender=Organisation)
def _organisation_saved(sender, instance, raw=False, **kwargs):
    # organisation_update() and the official-data import send no event: the save is the signal.
    if not raw:
        schedule(Kind.ORGANISATION, [instance.pk])
        schedule_results(results_of(contract__organisation_id=instance.pk))


@receiver(post_save, sender=Buyer)
def _buyer_saved(sender, instance, raw=False, **kwargs):
    # Tenders and results show the buyer's name (a rename reaches them all).
    if not raw:
        schedule_results(lambda: tenders_indexable().filter(buyer_id=instance.pk), Kind.TENDER)
        schedule_results(results_of(contract__buyer_id=instance.pk))


@receiver(page_published, sender=ResultPage)
@receiver(page_unpublished, sender=ResultPage)
@receiver(post_delete, sender=ResultPage)
def _result_page_changed(sender, instance, **kwargs):
    # The id is read now: after a delete the instance loses it.
    schedule(Kind.RESULT, [instance.pk])


@receiver(post_page_move)
def _page_moved(sender, instance, **kwargs):
    # A result's URL changes when it or any page above it moves.
    schedule_results(_results_under(instance.pk))


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def _view_restriction_changed(sender, instance, raw=False, **kwargs):
    # A restricted page and everything below it are private: out of the index, and back in
    # when the restriction goes.
    if not raw:
        schedule_results(_results_under(instance.page_id))


@receiver(m2m_changed, sender=Organisation.categories.through)
@receiver(m2m_changed, sender=Organisation.districts.through)
def _organisation_lists_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:
        # A region or category changed its organisations (not done by the site; cheap anyway).
        if pk_set:
            schedule(Kind.ORGANISATION, pk_set)
    else:
        schedule(Kind.ORGANISATION, [instance.pk])
