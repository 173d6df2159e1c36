import factory
from allauth.account.models import EmailAddress

from rotations.models import Department, Level, Person
from rotations.roles import Role, set_roles

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
