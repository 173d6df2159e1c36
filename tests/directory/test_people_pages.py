"""Home and directory pages: what each role sees, at a fixed query cost."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from rotations.directory.roles import Role
from rotations.directory.selectors import find_manager_cycles, management_chain
from rotations.models import Person
from tests.factories import PASSWORD, PersonFactory
from tests.helpers import count_page_queries


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fixture", "card", "absent"),
    [
        ("executive", "next-executive", ["next-hr", "next-lead", "next-frontline"]),
        ("hr_admin", "next-hr", ["next-executive", "next-lead", "next-frontline"]),
        ("support_lead", "next-lead", ["next-executive", "next-hr", "next-frontline"]),
        ("frontline_employee", "next-frontline", ["next-executive", "next-hr", "next-lead"]),
    ],
)
def test_home_shows_who_they_are_and_their_roles_next_steps(client, request, fixture, card, absent):
    person = request.getfixturevalue(fixture)
    client.force_login(person)
    body = client.get("/").content.decode()
    assert f"Hello, {person.get_short_name()}" in body
    assert person.email in body
    assert f'id="{card}"' in body
    for other in absent:
        assert f'id="{other}"' not in body
    assert 'id="next-mfa"' in body


@pytest.mark.django_db
def test_someone_with_several_roles_sees_each(client):
    person = PersonFactory(roles=[Role.EXECUTIVE, Role.SUPPORT_LEAD])
    client.force_login(person)
    body = client.get("/").content.decode()
    assert "<li>Executive</li>" in body and "<li>Support lead</li>" in body
    assert 'id="next-executive"' in body and 'id="next-lead"' in body


@pytest.mark.django_db
def test_home_shows_the_reporting_line(client):
    ceo = PersonFactory(full_name="Ada Top")
    vp = PersonFactory(full_name="Bo Middle", manager=ceo)
    me = PersonFactory(full_name="Cy Bottom", manager=vp, roles=[Role.FRONTLINE])
    client.force_login(me)
    assert "Bo Middle → Ada Top" in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_manager_cycle_made_outside_the_import_breaks_no_page(client, hr_admin):
    a = PersonFactory(full_name="Al Loop")
    b = PersonFactory(full_name="Bea Loop", manager=a)
    Person.objects.filter(pk=a.pk).update(manager=b)  # as a bad admin edit could
    a.refresh_from_db()

    assert [p.full_name for p in management_chain(a)] == ["Bea Loop"]
    client.force_login(hr_admin)
    assert client.get(f"/people/{a.pk}/").status_code == 200
    client.force_login(a)
    assert client.get("/").status_code == 200


def test_find_manager_cycles_handles_deep_chains_and_several_loops():
    chain = {f"p{i}": f"p{i + 1}" for i in range(20_000)}
    chain["p20000"] = None
    assert find_manager_cycles(chain) == []
    loops = {"a": "b", "b": "a", "c": "d", "d": "e", "e": "c", "f": "c"}
    assert find_manager_cycles(loops) == [["a", "b"], ["c", "d", "e"]]


@pytest.mark.django_db
def test_the_directory_costs_the_same_queries_at_any_size(client, hr_admin):
    client.force_login(hr_admin)
    PersonFactory.create_batch(3, roles=[Role.FRONTLINE])
    assert count_page_queries(client, "/people/") == 5
    PersonFactory.create_batch(40, roles=[Role.FRONTLINE])
    assert count_page_queries(client, "/people/") == 5


@pytest.mark.django_db
def test_directory_search_and_filters(client, support_lead):
    PersonFactory(full_name="Zed Zebra", title="Support agent", level="ic")
    PersonFactory(full_name="Mia Manager", level="manager")
    client.force_login(support_lead)
    body = client.get("/people/", {"q": "zebra"}).content.decode()
    assert "Zed Zebra" in body and "Mia Manager" not in body
    body = client.get("/people/", {"level": "manager"}).content.decode()
    assert "Mia Manager" in body and "Zed Zebra" not in body
    # htmx asks for the rows only
    partial = client.get("/people/", {"q": "mia"}, headers={"HX-Request": "true"}).content.decode()
    assert "Mia Manager" in partial and "<html" not in partial


@pytest.mark.django_db
def test_cached_permissions_follow_role_changes(django_assert_num_queries):
    from rotations.directory.roles import ROLE_PERMISSIONS, set_roles

    person = PersonFactory(roles=[Role.FRONTLINE])
    assert not Person.objects.get(pk=person.pk).has_perm("rotations.book_shift")
    again = Person.objects.get(pk=person.pk)
    with django_assert_num_queries(0):
        assert not again.has_perm("rotations.book_shift")

    set_roles(person, [Role.EXECUTIVE])

    fresh = Person.objects.get(pk=person.pk)
    assert fresh.has_perm("rotations.book_shift")
    assert fresh.get_all_permissions() == set(ROLE_PERMISSIONS[Role.EXECUTIVE])


@pytest.mark.django_db
def test_a_person_creates_uses_and_revokes_their_api_token(client, executive):
    client.force_login(executive)
    response = client.post("/account/api-token/", {"action": "create"})
    key = Token.objects.get(user=executive).key
    # Shown once, in the answer itself: never in the messages cookie, never again.
    assert response.status_code == 200
    assert f'value="{key}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert key not in "".join(c.value for c in response.cookies.values())
    listed = client.get("/account/api-token/").content.decode()
    assert key not in listed
    assert f"<code>{key[:4]}…</code>" in listed

    api = client.__class__()
    assert api.get("/api/bookings/", headers={"Authorization": f"Token {key}"}).status_code == 200

    client.post("/account/api-token/", {"action": "revoke"})
    assert not Token.objects.filter(user=executive).exists()
    assert api.get("/api/bookings/", headers={"Authorization": f"Token {key}"}).status_code == 401


@pytest.mark.django_db
def test_a_password_change_revokes_the_api_token(client, executive):
    Token.objects.create(user=executive)
    client.force_login(executive)
    new = "another-long-password-77"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=executive).exists()


@pytest.mark.django_db
def test_a_password_set_in_the_admin_revokes_the_api_token(client, executive):
    root = Person.objects.create_superuser("root@example.com", PASSWORD, full_name="Root Admin")
    Token.objects.create(user=executive)
    client.force_login(root)
    new = "another-long-password-77"
    response = client.post(
        f"/admin/rotations/person/{executive.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=executive).exists()


@pytest.mark.django_db
def test_hrs_home_card_leads_to_what_hr_runs(client, hr_admin):
    client.force_login(hr_admin)
    card = client.get("/").content.decode().split('id="next-hr"')[1].split("</article>")[0]
    for path in ("/people/import/", "/people/", "/programs/", "/mentoring/cycles/"):
        assert f'href="{path}"' in card, path
