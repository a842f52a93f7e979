"""The German and Danish catalogues are complete, and pages speak the language a person chose.

The catalogues are read with a small parser below (polib is not a requirement). The source scan
finds every literal string wrapped for translation in Python (``_``, ``gettext_lazy``, …) and in
templates (``{% translate %}``, ``{% blocktranslate %}``), so a string added after the last
``makemessages`` run fails here instead of showing up in English on a German page.

When a test here fails because strings were added, run::

    DEBUG=true .venv/bin/python manage.py makemessages -l de -l da -l en --ignore=.venv --ignore=bench --ignore=tests --no-location
    # translate the new or fuzzy entries in locale/de and locale/da
    DEBUG=true .venv/bin/python manage.py compilemessages --ignore=.venv
"""
from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trim_whitespace

from tests.world import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
TRANSLATED = ["de", "da"]
SOURCE_PACKAGES = ["config", "participants", "notifications", "cases", "conferences", "protocols", "board", "calendars", "permissions", "offers", "records", "privacy"]


# --- a tiny .po reader ------------------------------------------------------------------------

@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """Return the header fields and the entries of a .po file (obsolete ones flagged)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def flush() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        elif line.startswith("#,"):
            current = current or Entry()
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}: cannot read line {raw!r}"
        keyword, index, quoted = match.groups()
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            flush()
        current = current or Entry()
        current.obsolete = current.obsolete or obsolete
        value = ast.literal_eval(quoted)
        if keyword.startswith("msgstr"):
            number = int(index) if index is not None else 0
            current.msgstr[number] = value
            target = ("msgstr", number)
        else:
            setattr(current, keyword, value)
            target = (keyword, None)
    flush()

    header_entries = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    header: dict[str, str] = {}
    if header_entries:
        for line in header_entries[0].msgstr.get(0, "").splitlines():
            name, _, value = line.partition(":")
            header[name.strip()] = value.strip()
    messages = [e for e in entries if not (e.msgid == "" and e.msgctxt is None)]
    return header, messages


def catalogue(language: str) -> tuple[dict[str, str], list[Entry]]:
    return read_po(LOCALE / language / "LC_MESSAGES" / "django.po")


def live_entries(language: str) -> list[Entry]:
    return [entry for entry in catalogue(language)[1] if not entry.obsolete]


_PLACEHOLDER = re.compile(r"%\((\w[\w.]*)\)[sdif]|%[sdif]")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in _PLACEHOLDER.finditer(text.replace("%%", "")))


# --- the catalogues ---------------------------------------------------------------------------

@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_header_declares_utf8_and_two_plural_forms(language):
    header, _ = catalogue(language)
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert header["Language"] == language


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    entries = live_entries(language)
    assert len(entries) > 500, "the catalogue looks truncated"
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    untranslated = [
        e.msgid for e in entries
        if not e.msgstr or any(not text.strip() for text in e.msgstr.values())
        or (e.msgid_plural is not None and sorted(e.msgstr) != [0, 1])
    ]
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entries in {language}, e.g. {fuzzy[:10]}"
    assert untranslated == [], f"{len(untranslated)} untranslated entries in {language}, e.g. {untranslated[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    broken = []
    for entry in live_entries(language):
        for number, text in entry.msgstr.items():
            source = entry.msgid if number == 0 or entry.msgid_plural is None else entry.msgid_plural
            if set(placeholders(text)) != set(placeholders(source)):
                broken.append((source, text))
    assert broken == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_matches_the_po_file(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in live_entries(language):
        if entry.msgid_plural is not None:
            got = [compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) if entry.msgctxt
                   else compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            expected = [entry.msgstr[0], entry.msgstr[1]]
        else:
            got = [compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)]
            expected = [entry.msgstr[0]]
        if got != expected:
            stale.append(entry.msgid)
    assert stale == [], f"django.mo is older than django.po for {language}: run compilemessages ({stale[:5]})"


# --- the source: every wrapped string is in the catalogues ------------------------------------

_PY_FUNCTIONS = {
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None), "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}


def _python_messages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in _PY_FUNCTIONS:
            continue
        context_at, msgid_at, _plural_at = _PY_FUNCTIONS[name]

        def literal(index):
            if index is None or len(node.args) <= index:
                return None
            arg = node.args[index]
            return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None

        msgid = literal(msgid_at)
        if msgid:
            yield literal(context_at), msgid, f"{path.relative_to(ROOT)}:{node.lineno}"


_TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*trans(?:late)?\s+(?P<q>["'])(?P<msgid>.*?)(?P=q)(?P<rest>[^%]*)%\}""", re.S)
_TEMPLATE_CONTEXT = re.compile(r"""context\s+(?P<q>["'])(?P<ctx>.*?)(?P=q)""")
_TEMPLATE_BLOCK = re.compile(
    r"\{%\s*blocktrans(?:late)?(?P<args>[^%]*)%\}(?P<body>.*?)\{%\s*endblocktrans(?:late)?\s*%\}", re.S)
