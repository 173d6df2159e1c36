"""Every URL the app has, for every role and for an anonymous visitor.

A new URL fails ``test_every_url_is_in_the_matrix`` until it is placed here with the
answer each role must get. Answers:
  "200"            the page
  "403" / "404"    refused / not found
  "login"          redirect to the sign-in page (anonymous visitors)
  "→/path"         redirect elsewhere (e.g. a signed-in person away from the sign-in page)
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.helpers import all_routes

ROLES = ("anonymous", "executive", "hr_admin", "support_lead", "frontline")


POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
}


def answers(anonymous, executive, hr_admin, support_lead, frontline) -> dict[str, str]:
    return dict(zip(ROLES, (anonymous, executive, hr_admin, support_lead, frontline), strict=True))


def everyone(answer: str) -> dict[str, str]:
    return answers(answer, answer, answer, answer, answer)


def signed_in(answer: str) -> dict[str, str]:
    """Anonymous visitors are sent to sign in; every role gets ``answer``."""
    return answers("login", answer, answer, answer, answer)


def signed_out(answer: str, *, signed_in_answer: str = "→/") -> dict[str, str]:
    return answers(answer, signed_in_answer, signed_in_answer, signed_in_answer, signed_in_answer)


DIRECTORY_READERS = answers("login", "403", "200", "200", "403")
QUEUE_READERS = answers("login", "403", "200", "200", "403")
LEADS_ONLY = answers("login", "403", "403", "200", "403")
DELIVERY_READERS = answers("login", "403", "200", "200", "403")
SHIFT_BROWSERS = answers("login", "200", "200", "200", "403")
QUEUE_OR_BOOKERS = answers("login", "200", "200", "200", "403")
# The executive's booking in the lead's queue: the executive, HR and the queue's lead may
# change it; the buddy may see it but not change it.
BOOKING_CHANGERS = answers("login", "200", "200", "200", "403")
# Someone else's booking in a queue the lead does not lead: HR books on anyone's behalf on
# any queue; to everyone else, the lead included, it does not exist.
OTHERS_BOOKING = answers("login", "404", "200", "404", "404")
# Leadership (executives), HR and support leads; not front-line employees.
DASHBOARD_READERS = answers("login", "200", "200", "200", "403")
HR_ONLY = answers("login", "403", "200", "403", "403")
# The executive's pairing with the front-line employee: theirs and HR's; to the support
# lead it does not exist. Someone else's pairing exists for HR alone.
PAIR_AND_HR = answers("login", "200", "200", "404", "200")
OTHERS_PAIR = answers("login", "404", "200", "404", "404")


def api(pages: dict[str, str]) -> dict[str, str]:
    """The same answers through the API, where an anonymous caller gets 401, not a redirect."""
    return {**pages, "anonymous": "401"}


# route (as Django spells it) → [(a concrete path, the answer per role), ...]
MATRIX: dict[str, list[tuple[str, dict[str, str]]]] = {
    "": [("/", signed_in("200"))],
    "healthz": [("/healthz", everyone("200"))],
    "livez": [("/livez", everyone("200"))],
    # Not ready in the suite: no worker and beat have sent a heartbeat (tests/common/test_faults.py).
    "readyz": [("/readyz", everyone("503"))],
    "people/": [
        ("/people/", DIRECTORY_READERS),
        ("/people/?q=lead&level=manager", DIRECTORY_READERS),
        ("/people/?department=not-a-number&page=999", DIRECTORY_READERS),
    ],
    "people/import/": [("/people/import/", answers("login", "403", "200", "403", "403"))],
    "people/import/<int:job_id>/": [
        ("/people/import/{import_job}/", answers("login", "403", "200", "403", "403")),
        ("/people/import/999999/", answers("login", "403", "404", "403", "403")),
    ],
    "people/<int:person_id>/": [
        ("/people/{someone}/", DIRECTORY_READERS),
        ("/people/999999/", answers("login", "403", "404", "404", "403")),
    ],
    # Accounts (django-allauth)
    "accounts/login/": [("/accounts/login/", signed_out("200"))],
    "accounts/logout/": [
        ("/accounts/logout/", answers("→/accounts/login/", "200", "200", "200", "200"))
    ],
    "accounts/inactive/": [("/accounts/inactive/", everyone("200"))],
    "accounts/signup/": [("/accounts/signup/", signed_out("200"))],
    "accounts/reauthenticate/": [("/accounts/reauthenticate/", signed_in("200"))],
    "accounts/email/": [("/accounts/email/", signed_in("200"))],
    "accounts/confirm-email/": [("/accounts/confirm-email/", everyone("200"))],
    "accounts/password/change/": [("/accounts/password/change/", signed_in("200"))],
    "accounts/password/set/": [
        ("/accounts/password/set/", signed_in("→/accounts/password/change/"))
    ],
    "accounts/password/reset/": [("/accounts/password/reset/", everyone("200"))],
    "accounts/login/code/confirm/": [
        ("/accounts/login/code/confirm/", signed_out("→/accounts/login/"))
    ],
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": [
        ("/accounts/confirm-email/not-a-real-key/", everyone("200"))
    ],
    "accounts/password/reset/key/done/": [("/accounts/password/reset/key/done/", everyone("200"))],
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": [
        ("/accounts/password/reset/key/1-set-password/", everyone("200"))
    ],
    "accounts/password/reset/done/": [("/accounts/password/reset/done/", everyone("200"))],
    "accounts/2fa/": [("/accounts/2fa/", signed_in("200"))],
    "accounts/sessions/": [("/accounts/sessions/", signed_in("200"))],
    "accounts/2fa/authenticate/": [
        ("/accounts/2fa/authenticate/", signed_out("→/accounts/login/"))
    ],
    # Without a second factor yet, allauth asks for the password again.
    "accounts/2fa/reauthenticate/": [
        ("/accounts/2fa/reauthenticate/", signed_in("→/accounts/reauthenticate/"))
    ],
    # Changing security settings needs a fresh sign-in first.
    "accounts/2fa/totp/activate/": [
        (
            "/accounts/2fa/totp/activate/",
            signed_in("→/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"),
        )
    ],
    "accounts/2fa/totp/deactivate/": [("/accounts/2fa/totp/deactivate/", signed_in("404"))],
    "accounts/2fa/recovery-codes/": [("/accounts/2fa/recovery-codes/", signed_in("404"))],
    "accounts/2fa/recovery-codes/generate/": [
        (
            "/accounts/2fa/recovery-codes/generate/",
            signed_in(
                "→/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Frecovery-codes%2Fgenerate%2F"
            ),
        )
    ],
    "accounts/2fa/recovery-codes/download/": [
        ("/accounts/2fa/recovery-codes/download/", signed_in("404"))
    ],
    "accounts/3rdparty/login/cancelled/": [
        ("/accounts/3rdparty/login/cancelled/", everyone("200"))
    ],
    # allauth answers a failed single sign-on with 401 and its error page.
    "accounts/3rdparty/login/error/": [("/accounts/3rdparty/login/error/", everyone("401"))],
    "accounts/3rdparty/signup/": [("/accounts/3rdparty/signup/", everyone("→/accounts/login/"))],
    "accounts/3rdparty/": [("/accounts/3rdparty/", signed_in("200"))],
    # Old allauth addresses, kept by allauth as plain redirects to the new ones (plain
    # views, so an anonymous visitor is asked to sign in first).
    "accounts/social/login/cancelled/": [
        ("/accounts/social/login/cancelled/", signed_in("→/accounts/3rdparty/login/cancelled/"))
    ],
    "accounts/social/login/error/": [
        ("/accounts/social/login/error/", signed_in("→/accounts/3rdparty/login/error/"))
    ],
    "accounts/social/signup/": [
        ("/accounts/social/signup/", signed_in("→/accounts/3rdparty/signup/"))
    ],
    "accounts/social/connections/": [
        ("/accounts/social/connections/", signed_in("→/accounts/3rdparty/"))
    ],
    # No identity provider is configured in these tests (tests/test_sso.py configures one).
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/": [
        ("/accounts/oidc/company/login/", everyone("404"))
    ],
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/": [
        ("/accounts/oidc/company/login/callback/", everyone("404"))
    ],
    # Shifts and bookings. {queue} is led by the support lead, {shift} is in it with the
    # front-line employee as buddy, {booking} is the executive's seat on it; {other_*}
    # belong to nobody in the matrix.
    "schedule/": [("/schedule/", signed_in("200"))],
    "account/api-token/": [("/account/api-token/", signed_in("200"))],
    "account/calendar/": [("/account/calendar/", signed_in("200"))],
    # The feed's secret address is its credential: calendar apps cannot sign in.
    "calendar/<str:token>.ics": [
        ("/calendar/{feed_token}.ics", everyone("200")),
        ("/calendar/not-a-real-token.ics", everyone("404")),
    ],
    "deliveries/": [
        ("/deliveries/", DELIVERY_READERS),
        ("/deliveries/?status=failed&page=abc", DELIVERY_READERS),
    ],
    # The booking in the lead's queue: its executive and buddy may see the booking, not
    # what was mailed about it. In another queue: HR only; to the lead it does not exist.
    "deliveries/bookings/<int:booking_id>/": [
        ("/deliveries/bookings/{booking}/", answers("login", "403", "200", "200", "403")),
        ("/deliveries/bookings/{other_booking}/", answers("login", "404", "200", "404", "404")),
        ("/deliveries/bookings/999999/", answers("login", "404", "404", "404", "404")),
    ],
    "deliveries/<int:email_id>/retry/": [("/deliveries/{email}/retry/", signed_in("405"))],
    "queues/": [("/queues/", QUEUE_READERS)],
    "queues/new/": [("/queues/new/", LEADS_ONLY)],
    "queues/<int:queue_id>/": [
        ("/queues/{queue}/", QUEUE_READERS),
        ("/queues/999999/", answers("login", "403", "404", "404", "403")),
    ],
    "queues/<int:queue_id>/edit/": [
        ("/queues/{queue}/edit/", LEADS_ONLY),
        ("/queues/{other_queue}/edit/", answers("login", "403", "403", "403", "403")),
    ],
    "queues/<int:queue_id>/pause/": [("/queues/{queue}/pause/", signed_in("405"))],
    "queues/<int:queue_id>/shifts/new/": [
        ("/queues/{queue}/shifts/new/", LEADS_ONLY),
        ("/queues/{other_queue}/shifts/new/", answers("login", "403", "403", "403", "403")),
    ],
    "queues/<int:queue_id>/patterns/new/": [("/queues/{queue}/patterns/new/", LEADS_ONLY)],
    "queues/patterns/<int:pattern_id>/edit/": [
        ("/queues/patterns/{pattern}/edit/", LEADS_ONLY),
        ("/queues/patterns/999999/edit/", answers("login", "403", "404", "404", "403")),
    ],
    "queues/shifts/<int:shift_id>/cancel/": [
        ("/queues/shifts/{shift}/cancel/", LEADS_ONLY),
        ("/queues/shifts/{other_shift}/cancel/", answers("login", "403", "403", "403", "403")),
        ("/queues/shifts/999999/cancel/", answers("login", "403", "404", "404", "403")),
    ],
    "shifts/": [
        ("/shifts/", SHIFT_BROWSERS),
        ("/shifts/?channel=phone&fits=on&date_from=2030-01-01&date_to=2030-02-01", SHIFT_BROWSERS),
        ("/shifts/?date_from=not-a-date&queue=abc&page=-1", SHIFT_BROWSERS),
    ],
    "shifts/<int:shift_id>/": [
        ("/shifts/{shift}/", signed_in("200")),
        ("/shifts/{other_shift}/", answers("login", "200", "200", "200", "403")),
        ("/shifts/999999/", answers("login", "404", "404", "404", "404")),
    ],
    "shifts/<int:shift_id>/book/": [("/shifts/{shift}/book/", signed_in("405"))],
    "shifts/<int:shift_id>/attendance/": [
        ("/shifts/{shift}/attendance/", answers("login", "403", "403", "200", "200")),
        ("/shifts/{other_shift}/attendance/", answers("login", "403", "403", "403", "403")),
    ],
    "shifts/bookings/<int:booking_id>/reschedule/": [
        ("/shifts/bookings/{booking}/reschedule/", BOOKING_CHANGERS),
        ("/shifts/bookings/{other_booking}/reschedule/", OTHERS_BOOKING),
    ],
    "shifts/bookings/<int:booking_id>/cancel/": [
        ("/shifts/bookings/{booking}/cancel/", BOOKING_CHANGERS),
        ("/shifts/bookings/{other_booking}/cancel/", OTHERS_BOOKING),
    ],
    # Only the executive who sat the shift logs its insights.
    "shifts/bookings/<int:booking_id>/insights/new/": [
        ("/shifts/bookings/{booking}/insights/new/", answers("login", "200", "403", "403", "403")),
        (
            "/shifts/bookings/{other_booking}/insights/new/",
            answers("login", "404", "403", "404", "404"),
        ),
    ],
    # Insights: HR sees all; a lead those of their queues; the author, the buddy of the
    # shift and the owner theirs; everyone those shared with everyone.
    "insights/": [
        ("/insights/", signed_in("200")),
        (
            "/insights/?q=refund&status=open&category=product&severity=high&tag=billing&following=on",
            signed_in("200"),
        ),
        (
            "/insights/?status=bogus&queue=abc&executive=x&logged_from=nope&page=-3",
            signed_in("400"),
        ),
        # Only those who triage filter by executive; others never see the field.
        ("/insights/?executive=" + "x" * 300, answers("login", "200", "400", "400", "200")),
    ],
    "insights/export.csv": [("/insights/export.csv", signed_in("200"))],
    "insights/<int:insight_id>/": [
        ("/insights/{insight}/", signed_in("200")),
        ("/insights/{other_insight}/", answers("login", "404", "200", "404", "404")),
        ("/insights/{shared_insight}/", signed_in("200")),
        ("/insights/999999/", signed_in("404")),
    ],
    "insights/<int:insight_id>/status/": [("/insights/{insight}/status/", signed_in("405"))],
    "insights/<int:insight_id>/merge/": [("/insights/{insight}/merge/", signed_in("405"))],
    "insights/<int:insight_id>/comment/": [("/insights/{insight}/comment/", signed_in("405"))],
    "insights/<int:insight_id>/follow/": [("/insights/{insight}/follow/", signed_in("405"))],
    "insights/<int:insight_id>/plus-one/": [("/insights/{insight}/plus-one/", signed_in("405"))],
    "insights/impact/": [
        ("/insights/impact/", DASHBOARD_READERS),
        ("/insights/impact/?start=2026-01-01&end=2026-06-30&level=vp", DASHBOARD_READERS),
        (
            "/insights/impact/?start=later&end=2020-01-01&department=x",
            answers("login", "400", "400", "400", "403"),
        ),
    ],
    "insights/impact/<str:table>.csv": [
        *[
            (f"/insights/impact/{t}.csv", DASHBOARD_READERS)
            for t in ("funnel", "programs", "themes", "tags", "coverage", "timing")
        ],
        ("/insights/impact/nope.csv", answers("login", "404", "404", "404", "404")),
    ],
    # Reverse mentoring: HR runs cycles; a pairing and its sessions belong to its two
    # people (and HR); a cycle's profile page to those the cycle's rules take in.
    "mentoring/": [("/mentoring/", signed_in("200"))],
    "mentoring/topics/": [("/mentoring/topics/", HR_ONLY)],
    "mentoring/cycles/": [("/mentoring/cycles/", HR_ONLY)],
    "mentoring/cycles/new/": [("/mentoring/cycles/new/", HR_ONLY)],
    "mentoring/cycles/<int:cycle_id>/": [
        ("/mentoring/cycles/{cycle}/", HR_ONLY),
        ("/mentoring/cycles/999999/", answers("login", "403", "404", "403", "403")),
    ],
    "mentoring/cycles/<int:cycle_id>/edit/": [("/mentoring/cycles/{cycle}/edit/", HR_ONLY)],
    "mentoring/cycles/<int:cycle_id>/match/": [
        ("/mentoring/cycles/{cycle}/match/", signed_in("405"))
    ],
    "mentoring/cycles/<int:cycle_id>/publish/": [
        ("/mentoring/cycles/{cycle}/publish/", signed_in("405"))
    ],
    "mentoring/cycles/<int:cycle_id>/close/": [
        ("/mentoring/cycles/{cycle}/close/", signed_in("405"))
    ],
    "mentoring/cycles/<int:cycle_id>/swap/": [
        ("/mentoring/cycles/{cycle}/swap/", signed_in("405"))
    ],
    # Executives (VP) are mentees; front-line employees and HR (individual contributors in
    # the fixtures) may mentor; a manager is neither.
    "mentoring/cycles/<int:cycle_id>/profile/": [
        ("/mentoring/cycles/{cycle}/profile/", answers("login", "200", "200", "403", "200")),
        ("/mentoring/cycles/999999/profile/", signed_in("404")),
    ],
    "mentoring/pairings/<int:pairing_id>/": [
        ("/mentoring/pairings/{pairing}/", PAIR_AND_HR),
        ("/mentoring/pairings/{other_pairing}/", OTHERS_PAIR),
        ("/mentoring/pairings/999999/", signed_in("404")),
    ],
    "mentoring/pairings/<int:pairing_id>/remove/": [
        ("/mentoring/pairings/{pairing}/remove/", signed_in("405"))
    ],
    "mentoring/pairings/<int:pairing_id>/end/": [
        ("/mentoring/pairings/{pairing}/end/", signed_in("405"))
    ],
    "mentoring/sessions/<int:session_id>/reschedule/": [
        ("/mentoring/sessions/{session}/reschedule/", PAIR_AND_HR),
        ("/mentoring/sessions/{other_session}/reschedule/", OTHERS_PAIR),
    ],
    "mentoring/sessions/<int:session_id>/mark/": [
        ("/mentoring/sessions/{session}/mark/", signed_in("405"))
    ],
    # Only the executive who was mentored logs a session's insights.
    "mentoring/sessions/<int:session_id>/insights/new/": [
        (
            "/mentoring/sessions/{session}/insights/new/",
            answers("login", "200", "403", "404", "403"),
        ),
        (
            "/mentoring/sessions/{other_session}/insights/new/",
            answers("login", "404", "403", "404", "404"),
        ),
    ],
    # Rotation programs: HR's alone (participants see theirs on the home page).
    "programs/": [("/programs/", HR_ONLY)],
    "programs/new/": [("/programs/new/", HR_ONLY)],
    "programs/<int:program_id>/": [
        ("/programs/{program}/", HR_ONLY),
        (
            "/programs/{program}/?department=x&level=y&state=z",
            answers("login", "403", "400", "403", "403"),
        ),
        ("/programs/999999/", answers("login", "403", "404", "403", "403")),
    ],
    "programs/<int:program_id>/edit/": [("/programs/{program}/edit/", HR_ONLY)],
    "programs/<int:program_id>/compliance.csv": [("/programs/{program}/compliance.csv", HR_ONLY)],
    "programs/<int:program_id>/plans/": [("/programs/{program}/plans/", signed_in("405"))],
    "programs/plans/<int:plan_id>/": [("/programs/plans/{plan}/", HR_ONLY)],
    "programs/plans/<int:plan_id>/publish/": [
        ("/programs/plans/{plan}/publish/", signed_in("405"))
    ],
    "programs/plans/<int:plan_id>/discard/": [
        ("/programs/plans/{plan}/discard/", signed_in("405"))
    ],
    "programs/plans/lines/<int:line_id>/": [
        ("/programs/plans/lines/{plan_line}/", signed_in("405"))
    ],
    # API (token or session). Anonymous callers get 401: the API never redirects.
    "api/schema/": [("/api/schema/", answers("401", "200", "200", "200", "200"))],
    "api/queues/": [("/api/queues/", api(QUEUE_OR_BOOKERS))],
    "api/queues/<int:queue_id>/": [
        ("/api/queues/{queue}/", api(QUEUE_OR_BOOKERS)),
        ("/api/queues/999999/", answers("401", "404", "404", "404", "403")),
    ],
    "api/queues/<int:queue_id>/pause/": [("/api/queues/{queue}/pause/", api(everyone("405")))],
    "api/queues/<int:queue_id>/resume/": [("/api/queues/{queue}/resume/", api(everyone("405")))],
    "api/queues/<int:queue_id>/shifts/": [("/api/queues/{queue}/shifts/", api(everyone("405")))],
    "api/queues/<int:queue_id>/patterns/": [
        ("/api/queues/{queue}/patterns/", api(QUEUE_READERS)),
        ("/api/queues/999999/patterns/", answers("401", "403", "404", "404", "403")),
    ],
    "api/patterns/<int:pattern_id>/": [
        ("/api/patterns/{pattern}/", api(QUEUE_READERS)),
        ("/api/patterns/999999/", answers("401", "403", "404", "404", "403")),
    ],
    "api/shifts/<int:shift_id>/cancel/": [("/api/shifts/{shift}/cancel/", api(everyone("405")))],
    "api/shifts/": [
        ("/api/shifts/", api(QUEUE_OR_BOOKERS)),
        ("/api/shifts/?date_from=nope", answers("401", "400", "400", "400", "403")),
    ],
    "api/shifts/<int:shift_id>/": [
        ("/api/shifts/{shift}/", api(everyone("200"))),
        ("/api/shifts/{other_shift}/", answers("401", "200", "200", "200", "403")),
        ("/api/shifts/999999/", api(everyone("404"))),
    ],
    "api/bookings/": [("/api/bookings/", api(everyone("200")))],
    "api/bookings/<int:booking_id>/": [
        ("/api/bookings/{booking}/", api(everyone("200"))),
        ("/api/bookings/{other_booking}/", api(OTHERS_BOOKING)),
    ],
    "api/bookings/<int:booking_id>/reschedule/": [
        ("/api/bookings/{booking}/reschedule/", api(everyone("405")))
    ],
    "api/bookings/<int:booking_id>/cancel/": [
        ("/api/bookings/{booking}/cancel/", api(everyone("405")))
    ],
    "api/bookings/<int:booking_id>/attendance/": [
        ("/api/bookings/{booking}/attendance/", api(everyone("405")))
    ],
    "api/bookings/<int:booking_id>/insights/": [
        ("/api/bookings/{booking}/insights/", api(everyone("405")))
    ],
    "api/insights/": [
        ("/api/insights/", api(everyone("200"))),
        ("/api/insights/?status=bogus", api(everyone("400"))),
    ],
    "api/insights/<int:insight_id>/": [
        ("/api/insights/{insight}/", api(everyone("200"))),
        ("/api/insights/{other_insight}/", answers("401", "404", "200", "404", "404")),
        ("/api/insights/{shared_insight}/", api(everyone("200"))),
    ],
    "api/insights/<int:insight_id>/status/": [
        ("/api/insights/{insight}/status/", api(everyone("405")))
    ],
}

# The Django admin site is for staff (superusers) only: no role is staff, so every role
# gets the admin's own sign-in page. Every admin URL is checked through these samples,
# one per registered model.
ADMIN_SAMPLES = ["/admin/", "/admin/rotations/person/1/change/"] + [
    f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry
]


def test_every_url_is_in_the_matrix():
    routes = {r for r in all_routes() if not r.startswith("admin/")}
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"URLs not in the role matrix (add them to MATRIX): {missing}"
    assert not stale, f"MATRIX names URLs the app no longer has: {stale}"


def observe(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        login = reverse("account_login")
        if location.startswith(login + "?next="):
            return "login"
        return "→" + location
    return str(response.status_code)


CASES = [
    pytest.param(path, role, expected, id=f"{role}:{path}")
    for cases in MATRIX.values()
    for path, expected_by_role in cases
    for role, expected in expected_by_role.items()
]


# HEAD is asked of every URL as HR and as an executive (between them every kind of
# answer: 200, redirect, 403, 404, 405).
HEAD_CASES = [
    pytest.param(path, role, id=f"{role}:{path}")
    for cases in MATRIX.values()
    for path, expected_by_role in cases
    for role in expected_by_role
    if role in ("hr_admin", "executive")
]


@pytest.fixture
def world(executive, support_lead, frontline_employee):
    """One of each thing, owned as the matrix's comments say."""
    import datetime as dt

    from rotations.invites.feed import feed_of
    from rotations.models import DirectoryImport
    from rotations.shifts.permissions import actor
    from rotations.shifts.services.booking import booking_create
    from rotations.shifts.services.patterns import shift_pattern_create
    from tests.factories import InsightFactory, PersonFactory, QueueFactory, ShiftFactory

    queue = QueueFactory(leads=[support_lead])
    other_queue = QueueFactory()
    shift = ShiftFactory(queue=queue, buddy=frontline_employee)
    other_shift = ShiftFactory(queue=other_queue)
    pattern, _ = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;COUNT=2",
        starts_on=dt.date.today() + dt.timedelta(days=10),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    other_exec = PersonFactory(roles=["Executive"])
    booking = booking_create(shift=shift, person=executive, by=actor(executive))
    other_booking = booking_create(shift=other_shift, person=other_exec, by=actor(other_exec))
    return {
        "someone": executive.pk,
        "queue": queue.pk,
        "other_queue": other_queue.pk,
        "shift": shift.pk,
        "other_shift": other_shift.pk,
        "pattern": pattern.pk,
        "booking": booking.pk,
        "email": booking.emails.first().pk,
        "feed_token": feed_of(executive).token,
        "import_job": DirectoryImport.objects.create(data=b"", filename="people.csv").pk,
        "other_booking": other_booking.pk,
        "insight": InsightFactory(booking=booking).pk,
        "other_insight": InsightFactory(booking=other_booking).pk,
        "shared_insight": InsightFactory(booking=other_booking, is_shared=True).pk,
        **_mentoring_world(executive, frontline_employee, other_exec),
        **_program_world(executive, shift),
    }


