from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]