_TEMPLATE_PLURAL = re.compile(r"\{%\s*plural\s*%\}")
_TEMPLATE_VAR = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def _block_text(text: str, trimmed: bool) -> str:
    if trimmed:
        text = trim_whitespace(text)
    out, last = [], 0
    for match in _TEMPLATE_VAR.finditer(text):
        out.append(text[last:match.start()].replace("%", "%%"))
        out.append(f"%({match.group(1)})s")
        last = match.end()
    out.append(text[last:].replace("%", "%%"))
    return "".join(out)


def _template_messages(path: Path):
    source = path.read_text(encoding="utf-8")
    for match in _TEMPLATE_TRANSLATE.finditer(source):
        context = _TEMPLATE_CONTEXT.search(match.group("rest"))
        line = source.count("\n", 0, match.start()) + 1
        yield (context.group("ctx") if context else None), match.group("msgid").replace("%", "%%"), f"{path.relative_to(ROOT)}:{line}"
    for match in _TEMPLATE_BLOCK.finditer(source):
        args = match.group("args")
        context = _TEMPLATE_CONTEXT.search(args)
        trimmed = re.search(r"\btrimmed\b", args) is not None
        singular = _TEMPLATE_PLURAL.split(match.group("body"))[0]
        line = source.count("\n", 0, match.start()) + 1
        yield (context.group("ctx") if context else None), _block_text(singular, trimmed), f"{path.relative_to(ROOT)}:{line}"


def source_messages() -> list[tuple[str | None, str, str]]:
    found = []
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py":
                found.extend(_python_messages(path))
            elif path.suffix in (".html", ".txt", ".ics", ".xml"):
                found.extend(_template_messages(path))
    return found


def test_the_source_scan_finds_the_strings_we_know_of():
    keys = {(context, msgid) for context, msgid, _where in source_messages()}
    assert (None, "Sign in") in keys  # {% translate %} in a template
    assert (None, "Half-year summaries") in keys  # gettext_lazy in Python
    assert len(keys) > 500


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_wrapped_in_the_source_has_a_translation(language):
    translated = {entry.key for entry in live_entries(language) if entry.msgstr and all(entry.msgstr.values())}
    missing = sorted({f"{where}: {msgid!r}" for context, msgid, where in source_messages() if (context, msgid) not in translated})
    assert missing == [], (
        f"{len(missing)} wrapped strings are not in the {language} catalogue (run makemessages and translate): "
        + "; ".join(missing[:15])
    )


# --- at run time --------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _product_default_language(_english_unless_a_test_asks, settings):
    """tests/conftest.py makes other tests speak English; here the product's own default holds."""
    import config.settings as project_settings

    settings.LANGUAGE_CODE = project_settings.LANGUAGE_CODE
    with translation.override(None):
        yield


def test_the_product_speaks_german_by_default():
    import config.settings as project_settings

    assert project_settings.LANGUAGE_CODE == "de"
    assert [code for code, _name in project_settings.LANGUAGES] == ["de", "da", "en"]


@pytest.mark.parametrize(("language", "expected"), [
    ("de", ["Anmelden", "Fall", "Schweigepflichtentbindungen", "Vereinbarungen", "Halbjahresberichte"]),
    ("da", ["Log ind", "Sag", "Samtykker", "Aftaler", "Halvårsrapporter"]),
    ("en", ["Sign in", "Case", "Consents", "Agreed actions", "Half-year summaries"]),
])
def test_django_serves_the_translations_at_run_time(language, expected):
    with translation.override(language):
        got = [translation.gettext(msgid) for msgid in ("Sign in", "Case", "Consents", "Agreed actions", "Half-year summaries")]
    assert got == expected


