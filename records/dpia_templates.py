"""The two structures of the data-protection impact assessment (GDPR Art. 35), and the text each
section starts with, pre-filled from the same facts as the record of processing activities.

Sources of the structures (looked up, not invented):

* Germany — Datenschutzkonferenz (DSK), Kurzpapier Nr. 5 "Datenschutz-Folgenabschätzung nach
  Art. 35 DS-GVO" (https://www.datenschutzkonferenz-online.de/media/kp/dsk_kpnr_5.pdf), whose
  recommended procedure has four phases: Vorbereitung (DSFA-Team, Prüfplanung, Prüfumfang,
  Akteure und betroffene Personen, Notwendigkeit und Verhältnismäßigkeit, Rechtsgrundlagen),
  Durchführung (Risikoquellen, Risikobeurteilung, Abhilfemaßnahmen, DSFA-Bericht), Umsetzung
  (Umsetzung und Test der Abhilfemaßnahmen, Nachweis, Freigabe) and Überprüfung (Audit,
  Fortschreibung; Art. 36 consultation when a high residual risk remains). The phases and steps
  were taken from the summary of the DSK's recommendation at
  https://www.neucon.de/datenschutz/die-datenschutz-folgenabschaetzung ("Hinweise der
  Datenschutzkonferenz"); the DSK PDF itself was not reachable from here — check the section
  titles against it before relying on them. Re-checked on 2 Dec 2026 in the stored public pages:
  neither the Kurzpapier's own text nor the DSFA chapter of the Standard-Datenschutzmodell is held
  (only SDM title pages and tables of contents, e.g. v2.0b on fdokument.com and v2.0 on
  wiki.datenschutz-maximum.de, which list no DSFA procedure); the neucon.de summary was read again and
  its 16 steps map onto the ten sections below without gap (Vorbereitung 1–6 → sections 1–5,
  Durchführung 1–3 → 6–8 with the report being this document, Umsetzung 1–4 → 9, Überprüfung 1–2 and
  the Art. 36 consultation → 10).
* Denmark — Datatilsynet / Justitsministeriet, vejledning "Konsekvensanalyse" (marts 2018),
  chapter 6.1 "Minimumskrav" (table of contents read from a copy of the guidance at
  https://vdocuments.mx/konsekvensanalyse-datatilsynet-2018-04-10-…; Art. 35(7)(a)–(d): systematisk beskrivelse, nødvendighed og
  proportionalitet, risici for de registrerede, foranstaltninger), and Datatilsynet's page
  https://www.datatilsynet.dk/hvad-siger-reglerne/vejledning/sikkerhed/konsekvensanalyse/konsekvensanalyser
  (the process includes the data subjects' views, the DPO's advice and prior consultation of
  Datatilsynet when a high risk remains). Datatilsynet published two templates on 22 May 2024, a
  generic one and one for AI ("Nye skabeloner til gennemførelse af konsekvensanalyser",
  https://www.datatilsynet.dk/presse-og-nyheder/nyhedsarkiv/2024/maj/nye-skabeloner-til-gennemfoerelse-af-konsekvensanalyser);
  the announcement was read, but the generic template's own sections are not held in the stored
  pages, so the sections below still follow the 2018 guidance's minimum content (6.1) and process.
  An officer filing in Denmark should compare them with that template.

Each document is written in its own language (the German one in German, formal; the Danish one in
Danish) whatever the reader's interface language: it is the document the officer files.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from django.utils import translation

from records import present
from records.models import DpiaTemplate

LANGUAGE = {DpiaTemplate.DSK: "de", DpiaTemplate.DATATILSYNET: "da"}


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    phase: str
    prefill: Callable[[dict[str, Any]], str]


# --- the risks the service mitigates, and what remains for the officer to assess -------------

RISKS = [
    {
        "de": "Offenlegung von Gesundheits- und Kinderschutzinformationen an Fallbeteiligte, die sie nicht erhalten dürfen",
        "da": "Videregivelse af helbreds- og børnebeskyttelsesoplysninger til deltagere, der ikke må modtage dem",
        "measures": ["access_policy", "audit_hmac_chain"],
        "de_how": "Jeder Lesezugriff wird zur Lesezeit gegen Fallteam, Einwilligung (Kategorie, Stelle, Zeitraum, Widerruf) und erfasste Rechtsgrundlage geprüft; ein Widerruf wirkt sofort auf Seite, Schnittstelle, Live-Kanal und Kalender-Feed.",
        "da_how": "Hver læsning kontrolleres på læsetidspunktet mod sagens team, samtykket (kategori, organisation, periode, tilbagekaldelse) og det registrerede retsgrundlag; en tilbagekaldelse virker straks på side, API, live-kanal og kalender-feed.",
        "de_rest": "Fehlerhaft erfasste Einwilligungen oder Rechtsgrundlagen; Weitergabe durch berechtigte Personen außerhalb des Dienstes.",
        "da_rest": "Fejlagtigt registrerede samtykker eller retsgrundlag; videregivelse uden for tjenesten foretaget af personer med adgang.",
    },
    {
        "de": "Kenntnisnahme von Fallinhalten durch technische Administratoren ohne Erforderlichkeit (§ 203 StGB)",
        "da": "Teknisk administrators adgang til sagsindhold uden saglig grund",
        "measures": ["admin_separation", "audit_hmac_chain"],
        "de_how": "Administrationskonten halten keine Mitgliedschaft und keine Rolle; Fallinhalte sind in der Administration nicht erreichbar; jede Änderung der Administration wird im Protokoll der Datenschutzbeauftragten angezeigt.",
        "da_how": "Administratorkonti har intet medlemskab og ingen rolle; sagsindhold kan ikke nås fra administrationen; hver ændring foretaget af administrationen vises i databeskyttelsesrådgiverens log.",
        "de_rest": "Direkter Zugriff auf Datenbank oder Sicherungen durch Betriebspersonal des Hosters.",
        "da_rest": "Direkte adgang til database eller sikkerhedskopier for driftspersonale hos hostingleverandøren.",
    },
    {
        "de": "Übernahme eines Kontos (erratenes oder abgegriffenes Passwort)",
        "da": "Overtagelse af en konto (gættet eller stjålet adgangskode)",
        "measures": ["mfa_professionals", "mfa_parents_and_board", "mfa_secrets_encrypted", "session_limits", "https_only"],
        "de_how": "Zweiter Faktor, verschlüsselt gespeicherte Geheimnisse, Begrenzung der Anmeldeversuche, befristete Sitzungen, die auch offene Live-Verbindungen beenden.",
        "da_how": "Anden faktor, krypteret opbevarede hemmeligheder, begrænsning af loginforsøg, tidsbegrænsede sessioner, der også lukker åbne live-forbindelser.",
        "de_rest": "Ungesicherte Endgeräte der Nutzenden; Eltern und Gremienmitglieder ohne zweiten Faktor, wo der Verbund ihn nicht verlangt.",
        "da_rest": "Usikrede enheder hos brugerne; forældre og medlemmer af samarbejdsforum uden anden faktor, hvor samarbejdet ikke kræver den.",
    },
    {
        "de": "Unbemerkte Veränderung oder Löschung von Protokollen und Zugriffsnachweisen",
        "da": "Ubemærket ændring eller sletning af referater og adgangslog",
        "measures": ["audit_hmac_chain", "audit_anchors"],
        "de_how": "Protokolle werden nach Abschluss gesperrt und nur durch Nachträge berichtigt; die Zugriffsnachweise bilden je Fall eine mit geheimem Schlüssel gesicherte Hash-Kette, deren Stand regelmäßig signiert außerhalb der Datenbank verankert wird.",
        "da_how": "Referater låses ved afslutning og rettes kun ved tilføjelser; adgangsloggen udgør pr. sag en hashkæde sikret med en hemmelig nøgle, hvis tilstand jævnligt forankres signeret uden for databasen.",
        "de_rest": "Verlust des Prüfschlüssels; Verankerung in einem Verzeichnis, das die Datenbanknutzerin selbst ändern kann.",
        "da_rest": "Tab af nøglen; forankring i en mappe, som databasebrugeren selv kan ændre.",
    },
    {
        "de": "Rückschluss auf Familien über Kalender, Benachrichtigungen und Berichte",
        "da": "Identifikation af familier via kalender, beskeder og rapporter",
        "measures": ["pseudonymous_cases", "feed_detail"],
        "de_how": "Fälle tragen nur ein Pseudonym; Kalender-Feeds und E-Mails nennen weder Namen noch Inhalte; das Kooperationsgremium sieht nur anonymisierte Zahlen mit Unterdrückung kleiner Werte.",
        "da_how": "Sager har kun en pseudonym reference; kalender-feeds og e-mails nævner hverken navne eller indhold; samarbejdsforum ser kun anonymiserede tal, hvor små tal undertrykkes.",
        "de_rest": "Zusatzwissen Einzelner in kleinen Gemeinden.",
        "da_rest": "Enkeltpersoners forhåndsviden i små kommuner.",
    },
    {
        "de": "Aufbewahrung über die erforderliche Dauer hinaus, oder Löschung während eines laufenden Verfahrens",
        "da": "Opbevaring ud over det nødvendige, eller sletning under en igangværende sag",
        "measures": ["retention_erasure", "legal_holds"],
        "de_how": "Geschlossene Fälle werden nach der eingestellten Frist täglich automatisch gelöscht; eine Aufbewahrungssperre (Gericht, § 8a-Verfahren, Beschwerde) hält einen Fall bis zu ihrer Aufhebung zurück.",
        "da_how": "Lukkede sager slettes automatisk dagligt efter den indstillede frist; en tilbageholdelse (retssag, børnesag, klage) holder en sag tilbage, indtil den ophæves.",
        "de_rest": "Angemessenheit der eingestellten Fristen je Stelle; Kopien außerhalb des Dienstes (Ausdrucke, Downloads).",
        "da_rest": "Om de indstillede frister passer for hver organisation; kopier uden for tjenesten (udskrifter, downloads).",
    },
]


def _in(language: str, fn: Callable[[], str]) -> str:
    with translation.override(language):
        return fn()


def _bullets(lines) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- –"


def _table_lines(content: dict[str, Any], key: str) -> list[str]:
    for section in present.record_sections(content):
        if section.key == key and key == "recipients":
            # Counts mean nothing without their column: "Consents: 2; Other legal bases: 0".
            return ["; ".join([row[0]] + [f"{column}: {cell}" for column, cell in zip(section.columns[1:], row[1:]) if cell not in ("", "–")])
                    for row in section.rows]
        if section.key == key:
            return ["; ".join(cell for cell in row if cell) for row in section.rows]
    return []


def _measure_lines(content: dict[str, Any], codes: list[str] | None = None) -> list[str]:
    return [f"{present.MEASURE_LABELS[m['code']]}: {present._measure_value(m)}"
            for m in content["measures"] if codes is None or m["code"] in codes]


# --- German: DSK ----------------------------------------------------------------------------

def _de_team(c):
    return ("Verantwortliche Stellen (gemeinsam Verantwortliche im Kooperationsverbund "
            f"„{c['network']['name']}“):\n{_bullets(_table_lines(c, 'controllers'))}\n\n"
            f"Datenschutzbeauftragte des Verbunds:\n{_bullets(c['officers'])}\n\n"
            "Zu ergänzen durch die Datenschutzbeauftragte: Mitglieder des DSFA-Teams (Fachbereiche, IT, "
            "Vertretung der Betroffenen), Zeitplan der Prüfung.")


def _de_scope(c):
    return ("Gegenstand: die Koordination von Beteiligtenkonferenzen für Familien mit elterlichem Suchtmittelkonsum "
            "mit dem Dienst Fallkonferenz.\n\n"
            f"Zwecke:\n{_bullets(_table_lines(c, 'purposes'))}\n\n"
            f"Datenkategorien:\n{_bullets(_table_lines(c, 'data'))}\n\n"
            f"Empfänger (Einwilligungen und Rechtsgrundlagen in Kraft, Anzahl je Stelle):\n{_bullets(_table_lines(c, 'recipients'))}\n\n"
            f"Auftragsverarbeiter:\n{_bullets(_table_lines(c, 'processors'))}\n\n"
            f"Speicherdauer:\n{_bullets(_table_lines(c, 'retention'))}")


def _de_actors(c):
    return (f"Beteiligte Stellen und ihre Rollen:\n{_bullets(_table_lines(c, 'controllers'))}\n\n"
            f"Betroffene Personen:\n{_bullets(_table_lines(c, 'subjects'))}\n\n"
            "Besonders schutzbedürftig: Kinder, ungeborene Kinder und Eltern in einer Suchterkrankung; verarbeitet werden "
            "Gesundheitsdaten und Daten des Kinderschutzes (Art. 9 DS-GVO).\n\n"
            "Zu ergänzen: wie die Sicht der Betroffenen oder ihrer Vertretungen eingeholt wurde (Art. 35 Abs. 9 DS-GVO).")


def _de_necessity(c):
    return ("Die Verarbeitung beschränkt sich auf das für die Konferenz Erforderliche:\n"
            "- Fälle tragen ein Pseudonym; Familienmitglieder werden nur mit Vornamen oder Initialen erfasst.\n"
            "- Informationen aus einer Stelle werden anderen Stellen nur je Kategorie, Empfänger und Zeitraum aufgrund einer "
            "Einwilligung der Person, die sie anvertraut hat, oder einer Rechtsgrundlage aus einer festen Liste offenbart.\n"
            "- Eltern nehmen teil, sehen die für sie bestimmten Protokollpunkte und können ihre Zugriffsnachweise selbst abrufen.\n"
            "- Das Kooperationsgremium erhält nur anonymisierte Zahlen.\n"
            f"- Speicherdauer:\n{_bullets(_table_lines(c, 'retention'))}\n\n"
            "Zu bewerten durch die Datenschutzbeauftragte: ob der Zweck mit milderen Mitteln (z. B. ohne gemeinsamen Dienst) "
            "gleich wirksam erreichbar wäre.")


def _de_legal(c):
    return (f"Rechtsgrundlagen der Offenbarung, im Verbund tatsächlich verwendet:\n{_bullets(_table_lines(c, 'legal_bases'))}\n\n"
            "Zu ergänzen je verantwortlicher Stelle: die Rechtsgrundlagen der Verarbeitung nach Art. 6 und Art. 9 DS-GVO "
            "und dem jeweiligen Fachrecht (SGB VIII, SGB X, KKG, Berufsrecht).")


def _de_sources(c):
    return _bullets([risk["de"] for risk in RISKS])


def _de_assessment(c):
    return ("Schwere eines Schadens: hoch für alle genannten Risiken (besondere Kategorien, Kinderschutz, "
            "mögliche Stigmatisierung und Folgen für das Sorgerecht).\n\n"
            + "\n".join(f"- {risk['de']}: Eintrittswahrscheinlichkeit nach den Maßnahmen – von der Datenschutzbeauftragten zu bewerten."
                        for risk in RISKS))


def _de_measures(c):
    by_code = {m["code"]: m for m in c["measures"]}
    blocks = []
    for risk in RISKS:
        enforced = _bullets(f"{present.MEASURE_LABELS[code]}: {present._measure_value(by_code[code])}" for code in risk["measures"])
        blocks.append(f"{risk['de']}\n{risk['de_how']}\nDurchgesetzt:\n{enforced}")
    return "\n\n".join(blocks)


def _de_implementation(c):
    return ("Die Maßnahmen sind im Dienst umgesetzt und werden durch automatisierte Tests geprüft (u. a. eine "
            "Berechtigungsmatrix: jede Rolle gegen jede Seite, Schnittstelle, Live-Verbindung und jeden Feed).\n"
            f"Stand der Maßnahmen laut Verzeichnis:\n{_bullets(_measure_lines(c))}\n\n"
            "Zu ergänzen: Freigabe der Verarbeitung durch (Name, Funktion, Datum).")


def _de_review(c):
    return ("Restrisiken, von der Datenschutzbeauftragten zu bewerten:\n"
            + _bullets(risk["de_rest"] for risk in RISKS)
            + "\n\nVerbleibt ein hohes Restrisiko, ist vor Beginn der Verarbeitung die Aufsichtsbehörde zu konsultieren "
              "(Art. 36 DS-GVO).\n\nÜberprüfung: bei jeder neuen Fassung des Verzeichnisses von Verarbeitungstätigkeiten, "
              "spätestens jährlich. Nächster Termin: zu ergänzen.")


# --- Danish: Datatilsynet -------------------------------------------------------------------

def _da_description(c):
    return (f"Behandlingen: koordinering af netværksmøder for familier, hvor en forælder bruger alkohol eller stoffer, i "
            f"samarbejdet »{c['network']['name']}« med tjenesten Fallkonferenz.\n\n"
            f"Dataansvarlige:\n{_bullets(_table_lines(c, 'controllers'))}\n\n"
            f"Formål:\n{_bullets(_table_lines(c, 'purposes'))}\n\n"
            f"Registrerede:\n{_bullets(_table_lines(c, 'subjects'))}\n\n"
            f"Oplysninger:\n{_bullets(_table_lines(c, 'data'))}\n\n"
            f"Modtagere (samtykker og retsgrundlag i kraft, antal pr. organisation):\n{_bullets(_table_lines(c, 'recipients'))}\n\n"
            f"Databehandlere:\n{_bullets(_table_lines(c, 'processors'))}\n\n"
            f"Opbevaring:\n{_bullets(_table_lines(c, 'retention'))}")


def _da_necessity(c):
    return ("Behandlingen er begrænset til det, mødet kræver:\n"
            "- Sager har en pseudonym reference; familiemedlemmer registreres kun med fornavn eller initialer.\n"
            "- Oplysninger fra én organisation videregives kun pr. kategori, modtager og periode på grundlag af samtykke fra "
            "den, der har betroet dem, eller et retsgrundlag fra en fast liste.\n"
            f"- Retsgrundlag i brug:\n{_bullets(_table_lines(c, 'legal_bases'))}\n"
            "- Forældre deltager, ser de punkter, der er til dem, og kan selv hente deres adgangslog.\n"
            "- Samarbejdsforum får kun anonymiserede tal.\n\n"
            "Vurderes af databeskyttelsesrådgiveren: om formålet kan nås lige så effektivt på en mindre indgribende måde.")


def _da_risks(c):
    return ("Konsekvens for de registrerede: høj for alle risici (følsomme oplysninger, børn, mulig stigmatisering).\n\n"
            + "\n".join(f"- {risk['da']}: sandsynlighed efter foranstaltningerne – vurderes af databeskyttelsesrådgiveren."
                        for risk in RISKS))


def _da_measures(c):
    by_code = {m["code"]: m for m in c["measures"]}
    blocks = []
    for risk in RISKS:
        enforced = _bullets(f"{present.MEASURE_LABELS[code]}: {present._measure_value(by_code[code])}" for code in risk["measures"])
        blocks.append(f"{risk['da']}\n{risk['da_how']}\nGennemført:\n{enforced}")
    return "\n\n".join(blocks)


def _da_views(c):
    return ("Udfyldes: hvordan de registreredes eller deres repræsentanters synspunkter er indhentet (art. 35, stk. 9), "
            "og hvad de førte til.")


def _da_dpo(c):
    return (f"Databeskyttelsesrådgiver:\n{_bullets(c['officers'])}\n\n"
            "Udfyldes: databeskyttelsesrådgiverens rådgivning og om den er fulgt (art. 35, stk. 2).")


def _da_residual(c):
    return ("Restrisici, vurderes af databeskyttelsesrådgiveren:\n"
            + _bullets(risk["da_rest"] for risk in RISKS)
            + "\n\nHvis en høj risiko består trods foranstaltningerne, skal Datatilsynet høres, før behandlingen begynder "
              "(art. 36).\n\nRevision: ved hver ny version af fortegnelsen over behandlingsaktiviteter, mindst én gang om året.")


TEMPLATES: dict[str, list[SectionSpec]] = {
    DpiaTemplate.DSK: [
        SectionSpec("team", "1. DSFA-Team, Prüfplanung und Verantwortliche", "Vorbereitung", _de_team),
        SectionSpec("scope", "2. Prüfumfang: systematische Beschreibung der Verarbeitung", "Vorbereitung", _de_scope),
        SectionSpec("actors", "3. Akteure und betroffene Personen", "Vorbereitung", _de_actors),
        SectionSpec("necessity", "4. Notwendigkeit und Verhältnismäßigkeit", "Vorbereitung", _de_necessity),
        SectionSpec("legal", "5. Rechtsgrundlagen", "Vorbereitung", _de_legal),
        SectionSpec("sources", "6. Risikoquellen", "Durchführung", _de_sources),
        SectionSpec("assessment", "7. Risikobeurteilung", "Durchführung", _de_assessment),
        SectionSpec("measures", "8. Abhilfemaßnahmen", "Durchführung", _de_measures),
        SectionSpec("implementation", "9. Umsetzung, Test und Freigabe", "Umsetzung", _de_implementation),
        SectionSpec("review", "10. Restrisiko, Überprüfung und Fortschreibung", "Überprüfung", _de_review),
    ],
    DpiaTemplate.DATATILSYNET: [
        SectionSpec("description", "1. Systematisk beskrivelse af behandlingen og dens formål", "Art. 35, stk. 7, litra a", _da_description),
        SectionSpec("necessity", "2. Vurdering af nødvendighed og proportionalitet", "Art. 35, stk. 7, litra b", _da_necessity),
        SectionSpec("risks", "3. Vurdering af risici for de registreredes rettigheder", "Art. 35, stk. 7, litra c", _da_risks),
        SectionSpec("measures", "4. Foranstaltninger til håndtering af risiciene", "Art. 35, stk. 7, litra d", _da_measures),
        SectionSpec("views", "5. De registreredes synspunkter", "Art. 35, stk. 9", _da_views),
        SectionSpec("dpo", "6. Databeskyttelsesrådgiverens rådgivning", "Art. 35, stk. 2", _da_dpo),
        SectionSpec("residual", "7. Restrisiko og forudgående høring af Datatilsynet", "Art. 36", _da_residual),
    ],
}
DOCUMENT_TITLE = {
    DpiaTemplate.DSK: "Datenschutz-Folgenabschätzung nach Art. 35 DS-GVO",
    DpiaTemplate.DATATILSYNET: "Konsekvensanalyse vedrørende databeskyttelse (art. 35)",
}


def section_keys(template: str) -> list[str]:
    return [spec.key for spec in TEMPLATES.get(template, [])]


def section_spec(template: str, key: str) -> SectionSpec | None:
    return next((spec for spec in TEMPLATES.get(template, []) if spec.key == key), None)


def prefill(template: str, key: str, content: dict[str, Any]) -> str:
    """The section's starting text from the record's facts, in the document's language."""
    spec = section_spec(template, key)
    return _in(LANGUAGE[template], lambda: spec.prefill(content))
