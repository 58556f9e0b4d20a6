"""Reads about tenders: public lists and pages, a buyer's workspace, what an organisation
may bid for (and why not), published versions and their differences."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.dates import add_years
from marketplace.models import (
    Bid,
    BuyerMembership,
    Category,
    Clarification,
    Organisation,
    OrganisationMembership,
    Region,
    Tender,
    TenderFollow,
)
from marketplace.selectors.catalogue import region_code_prefix

# Snapshot keys whose change alters what bidders must offer; an amendment touching one of
# them restarts the method's minimum bidding period. Titles and dates are not requirements.
REQUIREMENT_FIELDS = {
    "description",
    "category",
    "region",
    "budget",
    "project_cap",
    "funding_source",
    "assistance_item",
    "min_rating_level",
    "min_years_registered",
    "invited",
    "contract_months",
    "continuous_service",
    "criteria",
    "milestones",
    "documents",
}


def method_rules(method) -> dict:
    """The method's minimum bidding period and minimum number of bids (settings table)."""
    return settings.TENDER_METHOD_RULES[str(method)]


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def tender_snapshot(tender) -> dict:
    """The public notice as plain strings, in the platform language: what a version records."""
    with translation.override(settings.LANGUAGE_CODE):
        documents = tender.documents.filter(removed_in_version=None).order_by("pk")
        return {
            "title": tender.title,
            "description": tender.description,
            "category": f"{tender.category.code} {tender.category.name}",
            "region": tender.region.name,
            "budget": f"{tender.budget.amount:.2f} {tender.budget.currency}",
            # 公益创投 only: other methods have no cap, and their notices no such line.
            **(
                {"project_cap": f"{tender.project_cap.amount:.2f} {tender.project_cap.currency}"}
                if tender.project_cap is not None
                else {}
            ),
            "funding_source": tender.funding_source,
            "assistance_item": str(tender.assistance_item or ""),
            "method": tender.get_method_display(),
            "min_rating_level": f"{tender.min_rating_level}A" if tender.min_rating_level else "",
            "min_years_registered": str(tender.min_years_registered),
            "invited": [o.name for o in tender.invited.order_by("name")],
            "contract_months": str(tender.contract_months),
            "continuous_service": _("是") if tender.continuous_service else _("否"),
            "criteria": [
                f"{c.name} {c.weight}" + (" " + _("（价格分）") if c.is_price else "")
                for c in tender.criteria.all()
            ],
            "milestones": [f"{m.name} {m.percentage}%" for m in tender.milestones.all()],
            "documents": [f"{d.title} (SHA-256 {d.sha256[:12]}…)" for d in documents],
            "clarification_deadline": _local(tender.clarification_deadline),
            "bid_deadline": _local(tender.bid_deadline),
            "opening_at": _local(tender.opening_at),
        }


