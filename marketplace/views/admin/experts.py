"""Staff admin views for the expert pool (专家库): Wagtail's views, saving through the audited
expert_save() service."""

from django.utils.translation import gettext_lazy
from wagtail.admin.views import generic

from marketplace.services.panels import expert_save
from marketplace.views.admin.common import ServiceFormMixin


class ExpertIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user")


class _ExpertSaveMixin(ServiceFormMixin):
    def save_instance(self):
        data = self.form.cleaned_data
        return expert_save(
            expert=self.form.save(commit=False),
            by=self.request.user,
            categories=data["categories"],
            regions=data["regions"],
        )


class ExpertCreateView(_ExpertSaveMixin, generic.CreateView):
    success_message = gettext_lazy("已将“%(object)s”加入专家库。")
    error_message = gettext_lazy("未能添加，请检查下面的错误。")


class ExpertEditView(_ExpertSaveMixin, generic.EditView):
    success_message = gettext_lazy("已更新专家“%(object)s”。")
    error_message = gettext_lazy("未能保存，请检查下面的错误。")
