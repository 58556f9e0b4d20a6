"""Thin views: parse input, call a service or selector, render."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator


def add_service_errors(form, error: ValidationError, formsets=None) -> None:
    """Show a service's ValidationError on the form, per field where the form has that field.

    `formsets` maps a service error key (e.g. "criteria") to the formset that edits it; its
    errors show above that formset."""
    formsets = formsets or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in formsets:
            formsets[field].non_form_errors().extend(ValidationError(errors).messages)
        else:
            form.add_error(field if field in form.fields else None, errors)


def query_without_page(request) -> str:
    """The current query string minus ?page=, for pagination links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def paginate(request, queryset, *, count=None):
    """One page of `queryset` from ?page=, tolerant of bad or out-of-range numbers.

    `count`, when the caller knows it exactly, saves the paginator's COUNT(*)."""
    paginator = Paginator(queryset, settings.PAGE_SIZE)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))