def _program_world(executive, shift) -> dict:
    import datetime as dt

    from rotations.models import PlanLine, Program, SchedulePlan

    today = dt.date.today()
    program = Program.objects.create(
        name="Matrix program",
        starts_on=today,
        ends_on=today + dt.timedelta(days=60),
        deadline=today + dt.timedelta(days=30),
        levels=["vp"],
    )
    plan = SchedulePlan.objects.create(program=program, status="ready")
    line = PlanLine.objects.create(plan=plan, person=executive, shift=shift)
    return {"program": program.pk, "plan": plan.pk, "plan_line": line.pk}


def _mentoring_world(executive, frontline_employee, other_exec) -> dict:
    """A published cycle: the executive mentored by the front-line employee, and another
    pair of two other people."""
    import datetime as dt

    from rotations.models import MentoringCycle, MentoringSession, Pairing
    from tests.factories import PersonFactory

    today = dt.date.today()
    cycle = MentoringCycle.objects.create(
        name="Matrix cycle",
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        mentee_levels=["vp"],
        mentor_levels=["ic"],
    )
    pairing = Pairing.objects.create(
        cycle=cycle, mentee=executive, mentor=frontline_employee, status="active"
    )
    other_pairing = Pairing.objects.create(
        cycle=cycle, mentee=other_exec, mentor=PersonFactory(), status="active"
    )
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    sessions = [
        MentoringSession.objects.create(
            pairing=p,
            occurrence_at=start,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=45),
        )
        for p in (pairing, other_pairing)
    ]
    return {
        "cycle": cycle.pk,
        "pairing": pairing.pk,
        "other_pairing": other_pairing.pk,
        "session": sessions[0].pk,
        "other_session": sessions[1].pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role", "expected"), CASES)
def test_role_gets_expected_answer(client_as, path, role, expected, world):
    client = client_as(role)
    response = client.get(path.format(**world))
    assert observe(response) == expected
    # Every answer carries the policy; nothing a signed-in person is shown is kept by a
    # browser or a proxy (the calendar feed, for calendar apps, revalidates by its ETag).
    assert set(response["Content-Security-Policy"].split("; ")) == POLICY
    if role != "anonymous" and not path.endswith(".ics"):
        assert "no-store" in response["Cache-Control"], response.get("Cache-Control")


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role"), HEAD_CASES)
def test_head_answers_wherever_get_does(client_as, path, role, world):
    client = client_as(role)
    url = path.format(**world)
    got, head = client.get(url), client.head(url)
    assert head.status_code == got.status_code
    body = b"".join(head.streaming_content) if head.streaming else head.content
    assert body == b""


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ADMIN_SAMPLES)
def test_the_admin_is_closed_to_every_role(client_as, path, role):
    response = client_as(role).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/")


