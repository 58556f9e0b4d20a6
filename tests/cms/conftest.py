import pytest

from cms.site_pages import ensure_site_pages


@pytest.fixture
def site_pages(db):
    """The standing page tree (home, results, news, policy, directories), even after a flush."""
    return ensure_site_pages()
