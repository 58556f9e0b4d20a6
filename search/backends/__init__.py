"""The search backends behind one interface (search.types):

search(query: SearchQuery) -> SearchResults
suggest(prefix: str, *, kinds=Kind.ALL, limit=8) -> list[str]
index(kind, ids) -> list[int]   (the ids now in the index; the others were removed)
delete(kind, ids) -> None
rebuild(*, kinds=Kind.ALL, progress=None, ...) -> dict[kind, count]
"""

from django.conf import settings

from search.backends.database import DatabaseBackend
from search.backends.elasticsearch import ElasticsearchBackend


def get_backend():
    """Elasticsearch when settings.ELASTICSEARCH_URL is set, else the database backend."""
    if settings.ELASTICSEARCH_URL:
        return ElasticsearchBackend(settings.ELASTICSEARCH_URL)
    return DatabaseBackend()
