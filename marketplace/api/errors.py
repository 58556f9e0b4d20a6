"""Every error of the API as JSON: {"error": {"code", "message", "fields"?}}, the message in
the request's language (LocaleMiddleware has activated it from Accept-Language).

401 no, bad or revoked token; 403 PermissionDenied; 404 not found (or not visible), and any
path under /api/v1/ that is no endpoint; 405 a method the endpoint does not answer; 422 the
request's own validation or a service's ValidationError (with the service's codes); 429 the
rate limit."""

import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponsePermanentRedirect
from django.urls import Resolver404, re_path, resolve, reverse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestValidationError

from marketplace.api.schemas import ErrorOut

NON_FIELD = "__all__"
# Which errors each kind of endpoint can answer, for the OpenAPI document.
PUBLIC_ERRORS = (404, 422, 429)
TOKEN_ERRORS = (401, 403, 404, 422, 429)


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


def responses(ok, *, status: int = 200, errors=PUBLIC_ERRORS) -> dict:
    """An endpoint's `response=`: `ok` on success, ErrorOut for each error it can answer."""
    return {status: ok, **dict.fromkeys(errors, ErrorOut)}


def _unknown_endpoint_body(request) -> dict:
    docs = request.build_absolute_uri(reverse("api-v1:openapi-view"))
    return error_body("not_found", _("没有这个接口，请查看接口文档：%(docs)s") % {"docs": docs})


def _method_not_allowed(api, request, allowed):
    body = error_body(
        "method_not_allowed",
        _("此接口不支持 %(method)s 请求，可用：%(allowed)s。")
        % {"method": request.method, "allowed": allowed},
    )
    response = api.create_response(request, body, status=405)
    response["Allow"] = allowed
    return response


def json_method_errors(api, pattern):
    """`pattern` with its view answering a wrong method (ninja's plain-text 405) and a bare
    Http404 (the API root) in the error shape."""
    view = pattern.callback

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return api.create_response(request, _unknown_endpoint_body(request), status=404)
        if isinstance(response, HttpResponseNotAllowed):
            return _method_not_allowed(api, request, response["Allow"])
        return response

    pattern.callback = wrapped
    return pattern


def unknown_endpoint_pattern(api):
    """The last pattern of the API: any other path is a JSON 404 — except a path missing
    only its trailing slash, which is redirected as CommonMiddleware would (it no longer
    sees the path as unknown)."""

    def unknown_endpoint(request, rest=""):
        if settings.APPEND_SLASH and not request.path_info.endswith("/"):
            try:
                match = resolve(f"{request.path_info}/")
            except Resolver404:
                match = None
            if match is not None and match.func is not unknown_endpoint:
                return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        return api.create_response(request, _unknown_endpoint_body(request), status=404)

    unknown_endpoint.csrf_exempt = True  # it only ever answers 404
    return re_path(r"^(?P<rest>.*)$", unknown_endpoint)


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
