"""PLACEHOLDER: to be written."""


def bid_submit_view(request, **kwargs):
    raise NotImplementedError


def organisation_tenders(request, **kwargs):
    raise NotImplementedError


def organisation_bids(request, **kwargs):
    raise NotImplementedError


def bid_detail(request, **kwargs):
    raise NotImplementedError


def bid_withdraw_view(request, **kwargs):
    raise NotImplementedError


def bid_reconfirm_view(request, **kwargs):
    raise NotImplementedError
