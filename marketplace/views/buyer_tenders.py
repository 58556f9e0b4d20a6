"""The buyer officer's tenders: draft, publish, amend, cancel, answer questions, open bids.

Every view checks on the server, per object, that the user is an officer of the tender's
buyer (others get 404 for a tender, 403 for a buyer); the services check again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.tenders import (
    AnswerForm,
    CancelForm,
    CriterionFormSet,
    MilestoneFormSet,
    TenderAmendForm,
    TenderForm,
    TenderStatusFilterForm,
    formset_rows,
)
from marketplace.models import Buyer, Clarification, Tender
from marketplace.selectors.audit import audit_latest_reason
from marketplace.selectors.bids import bid_list_for_user, opening_get_for_user
from marketplace.selectors.buyers import buyer_memberships_for_user
from marketplace.selectors.tenders import (
    clarification_inbox,
    tender_documents_public,
    tender_list_for_officer,
)
from marketplace.services.bids import tender_open
from marketplace.services.clarifications import clarification_answer
from marketplace.services.tenders import (
    tender_amend,
    tender_cancel,
    tender_create,
    tender_fail,
    tender_publish,
    tender_update,
)
from marketplace.views import add_service_errors, paginate, query_without_page
from marketplace.workflows import TENDER_TRANSITIONS

FORM_TEMPLATE = "marketplace/buyer_tender_form.html"


def _tender_for_officer(user, pk) -> Tender:
    """The tender if `user` is an officer of its buyer; 404 otherwise (drafts are private)."""
    tender = get_object_or_404(
        Tender.objects.select_related("buyer", "category", "region", "assistance_item"), pk=pk
    )
    if not permissions.can_manage_tender(user, tender):
        raise Http404
    return tender


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _bind(request, form_class, *, tender=None):
    """The tender form and its two formsets, bound on POST, else prefilled from `tender`."""
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    criteria_initial = milestones_initial = None
    if tender is not None:
        criteria_initial = [
            {"name": c.name, "weight": c.weight, "is_price": c.is_price}
            for c in tender.criteria.all()
        ]
        milestones_initial = [
            {"name": m.name, "percentage": m.percentage} for m in tender.milestones.all()
        ]
    form = form_class(data, files, instance=tender)
    criteria = CriterionFormSet(data, prefix="criteria", initial=criteria_initial)
    milestones = MilestoneFormSet(data, prefix="milestones", initial=milestones_initial)
    return form, criteria, milestones


def _all_valid(form, *formsets) -> bool:
    # A list, not a generator: every form is validated so every error shows at once.
    return all([form.is_valid(), *[formset.is_valid() for formset in formsets]])


def _service_kwargs(form, criteria, milestones) -> dict:
    return {
        **form.service_fields(),
        "criteria": formset_rows(criteria),
        "milestones": formset_rows(milestones),
        "invited": form.cleaned_data["invited"],
        "documents": form.cleaned_data["documents"],
    }


def _render_form(request, form, criteria, milestones, **context):
    return render(
        request,
        FORM_TEMPLATE,
        {"form": form, "criteria": criteria, "milestones": milestones, **context},
    )


@login_required
def buyer_tender_list(request):
    """The officer's tenders across all their buyers, with unanswered questions counted."""
    memberships = list(buyer_memberships_for_user(request.user))
    if not memberships:
        raise PermissionDenied
    form = TenderStatusFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else None
    page = paginate(request, tender_list_for_officer(request.user, status=status or None))
    return render(
        request,
        "marketplace/buyer_tender_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "memberships": memberships,
            "now": timezone.now(),
        },
    )


@login_required
def buyer_tender_create(request, pk):
    buyer = get_object_or_404(Buyer, pk=pk)
    if not permissions.is_buyer_officer(request.user, buyer):
        raise PermissionDenied
    form, criteria, milestones = _bind(request, TenderForm)
    if request.method == "POST" and _all_valid(form, criteria, milestones):
        try:
            tender = tender_create(
                by=request.user, buyer=buyer, **_service_kwargs(form, criteria, milestones)
            )
        except ValidationError as error:
            add_service_errors(form, error, {"criteria": criteria, "milestones": milestones})
        else:
            messages.success(request, _("草稿已保存。核对无误后即可发布。"))
            return redirect("buyer_tender_detail", tender.pk)
    return _render_form(request, form, criteria, milestones, buyer=buyer, mode="create")


@login_required
def buyer_tender_edit(request, pk):
    tender = _tender_for_officer(request.user, pk)
    if tender.status != Tender.Status.DRAFT:
        messages.error(request, _("已发布的项目只能通过变更公告修改。"))
        return redirect("buyer_tender_detail", tender.pk)
    form, criteria, milestones = _bind(request, TenderForm, tender=tender)
    if request.method == "POST" and _all_valid(form, criteria, milestones):
        try:
            tender_update(
                tender=tender, by=request.user, **_service_kwargs(form, criteria, milestones)
            )
        except ValidationError as error:
            add_service_errors(form, error, {"criteria": criteria, "milestones": milestones})
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("buyer_tender_detail", tender.pk)
    return _render_form(
        request, form, criteria, milestones, buyer=tender.buyer, tender=tender, mode="edit"
    )