@pytest.mark.django_db
def test_the_admin_opens_for_a_superuser(client, django_user_model):
    root = django_user_model.objects.create_superuser(
        "root@example.com", "pw-1234-long", full_name="Root"
    )
    client.force_login(root)
    for path in ADMIN_SAMPLES[:1] + ADMIN_SAMPLES[2:]:
        assert client.get(path).status_code == 200, path


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES[1:])
def test_post_only_pages_refuse_other_roles(client_as, role):
    # Writes are held to the same rule as reads.
    expected = 400 if role == "hr_admin" else 403
    assert client_as(role).post("/people/import/", {}).status_code == expected


EVERYONE_SIGNED_IN = ["Home", "My schedule", "Insights", "Mentoring"]
HEADER = {
    "executive": ["Home", "Find a shift", "My schedule", "Insights", "Mentoring", "Impact"],
    "hr_admin": [
        "Home",
        "Find a shift",
        "My schedule",
        "Insights",
        "Mentoring",
        "Impact",
        "Queues",
        "Programs",
        "Cycles",
        "Directory",
        "Import",
        "Deliveries",
    ],
    "support_lead": [
        "Home",
        "Find a shift",
        "My schedule",
        "Insights",
        "Mentoring",
        "Impact",
        "Queues",
        "Directory",
        "Deliveries",
    ],
    "frontline": EVERYONE_SIGNED_IN,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(HEADER))
