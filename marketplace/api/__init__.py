"""The JSON API /api/v1/ (django-ninja): public reads (marketplace/api/public.py), project
results (results.py), token endpoints for organisations' own systems (organisations.py),
errors as JSON (errors.py), pages of lists (pagination.py), rate limits per client
(ratelimit.py), the OpenAPI document and self-hosted docs."""

from django.urls import URLPattern
from ninja import NinjaAPI, Swagger

from marketplace.api import errors, organisations, public, results
from marketplace.api.ratelimit import ApiRateLimit

DESCRIPTION = """政社通（zhengshe）开放接口。

* 公开接口无需令牌：服务项目、中标公告、合同、社会组织、购买主体、项目成果；列表分页参数 `page`、`page_size`。
* 项目成果（`/results/`）：已发布的项目成果页面，可按服务类目、地区、结项年份筛选；详情中的合同金额、
  绩效指标（计划与完成）、服务人次、双向评估汇总和居民满意度均实时取自合同，与网站成果页面一致。
* 社会组织与购买主体附有双向评估的综合得分（贝叶斯平均，1–5 分）和计入统计的评价数。
* 组织接口需在请求头携带 `Authorization: Bearer <令牌>`；令牌由社会组织管理员在“成员管理 › API 令牌”创建，
  以创建时指定的成员身份、仅为该组织调用，规则与网页表单相同。
* 错误统一为 `{"error": {"code": …, "message": …, "fields": …}}`，消息语言随 `Accept-Language`（zh-hans、en）；
  不存在的接口地址返回 404，不支持的请求方法返回 405（响应头 `Allow` 列出可用方法）。
* 限流：匿名按 IP、令牌按令牌计数，响应头 `X-RateLimit-Limit`、`X-RateLimit-Remaining`、`X-RateLimit-Reset`，
  超限返回 429 与 `Retry-After`。
"""


class ZhengsheAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        """Every JSON response carries the caller's rate-limit state when it was counted."""
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        state = getattr(request, "api_rate", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response

    @property
    def urls(self):
        """ninja's URL patterns, each answering errors in the API's shape, then the pattern
        that answers every other path under /api/v1/ (a JSON 404 instead of the site's page)."""
        patterns, app_name, namespace = super().urls
        patterns = [
            errors.json_method_errors(self, p) if isinstance(p, URLPattern) else p for p in patterns
        ]
        return [*patterns, errors.unknown_endpoint_pattern(self)], app_name, namespace


api = ZhengsheAPI(
    title="政社通 API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[ApiRateLimit()],
)
errors.install(api)
api.add_router("/", public.router)
api.add_router("/", results.router)
api.add_router("/", organisations.router)