@login_required
def buyer_tender_amend(request, pk):
    """A change to a published tender: a new public version with a note (变更公告)."""
    tender = _tender_for_officer(request.user, pk)
    if tender.status != Tender.Status.PUBLISHED or timezone.now() >= tender.bid_deadline:
        messages.error(request, _("只有投标截止前的已发布项目可以变更。"))
        return redirect("buyer_tender_detail", tender.pk)
    form, criteria, milestones = _bind(request, TenderAmendForm, tender=tender)
    if request.method == "POST" and _all_valid(form, criteria, milestones):
        try:
            version = tender_amend(
                tender=tender,
                by=request.user,
                note=form.cleaned_data["note"],
                remove_documents=[doc.pk for doc in form.cleaned_data["remove_documents"]],
                **_service_kwargs(form, criteria, milestones),
            )
        except ValidationError as error:
            add_service_errors(form, error, {"criteria": criteria, "milestones": milestones})
        else:
            messages.success(
                request,
                _("变更公告已发布（第 %(number)d 版），已投标的组织须重新确认投标。")
                % {"number": version.number},
            )
            return redirect("buyer_tender_detail", tender.pk)
    return _render_form(
        request, form, criteria, milestones, buyer=tender.buyer, tender=tender, mode="amend"
    )


@login_required
def buyer_tender_detail(request, pk):
    tender = _tender_for_officer(request.user, pk)
    now = timezone.now()
    opening = opening_get_for_user(tender=tender, user=request.user)
    questions = [
        (question, None if question.answered_at else AnswerForm(auto_id=f"id_q{question.pk}_%s"))
        for question in clarification_inbox(tender)
    ]
    status = Tender.Status
    return render(
        request,
        "marketplace/buyer_tender_detail.html",
        {
            "tender": tender,
            "criteria": tender.criteria.all(),
            "milestones": tender.milestones.all(),
            "invited": tender.invited.order_by("name"),
            "documents": tender_documents_public(tender),
            "versions": tender.versions.order_by("-number"),
            "questions": questions,
            "unanswered": sum(1 for _question, form in questions if form is not None),
            "opening": opening,
            # Sealed: the selector returns bids only once the tender has been opened.
            "bids": bid_list_for_user(request.user, tender=tender) if opening else [],
            "cancel_form": CancelForm(can_fail=status.FAILED in TENDER_TRANSITIONS[tender.status]),
            "can_edit": tender.status == status.DRAFT,
            "can_amend": tender.status == status.PUBLISHED and now < tender.bid_deadline,
            "can_open": tender.status in (status.PUBLISHED, status.CLOSED)
            and now >= tender.bid_deadline,
            "can_cancel": status.CANCELLED in TENDER_TRANSITIONS[tender.status],
            "is_public": tender.status != status.DRAFT,
            "status_reason": audit_latest_reason(tender, to_status=tender.status)
            if tender.status in (status.CANCELLED, status.FAILED)
            else "",
        },
    )


@login_required
@require_POST
def buyer_tender_publish(request, pk):
    tender = _tender_for_officer(request.user, pk)
    try:
        tender = tender_publish(tender=tender, by=request.user)
    except ValidationError as error:
        messages.error(request, _("未能发布：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(
            request, _("项目已发布，公告编号 %(reference)s。") % {"reference": tender.reference}
        )
    return redirect("buyer_tender_detail", tender.pk)


@login_required
@require_POST
def buyer_tender_cancel(request, pk):
    tender = _tender_for_officer(request.user, pk)
    form = CancelForm(request.POST, can_fail="outcome" in request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写原因，原因将随公告公开。"))
        return redirect("buyer_tender_detail", tender.pk)
    failed = form.cleaned_data.get("outcome") == Tender.Status.FAILED
    service = tender_fail if failed else tender_cancel
    try:
        service(tender=tender, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("项目已流标。") if failed else _("项目已取消。"))
    return redirect("buyer_tender_detail", tender.pk)


@login_required
@require_POST
def buyer_tender_open(request, pk):
    tender = _tender_for_officer(request.user, pk)
    try:
        opening = tender_open(tender=tender, by=request.user)
    except ValidationError as error:
        messages.error(request, _("未能开标：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(
            request, _("已开标，共 %(count)d 份有效投标。") % {"count": len(opening.record)}
        )
    return redirect("buyer_tender_detail", tender.pk)


@login_required
@require_POST
def clarification_answer_view(request, pk):
    clarification = get_object_or_404(Clarification.objects.select_related("tender__buyer"), pk=pk)
    tender = clarification.tender
    if not permissions.can_manage_tender(request.user, tender):
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写答复（不超过4000字）。"))
    else:
        try:
            clarification_answer(
                clarification=clarification, by=request.user, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("答复已公开，投标和关注的组织将收到通知。"))
    return redirect(reverse("buyer_tender_detail", args=[tender.pk]) + f"#q{clarification.pk}")
