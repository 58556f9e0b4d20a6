"""Thin views: parse input, call a service or selector, render."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, per field where the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def paginate(request, queryset, *, count=None):
    """One page of `queryset` from ?page=, tolerant of bad or out-of-range numbers.

    `count`, when the caller knows it exactly, saves the paginator's COUNT(*)."""
    paginator = Paginator(queryset, settings.PAGE_SIZE)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))
