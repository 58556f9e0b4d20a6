"""Public tender pages: the list with filters, the notice with its versions, answers and
opening record, and what an organisation's member does there (ask, follow, go to bid)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from djmoney.money import Money

from marketplace import pagecache
from marketplace.forms.tenders_public import FollowForm, QuestionForm, TenderFilterForm
from marketplace.models import Organisation, Tender
from marketplace.selectors.audit import audit_latest_reason
from marketplace.selectors.awards import award_notice_public
from marketplace.selectors.bids import opening_get_for_user
from marketplace.selectors.organisations import organisation_memberships_for_user
from marketplace.selectors.tenders import (
    clarification_list_public,
    snapshot_diff,
    snapshot_labels,
    tender_count_public,
    tender_documents_public,
    tender_followed_by,
    tender_get_for_user,
    tender_list_public,
)
from marketplace.services.clarifications import (
    clarification_ask,
    tender_follow,
    tender_unfollow,
)
from marketplace.views import paginate, query_without_page


def _money(amount):
    return Money(amount, "CNY") if amount is not None else None


@pagecache.public_page("tenders")
def tender_list(request):
    form = TenderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tenders = tender_list_public(
        category=filters.get("category"),
        region=filters.get("region"),
        method=filters.get("method") or None,
        status=filters.get("status") or None,
        budget_min=_money(filters.get("budget_min")),
        budget_max=_money(filters.get("budget_max")),
        sort=filters.get("sort") or "newest",
    )
    unfiltered = all(value in (None, "") for name, value in filters.items() if name != "sort")
    page = paginate(request, tenders, count=tender_count_public() if unfiltered else None)
    pagecache.expires_by(request, *(tender.bid_deadline for tender in page))
    return render(
        request,
        "marketplace/tender_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
        },
    )


def time_left(deadline, now=None) -> str:
    """How long bidding stays open, as people say it: 剩余 3 天 4 小时; empty once past."""
    remaining = deadline - (now or timezone.now())
    if remaining <= datetime.timedelta(0):
        return ""
    days, seconds = remaining.days, remaining.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if days:
        return _("剩余 %(days)d 天 %(hours)d 小时") % {"days": days, "hours": hours}
    if hours:
        return _("剩余 %(hours)d 小时 %(minutes)d 分钟") % {"hours": hours, "minutes": minutes}
    return _("剩余 %(minutes)d 分钟") % {"minutes": max(minutes, 1)}


def _opening_rows(opening):
    """The stored opening record, with amounts as Money and times as datetimes for display."""
    return [
        {
            "organisation": row["organisation"],
            "amount": Money(row["amount"], row.get("currency", "CNY")),
            "submitted_at": parse_datetime(row["submitted_at"]),
            "reconfirmed": row.get("reconfirmed", True),
        }
        for row in opening.record
    ]


def _acting_organisations(user):
    """The verified organisations a signed-in user may act for on a tender page."""
    if not user.is_authenticated:
        return []
    return [
        membership.organisation
        for membership in organisation_memberships_for_user(user)
        if membership.organisation.status == Organisation.Status.VERIFIED
    ]


def _organisation_queryset(user):
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def _member_context(tender, organisations):
    now = timezone.now()
    followed = tender_followed_by(tender, organisations)
    pick = Organisation.objects.filter(pk__in=[o.pk for o in organisations]).order_by("name")
    can_ask = tender.status == Tender.Status.PUBLISHED and now < tender.clarification_deadline
    return {
        "member_rows": [
            {
                "organisation": organisation,
                "following": organisation.pk in followed,
                "follow_form": FollowForm(
                    auto_id=False,
                    initial={
                        "organisation": organisation.pk,
                        "action": "unfollow" if organisation.pk in followed else "follow",
                    },
                    organisations=pick,
                ),
            }
            for organisation in organisations
        ],
        "question_form": QuestionForm(organisations=pick) if can_ask else None,
    }


@pagecache.public_page("tenders")
def tender_detail(request, pk):
    tender = tender_get_for_user(pk=pk, user=request.user)
    pagecache.expires_by(
        request, tender.clarification_deadline, tender.bid_deadline, tender.opening_at
    )
    opening = opening_get_for_user(tender=tender, user=request.user)
    reason = ""
    if tender.status in (Tender.Status.CANCELLED, Tender.Status.FAILED):
        reason = audit_latest_reason(tender, to_status=tender.status)
    award_notice = award_notice_public(tender)
    if award_notice is not None:
        pagecache.expires_by(request, award_notice.notice_ends_at)
    context = {
        "tender": tender,
        "time_left": time_left(tender.bid_deadline) if tender.bidding_open else "",
        "clarification_open": tender.status == Tender.Status.PUBLISHED
        and timezone.now() < tender.clarification_deadline,
        "reason": reason,
        "criteria": tender.criteria.all(),
        "milestones": tender.milestones.all(),
        "invited": tender.invited.order_by("name") if tender.needs_invitation else [],
        "documents": tender_documents_public(tender),
        "versions": tender.versions.defer("snapshot", "changes"),
        "clarifications": clarification_list_public(tender),
        "opening": opening,
        "opening_rows": _opening_rows(opening) if opening else [],
        "award_notice": award_notice,
    }
    organisations = _acting_organisations(request.user)
    if organisations and tender.is_public:
        context.update(_member_context(tender, organisations))
    return render(request, "marketplace/tender_detail.html", context)


def _display(value):
    """Snapshot values are strings or lists of strings; lists are shown as lists."""
    return {"is_list": isinstance(value, list), "value": value}


@pagecache.public_page("tenders")
def tender_version_detail(request, pk, number):
    tender = tender_get_for_user(pk=pk, user=request.user)
    versions = {v.number: v for v in tender.versions.filter(number__in=[number - 1, number])}
    if number not in versions:
        raise Http404
    version = versions[number]
    labels = snapshot_labels()
    rows = [
        {"label": labels.get(key, key), **_display(value)}
        for key, value in version.snapshot.items()
    ]
    changes = []
    if number > 1:
        previous = versions.get(number - 1)
        diff = version.changes or (
            snapshot_diff(previous.snapshot, version.snapshot) if previous else []
        )
        changes = [
            {
                "label": labels.get(change["field"], change["field"]),
                "sides": [_display(change["before"]), _display(change["after"])],
            }
            for change in diff
        ]
    return render(
        request,
        "marketplace/tender_version_detail.html",
        {"tender": tender, "version": version, "rows": rows, "changes": changes},
    )


def _report(request, error):
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("您无权执行此操作。"))
    else:
        messages.error(request, " ".join(error.messages))


def _form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def clarification_ask_view(request, pk):
    tender = tender_get_for_user(pk=pk, user=request.user)
    form = QuestionForm(request.POST, organisations=_organisation_queryset(request.user))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(tender)
    try:
        clarification_ask(
            tender=tender,
            organisation=form.cleaned_data["organisation"],
            by=request.user,
            question=form.cleaned_data["question"],
        )
    except (ValidationError, PermissionDenied) as error:
        _report(request, error)
    else:
        messages.success(request, _("问题已提交。购买主体答复后，问答将在本页公开。"))
    return redirect(tender)


@login_required
@require_POST
def tender_follow_view(request, pk):
    tender = tender_get_for_user(pk=pk, user=request.user)
    form = FollowForm(request.POST, organisations=_organisation_queryset(request.user))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(tender)
    organisation = form.cleaned_data["organisation"]
    following = form.cleaned_data["action"] == "follow"
    service = tender_follow if following else tender_unfollow
    try:
        service(tender=tender, organisation=organisation, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        _report(request, error)
    else:
        message = (
            _("%(organisation)s 已关注本项目，答疑和变更将通过邮件通知。")
            if following
            else _("%(organisation)s 已取消关注本项目。")
        )
        messages.success(request, message % {"organisation": organisation.name})
    return redirect(tender)
