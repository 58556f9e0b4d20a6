from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import RegionMultipleChoiceField, SelectMultiple
from marketplace.models import Category, Invitation, Organisation, Region


class OrganisationForm(forms.ModelForm):
    """Registration and profile editing; the services decide what is valid and allowed."""

    districts = RegionMultipleChoiceField(
        label=_("服务地区"),
        queryset=Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"),
        widget=SelectMultiple(attrs={"size": 8}),
    )
    categories = forms.ModelMultipleChoiceField(
        # Fields of work are the catalogue's top level; its children are for tenders.
        label=_("服务领域"),
        queryset=Category.objects.filter(parent__isnull=True),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "credit_code",
            "type",
            "registration_authority",
            "registered_on",
            "districts",
            "categories",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "description",
            "logo",
        ]
        widgets = {"registered_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "credit_code": _("18位，见登记证书；例如 51320000MJ0000000X 形式。"),
            "logo": _("JPEG、PNG 或 WebP，不超过 2 MB。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The credit code identifies the legal entity; it is fixed once registered.
            del self.fields["credit_code"]

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def _post_clean(self):
        # Model validation happens in the service, which reports errors per field.
        pass


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("邮箱"))
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[
            (Invitation.Role.ORGANISATION_MEMBER, Invitation.Role.ORGANISATION_MEMBER.label),
            (Invitation.Role.ORGANISATION_ADMIN, Invitation.Role.ORGANISATION_ADMIN.label),
        ],
    )
