"""Two browsers on the same protocol: one writes an item, the other sees it appear live. Two
browsers on the same conference page: one answers, the other's invitation table shows it live.

Django's ``live_server`` speaks WSGI only, so this test serves the project's ASGI application
(pages, static files and the websocket) with Daphne in a thread of the test process; the
in-memory test database is shared between threads.
"""
from __future__ import annotations

import re
import socket
import threading
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_SERVER: dict = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db):
    """Daphne serving config.asgi in a daemon thread (Twisted's reactor cannot restart: once per run)."""
    if not _SERVER:
        from channels.auth import AuthMiddlewareStack
        from channels.routing import ProtocolTypeRouter, URLRouter
        from channels.security.websocket import AllowedHostsOriginValidator
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.core.asgi import get_asgi_application

        from config.routing import websocket_urlpatterns

        application = ProtocolTypeRouter({
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        })
        port = _free_port()
        server = Server(application, endpoints=[f"tcp:port={port}:interface=127.0.0.1"], signal_handlers=False)
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _SERVER["url"] = f"http://127.0.0.1:{port}"
    return _SERVER["url"]


def as_the_server_would(func, *args, **kwargs):
    """Run a write the way a request handled by the server runs it: in a worker thread of the
    server's event loop, so its group message reaches the sockets at once. Called from the test's
    own thread, the in-memory channel layer would put the message into the server loop's queue
    without waking that loop (asyncio queues are not thread-safe), and the socket would see it
    only at the loop's next timer: up to seconds later (CI timed out at 10 s)."""
    import asyncio

    from asgiref.sync import sync_to_async
    from twisted.internet import reactor

    from django.db import connections

    def handled():
        # As at the end of a request (request_finished): the thread's connection goes back. On
        # PostgreSQL it is borrowed from the process's bounded pool (DB_POOL_MAX_SIZE), and the
        # executor's idle threads would otherwise keep theirs for the rest of the run: CI's pages
        # then waited 30 s for a connection and timed out.
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    loop = reactor._asyncioEventloop
    return asyncio.run_coroutine_threadsafe(sync_to_async(handled, thread_sensitive=False)(), loop).result(30)


def open_as(browser, base_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base_url}])
    return context, context.new_page()


def test_an_item_typed_by_the_convenor_appears_for_the_counsellor_without_reload(browser, asgi_server, world):
    url = f"{asgi_server}/protocols/{world.protocol.pk}/"
    writer_context, writer = open_as(browser, asgi_server, world.convenor)
    reader_context, reader = open_as(browser, asgi_server, world.counsellor)
    parent_context, parent = open_as(browser, asgi_server, world.parent)
    try:
        writer.goto(url)
        for page in (reader, parent):
            page.goto(url)
            page.wait_for_selector("#live-protocol[data-live='connected']", state="attached", timeout=10000)
        reader.evaluate("window.__notReloaded = true")
        reader.wait_for_selector("#presence li", timeout=10000)

        writer.fill("#new_title", "Live eingetragen")
        writer.fill("#new_text", "Die **Hebamme** kommt am Montag.")
        writer.select_option("#new_audience", "professionals")
        writer.click("#new-item-form button[type=submit]")

        reader.wait_for_selector("text=Live eingetragen", timeout=10000)
        assert reader.evaluate("window.__notReloaded") is True
        assert reader.inner_html(".protocol-item:last-child .item-text").count("<strong>Hebamme</strong>") == 1
        time.sleep(0.5)
        assert "Live eingetragen" not in parent.content()
    finally:
        for context in (writer_context, reader_context, parent_context):
            context.close()