def test_the_header_shows_each_role_the_pages_it_can_open(client_as, role):
    import re

    page = client_as(role).get("/schedule/").content.decode()
    nav = page.split('aria-label="Main"')[1].split("<details")[0]  # before the account menu
    labels = re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', nav)
    assert labels == HEADER[role]
    assert '<a href="/schedule/" aria-current="page">My schedule</a>' in nav


@pytest.mark.django_db
def test_the_header_shows_a_superuser_everything_and_a_visitor_nothing(client, django_user_model):
    import re

    from rotations.common.context_processors import NAVIGATION

    client.force_login(
        django_user_model.objects.create_superuser(email="root@example.com", password="x" * 12)
    )
    nav = client.get("/").content.decode().split('aria-label="Main"')[1].split("<details")[0]
    assert re.findall(r">([^<]+)</a></li>", nav) == [label for label, _, _ in NAVIGATION]
    client.logout()
    login = client.get("/accounts/login/").content.decode()
    assert "Find a shift" not in login


def test_the_api_schema_lists_every_refusal_the_matrix_shows():
    """A client generated from the schema must know each answer a role can get."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for route, cases in MATRIX.items():
        if not route.startswith("api/") or route == "api/schema/":
            continue
        path = "/" + re.sub(r"<int:(\w+)>", r"{\1}", route)
        for method, operation in schema["paths"][path].items():
            listed = set(operation["responses"])
            assert "401" in listed, (method, path)
            if method == "get":
                shown = {answer for _, expected in cases for answer in expected.values()} - {
                    "200",
                    "405",
                }
                assert shown <= listed, (path, shown - listed)
            else:  # every write is limited to some roles
                assert "403" in listed, (method, path)
            if "{" in path:
                assert "404" in listed, (method, path)
