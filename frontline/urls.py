from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from rotations.directory import views as directory_views

# The admin signs in through allauth's sign-in, so two-factor and its rate limits apply
# there too: the admin's own form checked the password alone.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("rotations.urls")),
    # Before allauth's: a person's address is the directory's, shown read-only here.
    path("accounts/email/", directory_views.email_address, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

# An unreachable database answers 503, and the API answers in JSON (rotations/common/views.py).
handler404 = "rotations.common.views.page_not_found"
handler500 = "rotations.common.views.server_error"
