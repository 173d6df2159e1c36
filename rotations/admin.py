from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from rotations.directory.services import sign_in_addresses_reset
from rotations.models import Department, Person


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "department", "level", "manager", "is_active"]
    list_filter = ["level", "department", "groups", "is_active", "is_staff"]
    list_select_related = ["department", "manager"]
    search_fields = ["full_name", "email", "title"]
    autocomplete_fields = ["manager", "department"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Directory",
            {
                "fields": [
                    "employee_id",
                    "full_name",
                    "title",
                    "department",
                    "level",
                    "manager",
                    "location",
                    "time_zone",
                ]
            },
        ),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The address HR gives here is the person's sign-in address, verified.
        if not change or "email" in form.changed_data:
            sign_in_addresses_reset(people=[obj])

    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]