def test_an_answer_given_by_the_counsellor_appears_in_the_convenors_invitation_table_without_reload(
        browser, asgi_server, world):
    url = f"{asgi_server}/conferences/{world.conference.pk}/"
    convenor_context, convenor = open_as(browser, asgi_server, world.convenor)
    counsellor_context, counsellor = open_as(browser, asgi_server, world.counsellor)
    try:
        convenor.goto(url)
        convenor.wait_for_selector("#invitation-table[data-live='connected']", state="attached", timeout=10000)
        convenor.evaluate("window.__notReloaded = true")
        row = f"#invitation-table tr[data-invitation='{world.invitation_counsellor.pk}']"

        counsellor.goto(url)
        counsellor.check("input[name=rsvp][value=declined]")
        counsellor.fill("input[name=comment]", "Leider krank")
        counsellor.click("form[action$='/rsvp/'] button[type=submit]")

        convenor.wait_for_selector(f"{row} td[data-rsvp-comment]:has-text('Leider krank')", timeout=10000)
        assert convenor.evaluate("window.__notReloaded") is True
        assert convenor.get_attribute(row, "class") == "declined-required"
        assert convenor.locator(f"{row} .overdue").count() == 1
        status = convenor.locator("#invitation-live-status")
        # expect() polls from the test, not with a string evaluated in the page (the page's CSP
        # forbids eval: wait_for_function failed whenever its first check came too early)
        expect(status).not_to_have_text("")
        assert str(world.counsellor) in status.text_content()
    finally:
        for context in (convenor_context, counsellor_context):
            context.close()


def test_the_live_action_table_keeps_its_links_and_shows_dates_and_labels_in_the_readers_language(browser, asgi_server, world):
    """After the socket's hello the items are drawn again: action titles still open the action,
    and the Danish parent's table says "15.12.2026", "Åben" and "(Mor)" like the server-rendered one."""
    world.mother.display_name = "Mette"
    world.mother.save(update_fields=["display_name"])
    context, page = open_as(browser, asgi_server, world.parent)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "da", "url": asgi_server}])
    try:
        page.goto(f"{asgi_server}/protocols/{world.protocol.pk}/")
        page.wait_for_selector("#live-protocol[data-live='connected']", state="attached", timeout=10000)
        page.locator("#full-items summary").click()
        # The convenor, writing in German, changes the item: the parent's page draws it again live.
        from django.utils import translation

        from protocols import services

        def write_in_german():
            with translation.override("de"):
                services.item_update(world.convenor, item=world.item_everyone, version=world.item_everyone.version,
                                     text="Neu geschrieben im Gespräch.")

        as_the_server_would(write_in_german)
        page.wait_for_selector("text=Neu geschrieben im Gespräch.", timeout=10000)
        row = page.locator(f"tr[data-action-id='{world.action_parent.pk}']")
        assert row.get_by_role("link", name=world.action_parent.title).get_attribute("href") == f"/actions/{world.action_parent.pk}/"
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == "Mette (Mor)" and cells[2] == world.action_parent.due_on.strftime("%d.%m.%Y") and cells[3] == "Åben"
        row.get_by_role("link", name=world.action_parent.title).click()
        page.get_by_role("heading", name=world.action_parent.title).wait_for()
    finally:
        context.close()


class _Link:
    """Every websocket of one page, passed through Playwright to the real server, with a switch
    that drops the current connection the way a lost network does (both ends closed)."""

    def __init__(self, page, pattern: str):
        self.routes = []
        page.route_web_socket(pattern, self._route)

    def _route(self, ws) -> None:
        self.routes.append((ws, ws.connect_to_server()))

    def drop(self) -> None:
        ws, server = self.routes[-1]
        server.close(code=1001)
        ws.close(code=1001)


