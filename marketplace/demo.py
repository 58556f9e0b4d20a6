"""Loads the demo tenders (data/demo_tenders.py) for `manage.py load_demo_data`.

Everything that can happen today goes through the services, as a buyer officer or an
organisation's admin would do it: tender_create, tender_publish, tender_follow,
clarification_ask/answer, bid_submit, tender_amend, bid_reconfirm, tender_cancel. Tenders
whose bidding is over (closed, opened, failed) cannot be made that way, because the services
judge every deadline by the database clock: they are made the same way with future dates,
then moved into the past (see `_move_into_the_past`) and closed and opened by the services.
"""

import datetime
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.management.base import CommandError
from django.utils import timezone
from djmoney.money import Money

from marketplace.data import demo, demo_ratings, demo_tenders
from marketplace.dates import earliest_deadline
from marketplace.models import (
    Bid,
    Category,
    Clarification,
    CommunityListItem,
    Organisation,
    Region,
    Tender,
    TenderFollow,
    TenderOpening,
    TenderVersion,
)
from marketplace.selectors.bids import bid_receipt_hash
from marketplace.selectors.tenders import method_rules
from marketplace.services.bids import bid_reconfirm, bid_submit, tender_open
from marketplace.services.clarifications import (
    clarification_answer,
    clarification_ask,
    tender_follow,
)
from marketplace.services.organisations import CREDIT_CODE_PREFIX_BY_TYPE
from marketplace.services.tenders import (
    tender_amend,
    tender_cancel,
    tender_close,
    tender_create,
    tender_publish,
)
from marketplace.validators import credit_code_make

# Where each demo state ends up.
FINAL_STATUS = {
    "draft": Tender.Status.DRAFT,
    "open": Tender.Status.PUBLISHED,
    "amended": Tender.Status.PUBLISHED,
    "closed": Tender.Status.CLOSED,
    "opened": Tender.Status.OPENED,
    "cancelled": Tender.Status.CANCELLED,
    "failed": Tender.Status.FAILED,
}
PAST_STATES = {"closed", "opened", "failed"}
DEADLINE_TIME = datetime.time(9, 30)
OPENING_TIME = datetime.time(10, 0)


@dataclass
class Loaded:
    tenders: int = 0
    existing: int = 0
    bids: int = 0
    questions: int = 0
    follows: int = 0


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def _deadlines(bid_deadline: datetime.datetime) -> dict:
    """Clarification deadline a few days before the bid deadline, opening at the deadline."""
    days_left = (bid_deadline - timezone.now()).days
    before = 5 if days_left >= 20 else 3 if days_left >= 10 else 1
    clarification = _at(timezone.localtime(bid_deadline).date(), datetime.time(17, 0))
    return {
        "clarification_deadline": clarification - datetime.timedelta(days=before),
        "bid_deadline": bid_deadline,
        "opening_at": bid_deadline,
    }


def _earliest_allowed(method: str, now: datetime.datetime) -> datetime.datetime:
    """The first 09:30 on a day after the method's minimum bidding period from `now`."""
    earliest = earliest_deadline(now, method_rules(method)["min_period"])
    return _at(timezone.localtime(earliest).date() + datetime.timedelta(days=1), DEADLINE_TIME)


def buyer_credit_code(entry) -> str:
    """A demo buyer's natural key: "11" (机关) + region + serial."""
    return credit_code_make("11", entry["region"][:6], entry["serial"])


def organisation_credit_code(entry) -> str:
    """A demo organisation's natural key: type prefix + registration authority + serial."""
    prefix = CREDIT_CODE_PREFIX_BY_TYPE[Organisation.Type(entry["type"])]
    return credit_code_make(prefix, entry["authority"], entry["serial"])


