"""PLACEHOLDER: to be written."""


def tender_list(request, **kwargs):
    raise NotImplementedError


def tender_detail(request, **kwargs):
    raise NotImplementedError


def tender_version_detail(request, **kwargs):
    raise NotImplementedError


def clarification_ask_view(request, **kwargs):
    raise NotImplementedError


def tender_follow_view(request, **kwargs):
    raise NotImplementedError
