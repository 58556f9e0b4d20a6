"""Staff admin views for reference data: the two lists (两张清单) and the negative list.

Wagtail's own forms and views, except that the save goes through the audited services.
"""

from django.utils.translation import gettext_lazy
from wagtail.admin.views import generic

from marketplace.services.catalogue import community_list_item_save, prohibited_item_save
from marketplace.views.admin.common import ServiceFormMixin


class CommunityListItemIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("region")


class CommunityListItemCreateView(ServiceFormMixin, generic.CreateView):
    success_message = gettext_lazy("已添加清单事项“%(object)s”。")
    error_message = gettext_lazy("未能添加，请检查下面的错误。")

    def save_instance(self):
        return community_list_item_save(item=self.form.save(commit=False), by=self.request.user)


class CommunityListItemEditView(ServiceFormMixin, generic.EditView):
    success_message = gettext_lazy("已更新清单事项“%(object)s”。")
    error_message = gettext_lazy("未能保存，请检查下面的错误。")

    def save_instance(self):
        return community_list_item_save(item=self.form.save(commit=False), by=self.request.user)


class ProhibitedItemCreateView(ServiceFormMixin, generic.CreateView):
    success_message = gettext_lazy("已添加负面清单事项“%(object)s”。")
    error_message = gettext_lazy("未能添加，请检查下面的错误。")

    def save_instance(self):
        return prohibited_item_save(item=self.form.save(commit=False), by=self.request.user)


class ProhibitedItemEditView(ServiceFormMixin, generic.EditView):
    success_message = gettext_lazy("已更新负面清单事项“%(object)s”。")
    error_message = gettext_lazy("未能保存，请检查下面的错误。")

    def save_instance(self):
        return prohibited_item_save(item=self.form.save(commit=False), by=self.request.user)
