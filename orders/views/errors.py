"""The server-error page (handler500) and the sign-in page's trial-mode hint."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.views import LoginView
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from cdpadmin.request_id import request_id_of

logger = logging.getLogger(__name__)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The styled 500 page, with the request id that is also in the error's log line.

    Rendered without the request's context processors: the failure may be the database.
    """
    request_id = request_id_of(request)
    try:
        page = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:
        logger.exception("The 500 page itself failed to render")
        page = f"<h1>Server Error (500)</h1><p>Request id {request_id}. <a href='/'>Home</a></p>"
    return HttpResponseServerError(page)


class SignInView(LoginView):
    """allauth's sign-in page; in trial mode it also shows the demo login `make run` made."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.CDP_SANDBOX and not settings.PRODUCTION:
            demo = settings.DEMO_USERNAME
            if get_user_model().objects.filter(username=demo, is_active=True).exists():
                context["demo_login"] = (demo, settings.DEMO_PASSWORD)
        return context
