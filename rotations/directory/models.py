"""The company directory: people, their departments and reporting lines."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from rotations.common.validators import validate_one_line, validate_time_zone


class Level(models.TextChoices):
    """Seniority, lowest first; the order is used to compare levels."""

    IC = "ic", "IC"
    MANAGER = "manager", "Manager"
    DIRECTOR = "director", "Director"
    VP = "vp", "VP"
    C_LEVEL = "c_level", "C-level"


class Department(models.Model):
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="department_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    @staticmethod
    def normalize_email(email: str | None) -> str:
        # Company addresses are case-insensitive in practice; one spelling, one person.
        return (email or "").strip().lower()

    def create_user(self, email: str, password: str | None = None, **fields) -> Person:
        if not email:
            raise ValueError("A person needs an email address.")
        person = self.model(email=self.normalize_email(email), **fields)
        if password:
            person.set_password(password)
        else:
            person.set_unusable_password()
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields) -> Person:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone in the company directory, and the account they sign in with."""

    email = models.EmailField("email address", unique=True)
    # The HR system's own key for the person: the directory import matches on it first,
    # so a changed address updates the person rather than making a second one.
    employee_id = models.CharField(max_length=64, blank=True, default="")
    full_name = models.CharField(max_length=200, validators=[validate_one_line])
    title = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.IC)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Working hours in the person's own time zone, for "fits my calendar" and scheduling.
    work_starts_at = models.TimeField(default=time(9, 0))
    work_ends_at = models.TimeField(default=time(17, 0))
    # When they joined the company (mentoring cycles may ask for a minimum tenure).
    hired_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the Django admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")), name="person_not_own_manager"
            ),
            models.UniqueConstraint(
                fields=["employee_id"],
                condition=~models.Q(employee_id=""),
                name="person_employee_id_unique",
                violation_error_message="Another person has this employee id.",
            ),
            # A line break in a name would end the header of every email to them.
            models.CheckConstraint(
                condition=~models.Q(full_name__contains="\n") & ~models.Q(full_name__contains="\r"),
                name="person_name_one_line",
                violation_error_message="A name must be on one line.",
            ),
        ]
        permissions = [
            ("view_directory", "Can view the people directory"),
            ("import_directory", "Can import the people directory"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = PersonManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REFUSED = "refused", "Refused"


class DirectoryImport(models.Model):
    """One uploaded directory file, imported by a worker: a file of tens of thousands of
    people takes longer than a web request may. All or nothing, as ever; the file is
    forgotten once imported (it is the HR system's data, not ours to keep)."""

    data = models.BinaryField(editable=False)
    filename = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker has started it (a lost or crashed run is tried again, a few
    # times, then the job is refused rather than tried for ever).
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # Every problem of a refused file, as [line, message] pairs.
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values),
                name="directory_import_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Directory import {self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED)
