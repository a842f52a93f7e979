"""Project URLs. Each app owns its pages (``<app>/urls.py``) and its API (``<app>/api/urls.py``)."""
from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from config import account as account_views
from config import dashboard
from operations import views as operations_views
from participants import views as participant_views

admin.site.site_header = "Fallkonferenz – Administration"
admin.site.site_title = "Fallkonferenz"

api_patterns = [
    path("", include("cases.api.urls")),
    path("", include("conferences.api.urls")),
    path("", include("protocols.api.urls")),
    path("", include("board.api.urls")),
    path("", include("permissions.api.urls")),
    path("", include("offers.api.urls")),
    path("", include("privacy.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("health/live", operations_views.live, name="health_live"),
    path("health/ready", operations_views.ready, name="health_ready"),
    path("", dashboard.dashboard, name="dashboard"),
    path("accessibility/", participant_views.accessibility_statement, name="accessibility"),
    path("account/", account_views.account, name="account"),
    path("favicon.ico", participant_views.favicon, name="favicon"),
    path("i18n/setlang/", participant_views.language_switch, name="set_language"),
    # Not offered (participants.views.not_offered); the name stays, since allauth reverses it.
    path("accounts/email/", participant_views.not_offered, name="account_email"),
    path("accounts/", RedirectView.as_view(pattern_name="account"), name="accounts_home"),
    path("accounts/", include("allauth.urls")),
    # The admin signs in through the same login, second factor and rate limits as everyone else.
    path("admin/login/", participant_views.admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("participants.urls")),
    path("", include("cases.urls")),
    path("", include("conferences.urls")),
    path("", include("protocols.urls")),
    path("", include("board.urls")),
    path("", include("calendars.urls")),
    path("", include("access.urls")),
    path("", include("notifications.urls")),
    path("", include("offers.urls")),
    path("", include("records.urls")),
    path("", include("privacy.urls")),
]

# A database that is restarting answers 503 with Retry-After, anything else a plain 500.
handler500 = "operations.views.server_error"
