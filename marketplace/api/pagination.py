"""Pages of API lists: ?page=&page_size= (at most settings.API_MAX_PAGE_SIZE), with the
total count and absolute next/previous links that keep the other query parameters. Two
queries per page (count and rows) plus whatever the queryset prefetches: constant.

A list endpoint takes `pages: Query[PageQuery]` and returns
`paginate(request, queryset, pages, schemas.x_item)`."""

from django.conf import settings
from ninja import Field, Schema


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="页码，从 1 开始")
    page_size: int | None = Field(None, ge=1, description="每页条数（有上限）")


def _link(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(request, queryset, pages: PageQuery, serialize) -> dict:
    """One page of `queryset`, each row through `serialize(request, row)`. A page past the
    end is empty."""
    page = pages.page
    size = min(pages.page_size or settings.PAGE_SIZE, settings.API_MAX_PAGE_SIZE)
    count = queryset.count()
    start = (page - 1) * size
    rows = list(queryset[start : start + size]) if start < count else []
    return {
        "count": count,
        "page": page,
        "page_size": size,
        "next": _link(request, page + 1) if start + size < count else None,
        "previous": _link(request, page - 1) if page > 1 else None,
        "results": [serialize(request, row) for row in rows],
    }