def test_a_conference_page_back_online_shows_the_answers_given_while_its_connection_was_down(browser, asgi_server, world):
    from conferences import services

    url = f"{asgi_server}/conferences/{world.conference.pk}/"
    convenor_context, convenor = open_as(browser, asgi_server, world.convenor)
    try:
        link = _Link(convenor, re.compile(r"/ws/conferences/\d+/$"))
        convenor.goto(url)
        table = "#invitation-table"
        convenor.wait_for_selector(f"{table}[data-live='connected']", state="attached", timeout=10000)
        convenor.evaluate("window.__notReloaded = true")
        invitation = world.invitation_counsellor
        row = f"{table} tr[data-invitation='{invitation.pk}']"
        convenor.focus(f"{row} form button")  # she is on the row's "withdraw" button when the rows are read again
        link.drop()
        convenor.wait_for_selector(f"{table}[data-live='closed']", state="attached", timeout=10000)
        status = convenor.locator("#invitation-live-status")
        expect(status).to_have_text(status.get_attribute("data-offline"))  # the interruption is said

        # Answered while the page has no connection: its live message reaches nobody. (Done outside
        # any Playwright call, so the page's reconnect is routed only after the answer is in.)
        as_the_server_would(services.invitation_rsvp, world.counsellor, invitation=invitation,
                            rsvp="declined", comment="Leider krank")

        convenor.wait_for_selector(f"{row} td[data-rsvp-comment]:has-text('Leider krank')", timeout=15000)
        assert len(link.routes) >= 2  # it came back by reconnecting, not by a reload
        assert convenor.evaluate("window.__notReloaded") is True
        assert convenor.get_attribute(row, "class") == "declined-required"
        expect(status).to_have_text(status.get_attribute("data-updated"))
        # The keyboard focus stayed on the same button of the same invitation.
        assert convenor.evaluate("document.activeElement.tagName + ' ' + document.activeElement.closest('tr').dataset.invitation") \
            == f"BUTTON {invitation.pk}"
        # The withdraw buttons of the rows read again still work: their forms carry a valid token.
        assert convenor.locator(f"{row} form input[name=csrfmiddlewaretoken]").count() == 1
    finally:
        convenor_context.close()


def test_a_poll_grid_back_online_shows_the_votes_given_while_its_connection_was_down(browser, asgi_server, world):
    from conferences import services
    from tests.conferences.helpers import answer_all, convene

    conference = convene(world)
    convenor_context, convenor = open_as(browser, asgi_server, world.convenor)
    try:
        link = _Link(convenor, re.compile(r"/ws/conferences/\d+/poll/$"))
        convenor.goto(asgi_server + reverse("conferences:conference_poll", args=[conference.pk]))
        grid = "[data-live-grid]"
        convenor.wait_for_selector(f"{grid}[data-live='connected']", state="attached", timeout=10000)
        assert convenor.locator("#poll-grid td.answer-yes").count() == 0
        convenor.evaluate("window.__notReloaded = true")
        link.drop()
        convenor.wait_for_selector(f"{grid}[data-live='closed']", state="attached", timeout=10000)

        as_the_server_would(services.poll_vote, world.counsellor,
                            invitation=conference.invitations.get(user=world.counsellor),
                            answers=answer_all(conference, "yes"))

        expect(convenor.locator("#poll-grid td.answer-yes")).to_have_count(3, timeout=15000)
        assert len(link.routes) >= 2
        assert convenor.evaluate("window.__notReloaded") is True
    finally:
        convenor_context.close()


def test_a_conference_page_whose_user_left_the_case_team_stops_reconnecting(browser, asgi_server, world):
    """Refused at the handshake, a socket closes in the browser as 1006, like a lost network. The
    page asks whether it may still read itself before trying again, and stops when it may not,
    instead of knocking every 30 s for as long as the tab stays open."""
    from cases import services as case_services
    from cases.models import CaseTeamMember

    url = f"{asgi_server}/conferences/{world.conference.pk}/"
    context, page = open_as(browser, asgi_server, world.counsellor)
    try:
        link = _Link(page, re.compile(r"/ws/conferences/\d+/$"))
        page.goto(url)
        table = "#invitation-table"
        page.wait_for_selector(f"{table}[data-live='connected']", state="attached", timeout=10000)
        member = CaseTeamMember.objects.get(case=world.case, user=world.counsellor, removed_at__isnull=True)
        as_the_server_would(case_services.case_team_member_remove, world.convenor, member=member)
        link.drop()
        page.wait_for_selector(f"{table}[data-live='ended']", state="attached", timeout=15000)
        attempts = len(link.routes)
        page.wait_for_timeout(4000)  # without the check: a retry after ~1, ~2 and ~4 s
        assert len(link.routes) == attempts <= 2
    finally:
        context.close()
