"""Every error of the API as JSON: {"error": {"code", "message", "fields"?}}, the message in
the request's language (LocaleMiddleware has activated it from Accept-Language).

401 no, bad or revoked token; 403 PermissionDenied; 404 not found (or not visible); 422 the
request's own validation or a service's ValidationError (with the service's codes); 429 the
rate limit."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestValidationError

NON_FIELD = "__all__"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _field_messages(errors) -> list[dict]:
    return [
        {"code": error.code or "invalid", "message": message}
        for error in errors
        for message in error
    ]


def service_error_body(error: DjangoValidationError) -> dict:
    """A service's ValidationError: per-field messages with their codes, the first code as
    the error's code."""
    if hasattr(error, "error_dict"):
        fields = {field: _field_messages(errors) for field, errors in error.error_dict.items()}
    else:
        fields = {NON_FIELD: _field_messages(error.error_list)}
    codes = [item["code"] for items in fields.values() for item in items]
    code = next((c for c in codes if c != "invalid"), "invalid")
    message = " ".join(item["message"] for items in fields.values() for item in items)
    return error_body(code, message, fields)


def _request_field(location) -> str:
    """ "body.amount" → "amount": the name a client sent; path/query names stay as they are."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in {"body", "form", "file", "query", "path"}:
        parts = parts[1:]
    # Form and query parameters are wrapped in the schema's name (payload.amount).
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD


def _request_message(error: dict) -> dict:
    if error.get("type") == "missing":
        return {"code": "required", "message": _("此项为必填项。")}
    return {"code": "invalid", "message": _("格式或取值不正确。"), "detail": error.get("msg", "")}


def request_error_body(error: RequestValidationError) -> dict:
    fields: dict[str, list] = {}
    for item in error.errors:
        fields.setdefault(_request_field(item.get("loc", ())), []).append(_request_message(item))
    return error_body("invalid", _("请求数据有误，请检查各字段。"), fields)


def install(api) -> None:
    """Register the handlers on the NinjaAPI instance (they replace ninja's defaults)."""

    def respond(request, body, status):
        return api.create_response(request, body, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = respond(
            request,
            error_body("unauthenticated", _("缺少有效的 API 令牌，或令牌已被吊销。")),
            401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return respond(request, error_body("rate_limited", _("请求过于频繁，请稍后再试。")), 429)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, error_body("error", str(exc)), exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, error_body("not_found", _("未找到该对象，或您无权查看。")), 404)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        message = str(exc) or _("您无权执行此操作。")
        return respond(request, error_body("permission_denied", message), 403)

    @api.exception_handler(DjangoValidationError)
    def service_invalid(request, exc):
        return respond(request, service_error_body(exc), 422)

    @api.exception_handler(RequestValidationError)
    def request_invalid(request, exc):
        return respond(request, request_error_body(exc), 422)
