"""The only way to read a file from private storage: a permission check, then the bytes as
an attachment. Never a redirect to a media URL (private storage has none)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control

from marketplace import permissions
from marketplace.models import TenderDocument
from marketplace.selectors.awards import objection_document_get_for_user
from marketplace.selectors.bids import bid_document_get_for_user
from marketplace.selectors.delivery import report_document_get_for_user


def _attachment(document, *, private) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True, filename=document.title)
    # Served as a download, never rendered: a bidder's "PDF" must not run in our origin.
    response["X-Content-Type-Options"] = "nosniff"
    if private:
        patch_cache_control(response, private=True, no_store=True)
    return response


def tender_document_download(request, pk):
    """A published tender's documents are public; a draft's only for the buyer's officers."""
    document = get_object_or_404(TenderDocument.objects.select_related("tender"), pk=pk)
    is_draft = not document.tender.is_public
    if is_draft and not permissions.can_manage_tender(request.user, document.tender):
        raise Http404
    return _attachment(document, private=is_draft)


def bid_document_download(request, pk):
    """A bid file, under the sealed-bid rule of the bid itself (404 for anyone else)."""
    document = bid_document_get_for_user(pk=pk, user=request.user)
    return _attachment(document, private=True)


def objection_document_download(request, pk):
    """Objection evidence: the objector's members and the users who run the evaluation."""
    document = objection_document_get_for_user(pk=pk, user=request.user)
    return _attachment(document, private=True)


def report_document_download(request, pk):
    """Milestone report evidence: the contract's two parties only (404 for anyone else)."""
    document = report_document_get_for_user(pk=pk, user=request.user)
    return _attachment(document, private=True)
