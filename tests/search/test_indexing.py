"""The index follows the marketplace: events → a background task after commit → the index."""

from django.dispatch import receiver

from marketplace.models import Tender
from marketplace.services.organisations import organisation_suspend, organisation_update
from marketplace.services.tenders import tender_cancel
from search import indexing
from search.backends.database import DatabaseBackend
from search.models import SearchEntry
from search.signals import indexed
from search.types import Kind, SearchQuery
from tests import factories


def found(text, kinds=Kind.ALL):
    return [hit.title for hit in DatabaseBackend().search(SearchQuery(text=text, kinds=kinds)).hits]


def test_cancelling_a_tender_removes_it_after_commit(
    officer, buyer, django_capture_on_commit_callbacks
):
    tender = factories.TenderFactory(title="居家养老将取消", buyer=buyer)
    DatabaseBackend().rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        tender_cancel(tender=tender, by=officer, reason="资金未落实")
    assert found("养老") == []


def test_nothing_changes_before_commit(officer, buyer, django_capture_on_commit_callbacks):
    tender = factories.TenderFactory(title="居家养老等待提交", buyer=buyer)
    DatabaseBackend().rebuild()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tender_cancel(tender=tender, by=officer, reason="资金未落实")
        assert found("养老") == ["居家养老等待提交"]
    assert callbacks


def test_suspending_an_organisation_removes_it(staff, django_capture_on_commit_callbacks):
    organisation = factories.OrganisationFactory(name="养老服务中心")
    DatabaseBackend().rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        organisation_suspend(organisation=organisation, by=staff, reason="已注销")
    assert found("养老") == []


def test_profile_edits_are_indexed(organisation, org_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        organisation_update(
            organisation=organisation,
            by=org_admin,
            description="专注青少年心理健康辅导",
            categories=[factories.category("0303")],
        )
    assert found("青少年", kinds=(Kind.ORGANISATION,)) == [organisation.name]
    entry = SearchEntry.objects.get(kind=Kind.ORGANISATION, object_id=organisation.pk)
    assert {t.split(":")[1] for t in entry.facets if t.startswith("category:")} == {
        "03",
        "0303",
    }


def test_indexed_signal_names_the_ids_now_in_the_index(
    officer, buyer, django_capture_on_commit_callbacks
):
    tender = factories.TenderFactory(title="居家养老修改", buyer=buyer)
    received = []

    @receiver(indexed)
    def listen(sender, ids, **kwargs):
        received.append((sender, ids))

    try:
        # What the tender_amended receiver does (amending needs a full published tender).
        with django_capture_on_commit_callbacks(execute=True):
            Tender.objects.filter(pk=tender.pk).update(title="居家养老已修改")
            indexing.schedule(Kind.TENDER, [tender.pk])
    finally:
        indexed.disconnect(listen)
    assert received == [(Kind.TENDER, [tender.pk])]
    assert found("养老") == ["居家养老已修改"]


def test_renaming_a_buyer_re_indexes_its_tenders_only(buyer, django_capture_on_commit_callbacks):
    """A tender's text and display hold its buyer's name; other buyers' tenders are untouched."""
    tender = factories.TenderFactory(title="居家养老更名", buyer=buyer)
    other = factories.TenderFactory(title="助残服务")
    DatabaseBackend().rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        buyer.name = "姑苏区民政局（新）"
        buyer.save()
    entry = SearchEntry.objects.get(kind=Kind.TENDER, object_id=tender.pk)
    assert entry.fields["buyer"] == "姑苏区民政局（新）"
    assert found("姑苏区民政局（新）", kinds=(Kind.TENDER,)) == ["居家养老更名"]
    assert SearchEntry.objects.get(kind=Kind.TENDER, object_id=other.pk).fields["buyer"] != (
        "姑苏区民政局（新）"
    )
