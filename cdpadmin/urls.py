from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from orders.security import csp_report
from orders.throttle import ThrottledAdminAuthenticationForm
from orders.views.errors import SignInView

# The admin's own sign-in page is a second door for password guessing; throttle it too.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path(
        "accounts/login/",
        SignInView.as_view(),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("csp-report/", csp_report, name="csp-report"),
    path("", include("orders.urls")),
]

handler500 = "orders.views.errors.server_error"
