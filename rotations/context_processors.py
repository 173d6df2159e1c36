from django.urls import reverse


def navigation(request) -> dict:
    """The links a person sees in the header: only what their roles let them open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = [("Home", reverse("home"))]
    if user.has_perm("rotations.book_shift") or user.has_perm("rotations.book_for_others"):
        links.append(("Find a shift", reverse("shifts:list")))
    links.append(("My schedule", reverse("schedule")))
    links.append(("Insights", reverse("insights:list")))
    links.append(("Mentoring", reverse("mentoring:home")))
    if user.has_perm("rotations.view_insight_dashboard"):
        links.append(("Impact", reverse("insights:dashboard")))
    if user.has_perm("rotations.view_queue"):
        links.append(("Queues", reverse("queues:list")))
    if user.has_perm("rotations.manage_programs"):
        links.append(("Programs", reverse("programs:list")))
    if user.has_perm("rotations.manage_mentoring"):
        links.append(("Cycles", reverse("mentoring:cycles")))
    if user.has_perm("rotations.view_directory"):
        links.append(("Directory", reverse("people:list")))
    if user.has_perm("rotations.import_directory"):
        links.append(("Import", reverse("people:import")))
    if user.has_perm("rotations.view_deliveries") or user.has_perm("rotations.manage_queues"):
        links.append(("Deliveries", reverse("deliveries:list")))
    return {"nav_links": links}
