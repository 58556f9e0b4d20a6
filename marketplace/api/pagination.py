"""Pages of API lists: ?page=&page_size= (at most settings.API_MAX_PAGE_SIZE), with the
total count and absolute next/previous links that keep the other query parameters. Two
queries per page (count and rows) plus whatever the queryset prefetches: constant."""

from django.conf import settings


def _link(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(request, queryset, *, page: int, page_size: int | None, serialize) -> dict:
    """One page of `queryset`, each row through `serialize`. A page past the end is empty."""
    size = min(page_size or settings.PAGE_SIZE, settings.API_MAX_PAGE_SIZE)
    count = queryset.count()
    start = (page - 1) * size
    rows = list(queryset[start : start + size]) if start < count else []
    return {
        "count": count,
        "page": page,
        "page_size": size,
        "next": _link(request, page + 1) if start + size < count else None,
        "previous": _link(request, page - 1) if page > 1 else None,
        "results": [serialize(row) for row in rows],
    }
