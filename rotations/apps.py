from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

# The domains with Celery tasks. Services ask for a task by name and never import a
# tasks module, so the tasks are registered here, in every process.
TASK_MODULES = ("common", "directory", "insights", "invites", "mentoring", "programs", "shifts")
# The modules that register a renderer for their kinds of email (rotations.invites.rendering).
EMAIL_RENDERERS = (
    "rotations.insights.notices",
    "rotations.mentoring.invites",
    "rotations.programs.emails",
)


class RotationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rotations"
    verbose_name = "Frontline"

    def ready(self) -> None:
        # Models and what imports them load only once the app registry is ready.
        from django.contrib.auth.models import Group, Permission  # noqa: PLC0415 -- app ready

        from rotations.common import auth  # noqa: PLC0415 -- app ready
        from rotations.directory import roles  # noqa: PLC0415 -- app ready
        from rotations.models import Person, Queue, Shift, ShiftPattern  # noqa: PLC0415 -- app ready
        from rotations.shifts import caching  # noqa: PLC0415 -- app ready

        for domain in TASK_MODULES:
            import_module(f"rotations.{domain}.tasks")
        for module in EMAIL_RENDERERS:
            import_module(module)

        # Turning on two-factor signs the person out of their other sessions.
        from allauth.mfa.signals import authenticator_added  # noqa: PLC0415 -- app ready

        from rotations.directory import account_security  # noqa: PLC0415 -- app ready

        authenticator_added.connect(
            account_security.second_factor_added, dispatch_uid="second-factor-added"
        )

        # After every migrate, so the role groups always carry the permissions the code
        # expects (new permissions arrive with later migrations).
        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)

        for through in (
            Person.groups.through,
            Person.user_permissions.through,
            Group.permissions.through,
        ):
            m2m_changed.connect(
                auth.permissions_changed, sender=through, dispatch_uid=f"perms-{through}"
            )
        for model in (Group, Permission):
            post_save.connect(
                auth.permissions_changed, sender=model, dispatch_uid=f"perms-save-{model}"
            )
            post_delete.connect(
                auth.permissions_changed, sender=model, dispatch_uid=f"perms-del-{model}"
            )
        # Lists of shifts are cached; any change to what they show invalidates them.
        for listed in (Queue, Shift, ShiftPattern):
            post_save.connect(
                caching.shifts_changed, sender=listed, dispatch_uid=f"shifts-save-{listed}"
            )
            post_delete.connect(
                caching.shifts_changed, sender=listed, dispatch_uid=f"shifts-del-{listed}"
            )
