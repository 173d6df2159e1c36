from functools import lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Every page's header: (label, URL name, permissions any one of which shows the link).
NAVIGATION = (
    ("Home", "home", ()),
    (
        "Find a shift",
        "shifts:list",
        ("rotations.book_shift", "rotations.book_for_others", "rotations.manage_queues"),
    ),
    ("My schedule", "schedule", ()),
    ("Insights", "insights:list", ()),
    ("Mentoring", "mentoring:home", ()),
    ("Impact", "insights:dashboard", ("rotations.view_insight_dashboard",)),
    ("Queues", "queues:list", ("rotations.view_queue",)),
    ("Programs", "programs:list", ("rotations.manage_programs",)),
    ("Cycles", "mentoring:cycles", ("rotations.manage_mentoring",)),
    ("Directory", "people:list", ("rotations.view_directory",)),
    ("Import", "people:import", ("rotations.import_directory",)),
    ("Deliveries", "deliveries:list", ("rotations.view_deliveries", "rotations.manage_queues")),
)
# The account menu, the same for everyone.
ACCOUNT_LINKS = (
    "home",
    "account_email",
    "account_change_password",
    "mfa_index",
    "usersessions_list",
    "calendar-settings",
    "api-token",
    "account_logout",
)


@lru_cache(maxsize=8)
def _urls(prefix: str) -> dict[str, str]:
    # Reversing is pure given the URLconf and the script prefix, and every page needs these.
    # Keyed so templates can read them: "calendar-settings" is links.calendar_settings.
    names = {*ACCOUNT_LINKS, *(name for _, name, _ in NAVIGATION)}
    return {name.replace("-", "_").replace(":", "_"): reverse(name) for name in names}


def navigation(request) -> dict:
    """The links a person sees in the header: only what their roles let them open.

    Built here rather than in the template: every page renders it, and a template loop
    over a dozen links cost more than the rest of a cached page.
    """
    user = getattr(request, "user", None)
    urls = _urls(get_script_prefix())
    if user is None or not user.is_authenticated:
        return {"nav_html": "", "links": urls}
    granted = user.get_all_permissions() if not user.is_superuser else None
    items = []
    for label, name, perms in NAVIGATION:
        if perms and granted is not None and not any(perm in granted for perm in perms):
            continue
        href = urls[name.replace("-", "_").replace(":", "_")]
        current = ' aria-current="page"' if request.path == href else ""
        items.append(f'<li><a href="{escape(href)}"{current}>{label}</a></li>')
    return {"nav_html": mark_safe("".join(items)), "links": urls}
