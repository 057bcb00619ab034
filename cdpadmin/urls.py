from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from orders.security import csp_report
from orders.views.errors import SignInView

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
