"""Demo-loader tests that need a database without the demo in it (test_demo_data.py loads
it once for its whole module)."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from marketplace.models import Tender
from tests import factories
from tests.marketplace.test_demo_data import load, row_counts


@pytest.mark.django_db
def test_failure_part_way_leaves_nothing_loaded():
    """A clash with existing data (a different 太仓市民政局) aborts the load and rolls it all back."""
    factories.BuyerFactory(name="太仓市民政局", region=factories.county("320585"))
    before = row_counts()
    with pytest.raises(CommandError, match="已全部回滚"):
        load()
    assert row_counts() == before


@pytest.mark.django_db
def test_demo_load_sends_no_email():
    """The loader's verifications would notify fictitious admins; those emails are discarded."""
    call_command("load_demo_data", stdout=io.StringIO())

    assert mail.outbox == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_load_sends_no_email_even_once_committed():
    """With a real commit the tender events (answers, amendments, cancellations, 流标) fire
    their notifications to fictitious bidders; the loader discards them all."""
    call_command("load_demo_data", stdout=io.StringIO())

    assert Tender.objects.filter(status=Tender.Status.CANCELLED).exists()
    assert mail.outbox == []
