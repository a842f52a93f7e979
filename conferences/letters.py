"""Printable letters for invitees who cannot be reached by e-mail: QR codes and the letter's language."""
from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe

from participants import language

from conferences.models import Invitation


def qr_svg(url: str) -> SafeString:
    """An inline SVG QR code of ``url`` (no image file, no external service)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=20, border=2)
    svg = image.to_string(encoding="unicode")
    # The XML declaration is not allowed inside HTML.
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))


def letter_language(invitation: Invitation) -> str:
    return language.for_family_member(invitation.family_member, network=invitation.conference.case.network)
