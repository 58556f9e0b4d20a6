"""Search fixtures: the backends the behavioural suite runs on, and indexing helpers."""

import uuid

import pytest
from django.conf import settings as django_settings

from search.backends.database import DatabaseBackend
from search.backends.elasticsearch import ElasticsearchBackend
from search.types import Kind


@pytest.fixture(params=["database", "elasticsearch"])
def backend(request, db, settings):
    """Each backend that can run here: the database one always (on the current database
    vendor); Elasticsearch only when ELASTICSEARCH_URL is set, with indices of its own."""
    if request.param == "database":
        yield DatabaseBackend()
        return
    if not django_settings.ELASTICSEARCH_URL:
        pytest.skip("Elasticsearch backend: ELASTICSEARCH_URL is not set (no cluster here)")
    settings.ELASTICSEARCH_INDEX_PREFIX = f"zs-test-{uuid.uuid4().hex[:8]}"
    backend = ElasticsearchBackend(django_settings.ELASTICSEARCH_URL)
    yield backend
    backend.client.indices.delete(index=f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*")


@pytest.fixture
def rebuild(backend):
    """Index everything now (the suite builds its data first, then searches)."""

    def run():
        return backend.rebuild(kinds=Kind.ALL)

    return run
