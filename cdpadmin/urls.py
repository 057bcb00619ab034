from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from orders.identity import oidc_callback
from orders.security import csp_report
from orders.views.errors import SignInView

# The admin's own sign-in form would skip lockouts' page, single sign-on and the second
# factor: send it to the one sign-in page instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("accounts/login/", SignInView.as_view(), name="login"),
    # Sign-out and password change keep Django's views and names; allauth adds the rest
    # (single sign-on callbacks, two-factor pages, sessions).
    # ID tokens' signatures are checked even when they come straight from the IdP.
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc_callback),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("csp-report/", csp_report, name="csp-report"),
    path("", include("orders.urls")),
]

handler500 = "orders.views.errors.server_error"
