"""Project results (项目成果), public: the published result pages of completed contracts,
filtered as on /results/, and one result with the live facts of its contract. Drafts and
pages in a private section are 404, as on the site."""

from ninja import Query, Router

from marketplace.api import schemas
from marketplace.api.errors import responses
from marketplace.api.pagination import PageQuery, paginate
from marketplace.api.params import category_param, region_param
from marketplace.selectors.results import result_facts, result_page_public_get, result_pages_public

router = Router(tags=["public"])


@router.get("/results/", response=responses(schemas.ResultPage), url_name="api_result_list")
def result_list(
    request,
    pages: Query[PageQuery],
    category: str | None = Query(None, description="服务类目编码，含下级类目"),
    district: str | None = Query(None, description="行政区划代码，含下级地区"),
    year: int | None = Query(None, ge=1900, le=9999, description="合同结项（结束）年份"),
):
    """Published project results, newest publication first."""
    results = result_pages_public(
        category=category_param(category), region=region_param(district, "district"), year=year
    )
    return paginate(request, results, pages, schemas.result_item)


@router.get(
    "/results/{result_id}/", response=responses(schemas.ResultDetail), url_name="api_result_detail"
)
def result_detail(request, result_id: int):
    """A published result: the contract's parties, amount, period, indicators planned vs
    achieved, beneficiaries, a summary of the visible evaluations and residents'
    satisfaction, read live; the story as plain text."""
    page = result_page_public_get(pk=result_id)
    return schemas.result_detail(request, page, facts=result_facts(page.contract))