def text_table(rows) -> list[str]:
    """Rows of text as aligned lines, counting CJK characters two columns wide; a rule
    under the first (header) row."""

    def width(text):
        return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

    widths = [max(width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        " | ".join(
            cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
    return [lines[0], "-+-".join("-" * w for w in widths), *lines[1:]]


def demo_officers() -> list[dict]:
    """Every demo buyer officer: the two of the base demo, those of the tender demo and
    those who sign the completed contracts of the ratings demo."""
    return [*demo.BUYER_OFFICERS, *demo_tenders.OFFICERS, *demo_ratings.OFFICERS]


def demo_tenders_load(*, buyers, organisations, users) -> Loaded:
    """Create the demo tenders that do not exist yet (by buyer and title); `buyers` and
    `organisations` map names to rows, `users` maps e-mail addresses to users."""
    wanted = {(buyers[entry["buyer"]].pk, entry["title"]) for entry in demo_tenders.TENDERS}
    existing = set(
        Tender.objects.filter(
            buyer__in={pk for pk, _title in wanted}, title__in={title for _pk, title in wanted}
        ).values_list("buyer_id", "title")
    )
    loaded = Loaded(existing=len(existing & wanted))
    missing = [
        entry
        for entry in demo_tenders.TENDERS
        if (buyers[entry["buyer"]].pk, entry["title"]) not in existing
    ]
    if not missing:
        return loaded
    loader = _TenderLoader(buyers=buyers, organisations=organisations, users=users)
    for index, entry in enumerate(missing):
        loader.load(entry, index, loaded)
    return loaded


class _TenderLoader:
    def __init__(self, *, buyers, organisations, users):
        self.buyers, self.organisations = buyers, organisations
        self.officers = {}
        for officer in demo_officers():
            self.officers.setdefault(officer["buyer"], users[officer["email"]])
        admins = {entry["name"]: entry["contact"][2] for entry in demo.ORGANISATIONS}
        self.admins = {name: users[email] for name, email in admins.items()}
        entries = demo_tenders.TENDERS
        self.categories = {
            c.code: c
            for c in Category.objects.filter(code__in={entry["category"] for entry in entries})
        }
        self.regions = {
            r.code: r
            for r in Region.objects.filter(code__in={entry["region"] for entry in entries})
        }
        self.items = {
            (item.region.code, item.title): item
            for item in CommunityListItem.objects.filter(
                kind=CommunityListItem.Kind.ASSISTANCE,
                region__code__in={demo_tenders.YUNLONG, demo_tenders.TAICANG},
            ).select_related("region")
        }

    def load(self, entry, index, loaded):
        officer = self.officers[entry["buyer"]]
        state = entry["state"]
        now = timezone.now()
        if state in PAST_STATES:
            # Published with the shortest period the method allows, moved back afterwards.
            deadline = _earliest_allowed(entry["method"], now)
        else:
            deadline = _at(
                timezone.localdate() + datetime.timedelta(days=entry["days"]), DEADLINE_TIME
            )
        tender = tender_create(
            by=officer,
            buyer=self.buyers[entry["buyer"]],
            criteria=demo_tenders.CRITERIA[entry["criteria"]],
            milestones=demo_tenders.MILESTONES[entry["milestones"]],
            invited=[self.organisations[name] for name in entry.get("invited", [])],
            title=entry["title"],
            description=entry["description"],
            category=self.categories[entry["category"]],
            region=self.regions[entry["region"]],
            budget=Money(Decimal(entry["budget"]), "CNY"),
            project_cap=Money(Decimal(entry["cap"]), "CNY") if "cap" in entry else None,
            funding_source=entry.get("funding_source", ""),
            assistance_item=self.items[entry["assistance_item"]]
            if "assistance_item" in entry
            else None,
            method=Tender.Method(entry["method"]),
            min_rating_level=entry.get("min_rating"),
            min_years_registered=entry.get("min_years", 0),
            contract_months=entry["months"],
            continuous_service=entry.get("continuous", False),
            **_deadlines(deadline),
        )
        loaded.tenders += 1
        if state == "draft":
            return
        tender = tender_publish(tender=tender, by=officer)
        for name in entry.get("follows", []):
            tender_follow(
                tender=tender, organisation=self.organisations[name], by=self.admins[name]
            )
            loaded.follows += 1
        for name, question, answer in entry.get("questions", []):
            asked = clarification_ask(
                tender=tender,
                organisation=self.organisations[name],
                by=self.admins[name],
                question=question,
            )
            if answer:
                clarification_answer(clarification=asked, by=officer, answer=answer)
            loaded.questions += 1
        bids = {}
        for name, amount in entry.get("bids", []):
            bids[name] = bid_submit(
                tender=tender,
                organisation=self.organisations[name],
                by=self.admins[name],
                amount=Money(Decimal(amount), "CNY"),
                **self.proposal(entry, name),
            )
            loaded.bids += 1
        if state == "amended":
            self.amend(tender, entry, officer, bids)
        elif state == "cancelled":
            tender_cancel(tender=tender, by=officer, reason=entry["reason"])
        elif state in PAST_STATES:
            _move_into_the_past(tender, entry)
            tender = tender_close(tender=tender)
            if state == "opened":
                opening = tender_open(tender=tender, by=officer)
                TenderOpening.objects.filter(pk=opening.pk).update(
                    opened_at=Tender.objects.values_list("opening_at", flat=True).get(pk=tender.pk)
                )
        if state in ("open", "amended"):
            _published_days_ago(tender, index % 6 + 1)
        status = Tender.objects.values_list("status", flat=True).get(pk=tender.pk)
        if status != FINAL_STATUS[state]:
            raise CommandError(f"{entry['title']}：应为 {FINAL_STATUS[state]}，实为 {status}")

    def proposal(self, entry, organisation):
        texts = demo_tenders.PROPOSALS[entry["category"][:2]]
        return {
            part: text.format(organisation=organisation, title=entry["title"])
            for part, text in texts.items()
        }

    def amend(self, tender, entry, officer, bids):
        amendment = dict(entry["amendment"])
        note = amendment.pop("note")
        deadline = _at(
            timezone.localdate() + datetime.timedelta(days=amendment.pop("days")), DEADLINE_TIME
        )
        changes = _deadlines(deadline)
        if "budget" in amendment:
            changes["budget"] = Money(Decimal(amendment.pop("budget")), "CNY")
        if "months" in amendment:
            changes["contract_months"] = amendment.pop("months")
        changes.update(amendment)  # text fields: description, title
        tender_amend(tender=tender, by=officer, note=note, **changes)
        for name in entry.get("reconfirmed", []):
            bid_reconfirm(bid=bids[name], by=self.admins[name])


def _move_into_the_past(tender, entry):
    """Move a published tender's dates back so that its bid deadline was `entry["days"]` ago.

    The services judge deadlines by the database clock and rightly refuse to publish with a
    deadline in the past or to close before the deadline, so a tender that ended last month
    can only be made by publishing it now and then shifting its dates with QuerySet.update()
    — publication, versions, questions, answers and follows by the same amount (the bidding
    period keeps its length), bids to the days before the new deadline. The receipt hash
    covers the submission time, so it is recomputed. The audit log is append-only and keeps
    the real times of the load.
    """
    tender = Tender.objects.get(pk=tender.pk)
    deadline = _at(timezone.localdate() + datetime.timedelta(days=entry["days"]), DEADLINE_TIME)
    shift = deadline - tender.bid_deadline
    opening = deadline
    if "opening_in" in entry:  # closed, waiting for its announced opening
        opening = _at(
            timezone.localdate() + datetime.timedelta(days=entry["opening_in"]), OPENING_TIME
        )
    Tender.objects.filter(pk=tender.pk).update(
        created_at=tender.created_at + shift,
        published_at=tender.published_at + shift,
        clarification_deadline=tender.clarification_deadline + shift,
        bid_deadline=deadline,
        opening_at=opening,
    )
    _shift_rows(TenderVersion.objects.filter(tender=tender), shift, "created_at")
    _shift_rows(Clarification.objects.filter(tender=tender), shift, "asked_at", "answered_at")
    _shift_rows(TenderFollow.objects.filter(tender=tender), shift, "created_at")
    for number, bid in enumerate(Bid.objects.filter(tender=tender).order_by("-pk"), 1):
        bid.submitted_at = deadline - datetime.timedelta(days=number, hours=3 * number)
        bid.receipt_hash = bid_receipt_hash(bid, [])  # demo bids have no documents
        Bid.objects.filter(pk=bid.pk).update(
            submitted_at=bid.submitted_at, receipt_hash=bid.receipt_hash
        )


def _published_days_ago(tender, days):
    """Spread the open tenders' publication over the past week, as on a real platform (the
    deadline is left alone, so the bidding period only grows)."""
    shift = -datetime.timedelta(days=days)
    tender = Tender.objects.get(pk=tender.pk)
    Tender.objects.filter(pk=tender.pk).update(
        created_at=tender.created_at + shift, published_at=tender.published_at + shift
    )
    _shift_rows(TenderVersion.objects.filter(tender=tender, number=1), shift, "created_at")


def _shift_rows(queryset, shift, *fields):
    for row in queryset:
        queryset.filter(pk=row.pk).update(
            **{
                field: getattr(row, field) + shift
                for field in fields
                if getattr(row, field) is not None
            }
        )
