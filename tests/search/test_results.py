"""Project results (项目成果) in the index follow Wagtail and the marketplace: publishing,
unpublishing, deleting, moving behind a view restriction, and changes of the contract's facts
each update the index after commit (a background task), and a rebuild indexes them too."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F
from wagtail.models import PageViewRestriction

from cms.services import result_page_create_draft
from marketplace import events
from marketplace.models import Contract, Milestone
from marketplace.services.organisations import organisation_update
from search import indexing
from search.backends.database import DatabaseBackend
from search.models import SearchEntry
from search.types import Kind, SearchQuery
from tests.cms.helpers import completed_contract, published_result

pytestmark = pytest.mark.django_db

STORY = [{"type": "heading", "value": "为200位老人提供助餐服务"}]


def found(text):
    query = SearchQuery(text=text, kinds=(Kind.RESULT,))
    return [hit.id for hit in DatabaseBackend().search(query).hits]


def test_publishing_indexes_the_result_after_commit(django_capture_on_commit_callbacks):
    page = result_page_create_draft(contract=completed_contract())
    page.story = STORY
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page.save_revision().publish()
        assert found("助餐") == []
    assert callbacks
    for callback in callbacks:
        callback()
    assert found("助餐") == [page.pk]
    entry = SearchEntry.objects.get(kind=Kind.RESULT, object_id=page.pk)
    assert entry.url == page.url
    assert entry.fields["amount"] == str(page.contract.amount.amount)


def test_unpublishing_and_deleting_remove_the_result(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        unpublished = published_result(story=STORY)
        deleted = published_result(story=STORY)
    assert sorted(found("助餐")) == sorted([unpublished.pk, deleted.pk])

    with django_capture_on_commit_callbacks(execute=True):
        unpublished.unpublish()
    assert found("助餐") == [deleted.pk]
    with django_capture_on_commit_callbacks(execute=True):
        deleted.delete()
    assert found("助餐") == []
    assert not SearchEntry.objects.filter(kind=Kind.RESULT).exists()


def test_a_view_restriction_above_a_result_takes_it_out_and_back(
    django_capture_on_commit_callbacks,
):
    """Restricting the results index makes every result under it private."""
    with django_capture_on_commit_callbacks(execute=True):
        page = published_result(story=STORY)
    index = page.get_parent()
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=index, restriction_type=PageViewRestriction.LOGIN
        )
    assert found("助餐") == []
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert found("助餐") == [page.pk]


def test_a_changed_organisation_name_refreshes_its_results(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    """The facts are read live: renaming the organisation re-indexes its result pages."""
    contract = completed_contract(award__bid__organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        page = published_result(contract, story=STORY)
    assert found("蓝天") == []
    with django_capture_on_commit_callbacks(execute=True):
        organisation_update(organisation=organisation, by=org_admin, name="蓝天社工服务中心")
    assert found("蓝天") == [page.pk]
    entry = SearchEntry.objects.get(kind=Kind.RESULT, object_id=page.pk)
    assert entry.fields["organisation"] == "蓝天社工服务中心"


def test_contract_events_refresh_its_result_and_others_cost_nothing(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A contract variation re-indexes its result page, looked up after the commit; an
    event about a contract without a result page enqueues nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        page = published_result(story=STORY)
    contract = page.contract
    # What a variation does to the amounts (the milestones still add up to the contract's).
    Contract.objects.filter(pk=contract.pk).update(amount=F("amount") * 2)
    Milestone.objects.filter(contract=contract).update(amount=F("amount") * 2)
    doubled = str(contract.amount.amount * 2)
    with django_capture_on_commit_callbacks(execute=True):
        events.contract_varied.send(
            sender=Contract, instance=contract, version=contract.versions.latest("number")
        )
    entry = SearchEntry.objects.get(kind=Kind.RESULT, object_id=page.pk)
    assert entry.fields["amount"] == doubled

    other = completed_contract()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(0),
    ):
        indexing.schedule_results(indexing.results_of(contract_id=other.pk))
    # After the commit: one query finds no result page, and no task is enqueued.
    with django_assert_num_queries(1):
        for callback in callbacks:
            callback()


def test_records_cost_the_same_queries_for_one_result_as_for_three(django_assert_num_queries):
    pages = [published_result(story=STORY) for _ in range(3)]
    counts = []
    for chosen in (pages[:1], pages):
        indexing.records(Kind.RESULT, [p.pk for p in chosen])  # warm the site-root cache
        with django_assert_num_queries(5) as captured:
            records = indexing.records(Kind.RESULT, [p.pk for p in chosen])
        counts.append(len(captured))
        assert [record.id for record in records] == [p.pk for p in chosen]
    assert counts[0] == counts[1]


def test_rebuild_command_indexes_results_with_a_progress_bar():
    published_result(story=STORY)
    result_page_create_draft(contract=completed_contract())
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "rebuild_search_index", "--kind", "result", "--processes", "1", stdout=out, stderr=err
    )
    assert "result [" in err.getvalue() and "1/1" in err.getvalue()
    assert "result: 1 written" in out.getvalue()
    assert len(found("助餐")) == 1
