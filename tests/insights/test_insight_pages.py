"""The insight pages and API: inbox filters and search, CSV, triage by role, visibility."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from rotations.insights.services import insight_log, insight_transition
from rotations.models import Insight, InsightEvent, Tag
from tests.factories import (
    InsightFactory,
    PersonFactory,
    QueueFactory,
    attended_booking,
)
from tests.helpers import count_page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def led(support_lead):
    return QueueFactory(name="Billing chat", leads=[support_lead])


@pytest.fixture
def unled():
    return QueueFactory(name="Enterprise phone")


def log(person, queue, buddy=None, **fields):
    base = {
        "title": "Refund status is invisible",
        "what_happened": "Customers asked where their refund was.",
        "customer_quote": "",
        "ticket_refs": "",
        "category": "product",
        "severity": "high",
        "suggested_fix": "",
    }
    tags = fields.pop("tags", [])
    return insight_log(
        booking=attended_booking(person, queue, buddy),
        author=person,
        fields={**base, **fields},
        tags=tags,
    )


def titles(response) -> list[str]:
    return [i.title for i in response.context["page"].object_list]


def test_a_lead_triages_routes_comments_and_ships_through_the_pages(
    client, support_lead, executive, led, buddy
):
    insight = log(executive, led, buddy)
    owner = PersonFactory(full_name="Olga Owner")
    client.force_login(support_lead)
    page = client.get(f"/insights/{insight.pk}/")
    assert page.status_code == 200 and b'id="transition"' in page.content
    steps = [
        {"to_status": "acknowledged", "expected_status": "new"},
        {
            "to_status": "routed",
            "expected_status": "acknowledged",
            "owner": owner.email,
            "owner_team": "Payments",
            "due_on": "2027-02-01",
        },
        {"to_status": "actioned", "expected_status": "routed"},
        {"to_status": "shipped", "expected_status": "actioned"},
    ]
    for step in steps:
        response = client.post(f"/insights/{insight.pk}/status/", step)
        assert response.status_code == 302, response.content.decode()[:500]
    assert (
        client.post(
            f"/insights/{insight.pk}/comment/", {"body": "Live in the portal since Monday."}
        ).status_code
        == 302
    )
    page = client.get(f"/insights/{insight.pk}/")
    text = page.content.decode()
    assert (
        "Shipped" in text
        and "Olga Owner, Payments" in text
        and "Live in the portal since Monday." in text
    )
    assert [e.describe() for e in page.context["events"]] == [
        "logged it",
        "marked it acknowledged",
        "routed it to Olga Owner and Payments, due 2027-02-01",
        "marked it actioned",
        "marked it shipped",
        "commented",
    ]


def test_a_stale_or_invalid_step_shows_a_message_and_changes_nothing(
    client, support_lead, executive, led
):
    insight = log(executive, led)
    client.force_login(support_lead)
    response = client.post(
        f"/insights/{insight.pk}/status/", {"to_status": "routed", "expected_status": "new"}
    )
    assert response.status_code == 400
    assert "Route it to a person, a team, or both." in response.content.decode()
    response = client.post(
        f"/insights/{insight.pk}/status/",
        {"to_status": "acknowledged", "expected_status": "routed"},
    )
    assert (
        response.status_code == 400
        and "Someone changed this insight meanwhile" in response.content.decode()
    )
    response = client.post(
        f"/insights/{insight.pk}/status/",
        {"to_status": "shipped", "expected_status": "new", "due_on": "soon"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/insights/{insight.pk}/status/",
        {"to_status": "routed", "expected_status": "new", "owner": "nobody@example.com"},
    )
    assert (
        response.status_code == 400
        and "Nobody in the directory has this address." in response.content.decode()
    )
    response = client.post(f"/insights/{insight.pk}/merge/", {"into": "999999"})
    assert (
        response.status_code == 400
        and "no insight #999999 you can merge into" in response.content.decode()
    )
    assert client.post(f"/insights/{insight.pk}/comment/", {"body": ""}).status_code == 400
    insight.refresh_from_db()
    assert insight.status == "new" and insight.events.count() == 1


@pytest.mark.parametrize(
    ("role", "status_answer", "comment_answer"),
    [
        ("executive", 403, 302),  # the author reads and comments, but does not triage
        ("hr_admin", 302, 302),
        ("support_lead", 302, 302),  # leads the queue
        ("frontline", 403, 302),  # the buddy
    ],
)
def test_who_may_triage_and_comment(
    client_as, role, status_answer, comment_answer, executive, frontline_employee, led
):
    insight = log(executive, led, frontline_employee)
    client = client_as(role)
    response = client.post(
        f"/insights/{insight.pk}/status/", {"to_status": "acknowledged", "expected_status": "new"}
    )
    assert response.status_code == status_answer
    assert (
        client.post(f"/insights/{insight.pk}/comment/", {"body": "Seen"}).status_code
        == comment_answer
    )


def test_nobody_reaches_an_insight_they_may_not_see_by_any_door(
    client, executive, support_lead, unled, hr_admin
):
    other = PersonFactory(roles=["Executive"])
    hidden = log(other, unled)
    outsiders = [executive, support_lead, PersonFactory(roles=["Front-line employee"])]
    for person in outsiders:
        client.force_login(person)
        for url, data in [
            (f"/insights/{hidden.pk}/", None),
            (f"/api/insights/{hidden.pk}/", None),
            (f"/insights/{hidden.pk}/status/", {"to_status": "acknowledged"}),
            (f"/insights/{hidden.pk}/comment/", {"body": "peek"}),
            (f"/insights/{hidden.pk}/follow/", {}),
            (f"/insights/{hidden.pk}/plus-one/", {}),
            (f"/insights/{hidden.pk}/merge/", {"into": hidden.pk}),
            (f"/api/insights/{hidden.pk}/status/", {"to_status": "acknowledged"}),
        ]:
            response = client.post(url, data) if data is not None else client.get(url)
            assert response.status_code == 404, (person, url)
        assert hidden.title not in client.get("/insights/").content.decode()
        assert hidden.pk not in [i["id"] for i in client.get("/api/insights/").json()["results"]]
        assert (
            hidden.title
            not in b"".join(client.get("/insights/export.csv").streaming_content).decode()
        )
    assert InsightEvent.objects.filter(insight=hidden).count() == 1
    client.force_login(hidden.author)
    assert client.get(f"/insights/{hidden.pk}/").status_code == 200


def test_a_lead_cannot_merge_into_an_insight_of_a_queue_they_do_not_lead(
    client, support_lead, executive, led, unled
):
    mine = log(executive, led)
    theirs = log(executive, unled)  # visible to the lead? no: another queue, and not shared
    client.force_login(support_lead)
    response = client.post(f"/insights/{mine.pk}/merge/", {"into": theirs.pk})
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.status == "new"


def test_the_inbox_filters_and_searches(client, hr_admin, executive, led, unled):
    other = PersonFactory(full_name="Otto Other", roles=["Executive"])
    refund = log(
        executive, led, title="Refund status is invisible", tags=["billing"], severity="high"
    )
    log(
        other,
        unled,
        title="Phone menu loops back",
        category="tooling",
        severity="low",
        what_happened="IVR sends callers round",
    )
    shipped = log(
        other, led, title="Password reset email is late", category="process", severity="medium"
    )
    insight_transition(insight=shipped, actor=hr_admin, to_status="acknowledged")
    insight_transition(insight=shipped, actor=hr_admin, to_status="routed", owner_team="Identity")
    insight_transition(insight=shipped, actor=hr_admin, to_status="shipped")
    Insight.objects.filter(pk=refund.pk).update(
        created_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    )
    client.force_login(hr_admin)
    assert len(titles(client.get("/insights/"))) == 3
    assert titles(client.get("/insights/?status=open")) == [
        "Phone menu loops back",
        "Refund status is invisible",
    ]
    assert titles(client.get("/insights/?status=shipped")) == ["Password reset email is late"]
    assert titles(client.get(f"/insights/?queue={unled.pk}")) == ["Phone menu loops back"]
    assert titles(client.get("/insights/?category=tooling")) == ["Phone menu loops back"]
    assert titles(client.get("/insights/?severity=high")) == ["Refund status is invisible"]
    assert titles(client.get("/insights/?tag=BILLING")) == ["Refund status is invisible"]
    assert titles(client.get("/insights/?executive=otto")) == [
        "Password reset email is late",
        "Phone menu loops back",
    ]
    assert titles(client.get("/insights/?logged_to=2026-01-31")) == ["Refund status is invisible"]
    assert titles(client.get("/insights/?logged_from=2026-02-01")) == [
        "Password reset email is late",
        "Phone menu loops back",
    ]
    # Full text: words anywhere in the insight, whatever their case.
    assert titles(client.get("/insights/?q=ivr")) == ["Phone menu loops back"]
    assert titles(client.get("/insights/?q=refund+invisible")) == ["Refund status is invisible"]
    # A bad value is shown, not a server error, and the rest still filters.
    response = client.get("/insights/?severity=apocalyptic&category=tooling")
    assert response.status_code == 400 and titles(response) == ["Phone menu loops back"]


def test_the_following_filter_lists_what_i_follow(client, executive, led, buddy):
    mine = log(executive, led, buddy, title="Mine")
    log(PersonFactory(roles=["Executive"]), led, title="Someone else's", is_shared=True)
    client.force_login(buddy)
    assert titles(client.get("/insights/?following=on")) == [mine.title]


def test_csv_export_follows_the_filters_and_defuses_formulas(
    client, hr_admin, executive, led, settings
):
    settings.SITE_URL = "https://frontline.example.com"
    log(executive, led, title='=HYPERLINK("http://evil")', tags=["billing"])
    log(executive, led, title="Something else", category="people")
    client.force_login(hr_admin)
    response = client.get("/insights/export.csv?category=product")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://evil")']
    assert rows[0]["tags"] == "billing" and rows[0]["executive"] == "Eve Executive"
    pk = Insight.objects.get(category="product").pk
    assert rows[0]["link"] == f"https://frontline.example.com/insights/{pk}/"


def test_the_api_logs_lists_and_triages_with_the_same_rules(
    client, executive, support_lead, led, buddy
):
    booking = attended_booking(executive, led, buddy)
    client.force_login(executive)
    body = {
        "title": "Agents juggle two tools",
        "what_happened": "Refund lookup needs the old admin.",
        "category": "tooling",
        "severity": "medium",
        "tags": ["tools", "Tools"],
    }
    created = client.post(
        f"/api/bookings/{booking.pk}/insights/", body, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    insight_id = created.json()["id"]
    assert created.json()["tags"] == ["tools"]
    bad = client.post(
        f"/api/bookings/{booking.pk}/insights/",
        {**body, "severity": "doom"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "severity" in bad.json()
    refused = client.post(
        f"/api/insights/{insight_id}/status/",
        {"to_status": "acknowledged"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    client.force_login(support_lead)
    assert [i["id"] for i in client.get("/api/insights/?status=new").json()["results"]] == [
        insight_id
    ]
    conflict = client.post(
        f"/api/insights/{insight_id}/status/",
        {"to_status": "shipped"},
        content_type="application/json",
    )
    assert conflict.status_code == 409 and conflict.json()["code"] == "bad_transition"
    done = client.post(
        f"/api/insights/{insight_id}/status/",
        {"to_status": "routed", "owner_team": "Tools", "expected_status": "new"},
        content_type="application/json",
    )
    assert (
        done.status_code == 200
        and done.json()["status"] == "routed"
        and done.json()["owner_team"] == "Tools"
    )


def test_home_lists_shifts_still_waiting_for_insights(client, executive, led):
    waiting = attended_booking(executive, led)
    logged = attended_booking(executive, led)
    insight_log(
        booking=logged,
        author=executive,
        fields={"title": "x", "what_happened": "y", "category": "product", "severity": "low"},
        tags=[],
    )
    client.force_login(executive)
    page = client.get("/")
    assert list(page.context["awaiting_insights"]) == [waiting]
    assert f"/shifts/bookings/{waiting.pk}/insights/new/" in page.content.decode()


# --- a fixed number of queries, whatever the number of insights -------------------------


def many_insights(n: int, queues, authors) -> None:
    bookings = [attended_booking(a, q) for a in authors for q in queues]
    tags = [Tag.objects.get_or_create(name=f"tag-{i}")[0] for i in range(3)]
    created = Insight.objects.bulk_create(
        InsightFactory.build(
            booking=bookings[i % len(bookings)],
            author=bookings[i % len(bookings)].person,
            queue=bookings[i % len(bookings)].shift.queue,
            buddy=None,
            severity=("low", "high")[i % 2],
        )
        for i in range(n)
    )
    through = Insight.tags.through
    through.objects.bulk_create(through(insight_id=i.pk, tag_id=tags[i.pk % 3].pk) for i in created)


# The CSV export is left out on purpose: it streams in chunks of 500 rows, two queries
# a chunk, so that a 100,000-row export never sits in memory whole.
LIST_URLS = [
    "/insights/",
    "/insights/?status=open&q=refund&tag=tag-1&page=2",
    "/api/insights/?severity=high",
    "/insights/impact/",
    "/insights/impact/funnel.csv",
    "/insights/impact/timing.csv",
]
# The queries of each of LIST_URLS, in order, as each role reads them. Every insight of
# the lead's queue is low-severity (many_insights alternates both), so the API's count of
# high ones finds none for the lead, and no page of rows is read.
LIST_QUERIES = {
    "hr_admin": [5, 5, 4, 13, 11, 11],
    "support_lead": [5, 5, 2, 13, 11, 11],
    "executive": [5, 5, 4, 13, 11, 11],
}


@pytest.mark.parametrize("role", ["hr_admin", "support_lead", "executive"])
def test_pages_run_the_same_queries_for_100_and_10000_insights(
    client_as, role, led, unled, executive, settings
):
    settings.IMPACT_CACHE_SECONDS = 0  # count the dashboard's own queries every time
    authors = [executive, PersonFactory(roles=["Executive"])]
    client = client_as(role)
    expected = dict(zip(LIST_URLS, LIST_QUERIES[role], strict=True))
    many_insights(100, [led, unled], authors)
    count_page_queries(client, "/")  # the first request of a session also caches its permissions
    assert {url: count_page_queries(client, url) for url in LIST_URLS} == expected
    many_insights(9_900, [led, unled], authors)
    assert Insight.objects.count() == 10_000
    assert {url: count_page_queries(client, url) for url in LIST_URLS} == expected


def test_the_detail_page_runs_the_same_queries_with_many_followers_votes_and_events(
    client, support_lead, executive, led
):
    from rotations.insights.services import insight_comment, insight_plus_one

    insight = log(executive, led)
    client.force_login(support_lead)
    insight_plus_one(insight=insight, person=PersonFactory())
    insight_comment(insight=insight, actor=support_lead, body="one")
    count_page_queries(client, f"/insights/{insight.pk}/")
    assert count_page_queries(client, f"/insights/{insight.pk}/") == 9
    for n in range(30):
        insight_plus_one(insight=insight, person=PersonFactory(), note=f"me too {n}")
        insight_comment(insight=insight, actor=support_lead, body=f"comment {n}")
    assert count_page_queries(client, f"/insights/{insight.pk}/") == 9
