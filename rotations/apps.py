from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RotationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rotations"
    verbose_name = "Frontline"

    def ready(self) -> None:
        from . import roles

        # After every migrate, so the role groups always carry the permissions the code
        # expects (new permissions arrive with later migrations).
        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
