from datetime import datetime, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from rotations.directory.roles import Role, set_roles
from rotations.models import Booking, BookingStatus, Department, Level, Person, Queue, Shift
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_create

PASSWORD = "correct-horse-battery-staple"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    """A person who can sign in: verified primary email, known password."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    title = "Specialist"
    department = factory.SubFactory(DepartmentFactory)
    level = Level.IC
    location = "Toronto"
    time_zone = "America/Toronto"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            set_roles(self, [Role(r) if not isinstance(r, Role) else r for r in extracted])

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rotations.Queue"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")
    channel = "chat"
    team = "Billing"
    time_zone = "America/New_York"
    visitor_capacity = 3
    brief = "Answer billing chats next to your buddy."
    booking_window_days = 90
    min_notice_hours = 24

    @factory.post_generation
    def leads(self, create, extracted, **kwargs):
        if create and extracted:
            self.leads.set(extracted)


class ShiftFactory(factory.django.DjangoModelFactory):
    """A shift three days from now (comfortably inside notice and window), 4 hours long."""

    class Meta:
        model = "rotations.Shift"

    queue = factory.SubFactory(QueueFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    capacity = 2


class InsightFactory(factory.django.DjangoModelFactory):
    """An insight from a booking; queue and buddy copied from its shift, as the service does."""

    class Meta:
        model = "rotations.Insight"

    author = factory.LazyAttribute(lambda o: o.booking.person)
    queue = factory.LazyAttribute(lambda o: o.booking.shift.queue if o.booking else None)
    buddy = factory.LazyAttribute(lambda o: o.booking.shift.buddy if o.booking else None)
    title = factory.Sequence(lambda n: f"Customers cannot find the refund button ({n})")
    what_happened = "Three callers in an hour asked where to request a refund."
    category = "product"
    severity = "medium"
    search_text = factory.LazyAttribute(lambda o: f"{o.title} {o.what_happened}")


def shift_at(queue: Queue, starts_at: datetime, hours: float = 4, **kwargs) -> Shift:
    """A shift on ``queue`` from ``starts_at``, ``hours`` long."""
    return ShiftFactory(
        queue=queue, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), **kwargs
    )


def book(shift: Shift, person: Person, by: Person | None = None, **kwargs) -> Booking:
    """A booking made through the booking service, by the person unless ``by`` someone else."""
    return booking_create(shift=shift, person=person, by=actor(by or person), **kwargs)


def attended_booking(person: Person, queue: Queue, buddy: Person | None = None) -> Booking:
    """A booking already attended, written directly: what came before is not under test."""
    shift = ShiftFactory(queue=queue, buddy=buddy)
    return Booking.objects.create(
        shift=shift,
        person=person,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BookingStatus.ATTENDED,
    )
