"""The Art. 15 access log as a download (CSV or JSON): the file a parent downloads herself from
"Who read my data", and the one the data-protection officer downloads to answer the access request
of a family member without an account (``privacy``). One function, so both stay the same."""
from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from permissions import csv_export

FORMATS = ("csv", "json")


def access_log_response(rows: list[dict], fmt: str) -> HttpResponse:
    """``rows`` from ``access.selectors.family_access_rows``; ``fmt`` one of ``FORMATS``."""
    # The file is named in the language of its content (the active one: hers, also when the
    # officer downloads it for her).
    # Translators: the file name of the "who read my data" download: lower case, words joined by hyphens.
    name = f"{_('who-read-my-data')}-{timezone.localdate().isoformat()}"
    export = [{"at": formats.date_format(timezone.localtime(r["at"]), "SHORT_DATETIME_FORMAT"), "who": r["who"],
               "what": str(r["what"]), "channel": str(r["channel"]), "basis": r["basis"]} for r in rows]
    if fmt == "json":
        response = HttpResponse(json.dumps({"generated_at": timezone.now().isoformat(), "events": export},
                                           ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.json")
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
    response.write("\ufeff")  # so that spreadsheet programs read the umlauts as UTF-8
    writer = csv_export.writer(response)
    writer.writerow([_("Time"), _("Who"), _("What"), _("How"), _("Why it was allowed")])
    writer.writerows([[r["at"], r["who"], r["what"], r["channel"], r["basis"]] for r in export])
    return response
