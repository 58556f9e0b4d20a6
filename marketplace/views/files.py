"""PLACEHOLDER: to be written."""


def tender_document_download(request, **kwargs):
    raise NotImplementedError


def bid_document_download(request, **kwargs):
    raise NotImplementedError
