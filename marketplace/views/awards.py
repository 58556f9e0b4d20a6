"""Award notices (中标公告), the award action and objections (质疑).

Buyer-side pages check, per object, that the user may run the tender's evaluation (buyer
officers, or a delegated 公益创投 operator) and 404 otherwise; the services check again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import pagecache
from marketplace.forms.awards import AwardForm, ObjectionAnswerForm, ObjectionForm
from marketplace.models import Bid, Organisation
from marketplace.selectors.awards import (
    award_list_public,
    objection_get_for_answer,
    objection_inbox_for_user,
    objection_organisations,
    objections_for_bidder,
)
from marketplace.selectors.evaluations import tender_get_for_evaluation
from marketplace.selectors.tenders import tender_get_for_user
from marketplace.services.awards import award_make, objection_answer, objection_file
from marketplace.views import add_service_errors, paginate


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def award_create(request, pk):
    """Award the tender to one bid at its price; back to the evaluation dashboard."""
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    form = AwardForm(request.POST)
    bid = None
    if form.is_valid():
        bid = (
            Bid.objects.filter(tender=tender, pk=form.cleaned_data["bid"])
            .select_related("organisation")
            .first()
        )
    if bid is None:
        messages.error(request, _("请选择本项目的一份有效投标。"))
        return redirect("evaluation_dashboard", tender.pk)
    try:
        award_make(tender=tender, bid=bid, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, _("未能公告结果：%(errors)s") % {"errors": text})
        return redirect("evaluation_dashboard", tender.pk)
    messages.success(
        request,
        _("已公告中标（成交）结果：%(name)s。公示期内投标人可提出质疑。")
        % {"name": bid.organisation.name},
    )
    return redirect(reverse("tender_detail", args=[tender.pk]) + "#award")


@pagecache.public_page("tenders")
def award_list(request):
    """Every award notice of a public tender, newest first (revoked ones marked)."""
    page = paginate(request, award_list_public())
    pagecache.expires_by(request, *(award.notice_ends_at for award in page))
    return render(request, "marketplace/award_list.html", {"page": page})


@login_required
def objection_file_view(request, pk):
    """The objection form, for members of an organisation with a live bid on the tender."""
    tender = tender_get_for_user(pk=pk, user=request.user)
    bids = objection_organisations(request.user, tender)
    if not bids:
        raise Http404
    organisations = Organisation.objects.filter(pk__in=[bid.organisation_id for bid in bids])
    form = ObjectionForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        organisations=organisations.order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            objection_file(
                tender=tender,
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                grounds=form.cleaned_data["grounds"],
                files=form.cleaned_data["files"] or (),
            )
        except ValidationError as error:
            add_service_errors(form, error, formsets=None)
        else:
            messages.success(request, _("质疑已提交，采购人将在规定期限内答复。"))
            return redirect("objection_file", tender.pk)
    return render(
        request,
        "marketplace/objection_form.html",
        {
            "tender": tender,
            "form": form,
            "objections": objections_for_bidder(request.user, tender=tender),
        },
    )


@login_required
def objection_inbox(request):
    """Objections on the tenders the user runs: open ones first, overdue ones flagged."""
    page = paginate(request, objection_inbox_for_user(request.user))
    return render(request, "marketplace/objection_inbox.html", {"page": page})


@login_required
def objection_answer_view(request, pk):
    """Answer one objection: dismissed, or upheld with an outcome (re-evaluate or cancel)."""
    objection = objection_get_for_answer(pk=pk, user=request.user)
    form = None
    if objection.status == objection.Status.OPEN:
        form = ObjectionAnswerForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                objection_answer(
                    objection=objection,
                    by=request.user,
                    answer=form.cleaned_data["answer"],
                    upheld=form.cleaned_data["upheld"],
                    outcome=form.cleaned_data["outcome"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("答复已记录，全体投标人将收到通知。"))
                return redirect("objection_inbox")
    elif request.method == "POST":
        messages.error(request, _("该质疑已答复。"))
    return render(
        request,
        "marketplace/objection_answer.html",
        {
            "objection": objection,
            "tender": objection.tender,
            "documents": objection.documents.all(),
            "form": form,
        },
    )
