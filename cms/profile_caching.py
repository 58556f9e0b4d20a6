"""When the cached organisation and buyer profiles (and the pages listing them) go stale,
beyond what cms/caching.py already covers (status changes of contracts, milestones,
payments, ratings; contract variations; page publication):

- an organisation, a buyer, a delegation or an introduction is saved or deleted — profile
  edits and staff's admin send no marketplace event;
- the rating summaries are recomputed — they are written in bulk by a background task
  after the reveal (or an appeal decision), so the reveal's own event comes too early.
"""

from django.db.models.signals import post_delete, post_save
from django_tasks.signals import task_finished

from cms.caching import stale, stale_on
from cms.models import BuyerIntroduction, OrganisationIntroduction
from marketplace.models import Buyer, Delegation, Organisation
from marketplace.tasks import recompute_rating_summaries

SAVED_MODELS = (Organisation, Buyer, Delegation, OrganisationIntroduction, BuyerIntroduction)


def _task_finished(sender, task_result, **kwargs):
    if task_result.task.module_path == recompute_rating_summaries.module_path:
        stale()


def connect():
    """Connect the receivers (CmsConfig.ready)."""
    for model in SAVED_MODELS:
        stale_on(post_save, model)
        stale_on(post_delete, model)
    task_finished.connect(_task_finished, dispatch_uid="cms-profiles-rating-summaries")
