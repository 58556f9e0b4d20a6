"""Portal pages made from marketplace events: the draft result page of a completed
contract. Marketplace data is read through marketplace selectors."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from cms.models import ResultIndexPage, ResultPage
from marketplace.selectors.results import result_contract_get, result_summary_prefill


def result_slug(contract) -> str:
    """The result page's slug, from the contract id (stable, unique, readable)."""
    return slugify(f"contract-{contract.pk}")


def result_page_create_draft(*, contract) -> ResultPage | None:
    """The contract's result page, created as a draft under the results index (title: the
    tender's title, summary: the deliverables) if it has none; idempotent. None when the
    site has no results index."""
    existing = ResultPage.objects.filter(contract_id=contract.pk).first()
    if existing is not None:
        return existing
    index = ResultIndexPage.objects.first()
    contract = result_contract_get(contract.pk)
    if index is None or contract is None:
        return None
    page = ResultPage(
        title=contract.tender.title,
        slug=result_slug(contract),
        contract=contract,
        summary=result_summary_prefill(contract),
        live=False,
    )
    try:
        # A second completion event (or a concurrent one) meets the one-page-per-contract
        # constraint: keep the page that is there.
        with transaction.atomic():
            index.add_child(instance=page)
            page.save_revision()
    except IntegrityError:
        return ResultPage.objects.filter(contract_id=contract.pk).first()
    return page
