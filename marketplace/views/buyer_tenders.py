"""PLACEHOLDER: to be written."""


def buyer_tender_list(request, **kwargs):
    raise NotImplementedError


def buyer_tender_create(request, **kwargs):
    raise NotImplementedError


def buyer_tender_detail(request, **kwargs):
    raise NotImplementedError


def buyer_tender_edit(request, **kwargs):
    raise NotImplementedError


def buyer_tender_publish(request, **kwargs):
    raise NotImplementedError


def buyer_tender_amend(request, **kwargs):
    raise NotImplementedError


def buyer_tender_cancel(request, **kwargs):
    raise NotImplementedError


def buyer_tender_open(request, **kwargs):
    raise NotImplementedError


def clarification_answer_view(request, **kwargs):
    raise NotImplementedError