def test_plural_forms_follow_the_count():
    with translation.override("de"):
        one = translation.ngettext("%(counter)s member", "%(counter)s members", 1) % {"counter": 1}
        many = translation.ngettext("%(counter)s member", "%(counter)s members", 3) % {"counter": 3}
    assert (one, many) == ("1 Mitglied", "3 Mitglieder")
    with translation.override("da"):
        many = translation.ngettext("%(counter)s action is overdue.", "%(counter)s actions are overdue.", 2) % {"counter": 2}
    assert many == "2 aftaler er overskredet."


def test_login_page_is_german_by_default(client):
    response = client.get(reverse("account_login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de">' in html
    assert "Anmelden" in html
    assert "Passwort vergessen?" in html


def test_login_page_follows_the_browser_language(client):
    html = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<html lang="da">' in html
    assert "Log ind" in html
    assert "Glemt din adgangskode?" in html


def test_language_switch_changes_the_language_of_the_next_page(client):
    login_url = reverse("account_login")
    response = client.post(reverse("set_language"), {"language": "da", "next": login_url})
    assert response.status_code == 302
    assert response["Location"] == login_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "da"
    html = client.get(login_url).content.decode()
    assert "Log ind" in html and "Anmelden" not in html

    client.post(reverse("set_language"), {"language": "en", "next": login_url})
    html = client.get(login_url).content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html and "Log ind" not in html


def test_language_switch_refuses_an_unknown_language(client):
    client.post(reverse("set_language"), {"language": "xx", "next": reverse("account_login")})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert "Anmelden" in client.get(reverse("account_login")).content.decode()


@pytest.mark.django_db
def test_signed_in_pages_use_the_chosen_language(client):
    from tests.world import make_user

    client.force_login(make_user("sprog"))
    client.post(reverse("set_language"), {"language": "da", "next": "/"})
    html = client.get(reverse("dashboard"), follow=True).content.decode()
    assert "Oversigt" in html and "Log ud" in html
    assert "Übersicht" not in html


_INFORMAL = re.compile(r"\b(du|dein\w*|dich|dir|bist|hast|kannst|möchtest|willst|gib|melde|bestätige)\b", re.IGNORECASE)


def test_german_addresses_people_formally_also_in_texts_that_come_from_allauth():
    """Every allauth text whose own German catalogue says "du" reads formally here (the project's
    ``locale_formal`` wins over allauth's catalogue), also of features not switched on today, so
    that switching one on does not bring "du" back."""
    _, entries = read_po(Path(allauth.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po")
    informal = []
    with translation.override("de"):
        for entry in entries:
            if entry.obsolete or entry.msgid_plural or not _INFORMAL.search(entry.msgstr.get(0, "")):
                continue
            shown = translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else translation.gettext(entry.msgid)
            if _INFORMAL.search(shown):
                informal.append(f"{entry.msgid!r} -> {shown!r}")
    assert informal == []


_AWKWARD_DANISH = re.compile(r"\bpassword|succes", re.IGNORECASE)


def _words(text: str) -> str:
    return re.sub(r"%\(\w+\)s", "", text)  # placeholders such as %(password_reset_url)s are no words


def test_danish_texts_that_come_from_allauth_read_naturally_and_say_adgangskode():
    """allauth's Danish catalogue translates word for word ("Loggede succesfuldt ind med …",
    "Password ændret med success.") and says "password" and "email" where the product says
    "adgangskode" and "e-mail"; ``locale_formal/da`` overrides what a person meets when she signs
    in, out, or resets or changes her password, so no such text shows through."""
    _, entries = read_po(Path(allauth.__file__).parent / "locale" / "da" / "LC_MESSAGES" / "django.po")
    shown_texts = {
        "Successfully signed in as %(name)s.": "Du er nu logget ind som %(name)s.",
        "Password successfully changed.": "Din adgangskode er ændret.",
        "Username or email": "Brugernavn eller e-mail",
    }
    awkward = []
    with translation.override("da"):
        for msgid, natural in shown_texts.items():
            assert translation.gettext(msgid) == natural
        for entry in entries:
            if entry.obsolete or entry.msgid_plural or not _AWKWARD_DANISH.search(_words(entry.msgstr.get(0, ""))):
                continue
            shown = translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else translation.gettext(entry.msgid)
            if _AWKWARD_DANISH.search(_words(shown)):
                awkward.append(f"{entry.msgid!r} -> {shown!r}")
    assert awkward == []


@pytest.mark.django_db
def test_danish_sign_in_says_so_in_natural_danish(client):
    make_user("dansk")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    response = client.post(reverse("account_login"), {"login": "dansk", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Du er nu logget ind som" in page
    assert "succesfuldt" not in page
