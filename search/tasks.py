"""Background tasks of the search app (django-tasks: immediate in dev and tests, the
database queue in production)."""

from django_tasks import task

from search import backends, indexing


@task()
def update_search_index(*, kind: str, ids: list[int]) -> list[int]:
    """Index, re-index or remove these objects of `kind`; returns the ids now indexed."""
    return indexing.index_update(kind=kind, ids=ids, backend=backends.get_backend())
