from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings

from rotations.common.adapters import is_company_address
from rotations.common.validators import validate_one_line
from rotations.models import Department, Level


class CompanySignupForm(SignupForm):
    full_name = forms.CharField(max_length=200, label="Full name", validators=[validate_one_line])

    field_order = ["full_name", "email", "password1", "password2"]

    def clean_email(self) -> str:
        email = super().clean_email()
        if not is_company_address(email):
            domains = ", ".join(f"@{d}" for d in settings.FRONTLINE_COMPANY_DOMAINS)
            raise forms.ValidationError(
                f"Sign-up is open to company addresses only ({domains}). "
                "Ask HR to add you to the directory."
            )
        return email

    def save(self, request):
        person = super().save(request)
        person.full_name = self.cleaned_data["full_name"]
        person.save(update_fields=["full_name"])
        return person


class DirectoryImportForm(forms.Form):
    file = forms.FileField(
        label="CSV export",
        help_text="UTF-8 CSV with the columns email, name, department, level, "
        "manager_email, location, time_zone (and optionally title, roles).",
    )

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), required=False, empty_label="All departments"
    )
    level = forms.ChoiceField(choices=[("", "All levels"), *Level.choices], required=False)