def snapshot_diff(before: dict, after: dict) -> list[dict]:
    """The fields that differ between two snapshots, in snapshot order, with both values."""
    return [
        {"field": key, "before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    ]


def snapshot_labels() -> dict:
    """Display names of the snapshot keys, in the current language."""
    return {
        **{field.name: field.verbose_name for field in Tender._meta.concrete_fields},
        "invited": Tender._meta.get_field("invited").verbose_name,
        "criteria": _("评分项"),
        "milestones": _("付款节点"),
        "documents": _("招标文件"),
    }


def _with_list_relations(tenders):
    return tenders.select_related("buyer", "category", "region")


def tender_list_public(
    *,
    category=None,
    region=None,
    method=None,
    status=None,
    budget_min=None,
    budget_max=None,
    sort="newest",
):
    """Published tenders (never drafts) for the public list, filtered and sorted.

    `category` and `region` include everything below them; `status="open"` means bidding is
    still open by the clock, whatever the background job has done.
    """
    now = timezone.now()
    if status == "open":
        # Open implies published; leaving out the publication-time test lets the partial
        # index of open tenders answer the count on its own (an index-only scan).
        tenders = Tender.objects.filter(status=Tender.Status.PUBLISHED, bid_deadline__gt=now)
    else:
        # Published is "has a publication time": the newest-first index serves the page.
        tenders = Tender.objects.filter(published_at__isnull=False)
    if category is not None:
        inside = Category.objects.filter(code__startswith=category.code)
        tenders = tenders.filter(category_id__in=list(inside.values_list("pk", flat=True)))
    if region is not None:
        # Region ids first, so the tender indexes are probed by id rather than joined on codes.
        inside = Region.objects.filter(code__startswith=region_code_prefix(region))
        tenders = tenders.filter(region_id__in=list(inside.values_list("pk", flat=True)))
    if method:
        tenders = tenders.filter(method=method)
    if status == Tender.Status.CLOSED:
        tenders = tenders.filter(
            Q(status=Tender.Status.CLOSED)
            | Q(status=Tender.Status.PUBLISHED, bid_deadline__lte=now)
        )
    elif status and status != "open":
        tenders = tenders.filter(status=status)
    if budget_min is not None:
        tenders = tenders.filter(budget__gte=budget_min)
    if budget_max is not None:
        tenders = tenders.filter(budget__lte=budget_max)
    order = ["bid_deadline", "pk"] if sort == "deadline" else ["-published_at", "-pk"]
    return _with_list_relations(tenders.order_by(*order))


PUBLIC_COUNT_KEY = "tenders:public-count"


def tender_count_public() -> int:
    """How many tenders have been published: the unfiltered list's total, cached until the
    next publication (tender_publish clears it), since every visitor asks for the same."""
    return cache.get_or_set(
        PUBLIC_COUNT_KEY,
        lambda: Tender.objects.filter(published_at__isnull=False).count(),
        timeout=None,
    )


def tender_get_for_user(*, pk, user) -> Tender:
    """A tender's page: public once published; a draft only for the buyer's officers."""
    tender = get_object_or_404(
        Tender.objects.select_related(
            "buyer", "category__prohibited_item", "region", "assistance_item"
        ),
        pk=pk,
    )
    if not tender.is_public and not permissions.can_manage_tender(user, tender):
        raise Http404
    return tender


def tender_list_for_officer(user, *, status=None):
    """Tenders of every buyer the officer acts for, newest first, with live-bid counts
    only where bidding has closed (a count before the deadline would leak information)."""
    buyer_ids = BuyerMembership.objects.filter(user=user).values("buyer_id")
    tenders = Tender.objects.filter(buyer_id__in=buyer_ids)
    if status:
        tenders = tenders.filter(status=status)
    return _with_list_relations(
        tenders.annotate(
            unanswered=Count("clarifications", filter=Q(clarifications__answered_at=None))
        ).order_by("-created_at", "-pk")
    )


def _full_years_since(day, today) -> int:
    years = today.year - day.year
    return years - (add_years(day, years) > today)


def tender_eligibility_failures(tender, organisation) -> list[str]:
    """Every reason `organisation` may not bid for `tender`; empty if it may."""
    failures = []
    today = timezone.localdate()
    if organisation.status != Organisation.Status.VERIFIED:
        failures.append(_("组织尚未通过平台认证（当前：%s）。") % organisation.get_status_display())
    if organisation.credit_status != Organisation.CreditStatus.NORMAL:
        failures.append(
            _("信用状态须为“正常”，当前为“%s”。") % organisation.get_credit_status_display()
        )
    if tender.min_rating_level and not (
        organisation.rating_is_current and organisation.rating_level >= tender.min_rating_level
    ):
        current = (
            organisation.get_rating_level_display() if organisation.rating_is_current else _("无")
        )
        failures.append(
            _("须具有 %(level)dA 及以上有效评估等级，当前为%(current)s。")
            % {"level": tender.min_rating_level, "current": current}
        )
    years = _full_years_since(organisation.registered_on, today)
    if years < tender.min_years_registered:
        failures.append(
            _("须成立满 %(required)d 年，当前为 %(years)d 年。")
            % {"required": tender.min_years_registered, "years": years}
        )
    districts = list(organisation.districts.all())
    if not any(tender.region.code.startswith(region_code_prefix(d)) for d in districts):
        failures.append(_("组织的服务地区不包括%(region)s。") % {"region": tender.region.name})
    codes = [c.code for c in organisation.categories.all()]
    tender_code = tender.category.code
    if not any(tender_code.startswith(code) or code.startswith(tender_code) for code in codes):
        failures.append(
            _("组织的服务领域不包括“%(category)s”。") % {"category": tender.category.name}
        )
    if tender.needs_invitation and not tender.invited.filter(pk=organisation.pk).exists():
        failures.append(
            _("本项目采用%(method)s，仅受邀的社会组织可以投标。")
            % {"method": tender.get_method_display()}
        )
    return failures


def tender_list_eligible_for(organisation):
    """Tenders open for bids now that `organisation` meets every eligibility rule of (the
    same rules as `tender_eligibility_failures`, as one query)."""
    if (
        organisation.status != Organisation.Status.VERIFIED
        or organisation.credit_status != Organisation.CreditStatus.NORMAL
    ):
        return Tender.objects.none()
    today = timezone.localdate()
    region_q = Q(pk__in=[])
    for district in organisation.districts.all():
        region_q |= Q(region__code__startswith=region_code_prefix(district))
    category_q = Q(pk__in=[])
    for category in organisation.categories.all():
        ancestors = [category.code[:end] for end in range(2, len(category.code) + 1, 2)]
        category_q |= Q(category__code__in=ancestors) | Q(category__code__startswith=category.code)
    rating_q = Q(min_rating_level__isnull=True)
    if organisation.rating_is_current:
        rating_q |= Q(min_rating_level__lte=organisation.rating_level)
    invited = Tender.invited.through.objects.filter(
        tender_id=OuterRef("pk"), organisation_id=organisation.pk
    )
    invitation_q = ~Q(method__in=[Tender.Method.INVITED, Tender.Method.SINGLE_SOURCE]) | Q(
        Exists(invited)
    )
    tenders = Tender.objects.filter(
        region_q,
        category_q,
        rating_q,
        invitation_q,
        status=Tender.Status.PUBLISHED,
        bid_deadline__gt=timezone.now(),
        min_years_registered__lte=_full_years_since(organisation.registered_on, today),
    )
    return _with_list_relations(tenders.order_by("bid_deadline", "pk"))


def clarification_list_public(tender):
    """Answered questions, oldest first; which organisation asked is never part of it."""
    return (
        Clarification.objects.filter(tender=tender, answered_at__isnull=False)
        .only("id", "tender_id", "question", "answer", "asked_at", "answered_at")
        .order_by("answered_at", "pk")
    )


def clarification_inbox(tender):
    """All questions of a tender for its buyer's officers, unanswered first."""
    return Clarification.objects.filter(tender=tender).order_by(
        F("answered_at").desc(nulls_first=True), "asked_at", "pk"
    )


def tender_followed_by(tender, organisations) -> set[int]:
    """The ids of those of `organisations` that follow `tender`."""
    return set(
        TenderFollow.objects.filter(tender=tender, organisation__in=organisations).values_list(
            "organisation_id", flat=True
        )
    )


def tender_documents_public(tender):
    """The documents of the current version of a published tender."""
    return tender.documents.filter(removed_in_version=None).order_by("pk")


def tender_recipient_emails(tender) -> list[str]:
    """Email addresses of the members of every organisation that bid for or follows `tender`."""
    bidders = Bid.objects.filter(Bid.LIVE, tender=tender).values("organisation_id")
    followers = TenderFollow.objects.filter(tender=tender).values("organisation_id")
    return sorted(
        set(
            OrganisationMembership.objects.filter(
                Q(organisation_id__in=bidders) | Q(organisation_id__in=followers)
            ).values_list("user__email", flat=True)
        )
    )
