"""``manage.py seed_offers_demo`` (called by ``seed_demo``): the directory, the central case
managers, referrals, tracks and a residential treatment offer for the demo networks.

Idempotent like ``seed_demo``: rows are found by natural keys and only created when missing; the
enrolments of a track are created only while it has none. Families are pseudonymous (initials
only). The board's partnership figures show ended years only, counting completion, places
occupied and the waiting list as at 31 December (``offers.figures``): so the enrolments and the
residential treatment's admissions reach back over the whole of the last ended year, and the
Heinsberg sponsorship track has a year of families too (for ``board.mueller``)."""
from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, no_translations
from django.db import transaction
from django.utils import timezone

from offers import figures
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers.models import CentralCaseManager, Enrolment, Offer, Referral, Session, SupportMessage, SupportRequest, pack_codes
from participants.models import Country, Membership, Network, Organisation, OrganisationKind as Kind, ProfessionalRole as PR, User
from permissions.audit import Channel

JENA = dict(slug="jena", name="Netzwerk Jena (clean4us)", country=Country.GERMANY, time_zone="Europe/Berlin", case_reference_prefix="JE")
JENA_ORGS = {
    "perinatal": ("Perinatalzentrum Universitätsklinikum Jena", Kind.CLINIC),
    "gyn": ("Frauenarztpraxis Jena-Nord", Kind.GYNAECOLOGY),
    "midwife": ("Hebammenpraxis Saaletal", Kind.MIDWIFERY),
    "sucht": ("Suchtberatung Jena", Kind.ADDICTION_COUNSELLING),
    "reha": ("Rehabilitationsklinik für Mutter und Kind", Kind.RESIDENTIAL_TREATMENT),
    "ja": ("Jugendamt Jena", Kind.YOUTH_WELFARE),
    "fh": ("Frühe Hilfen Jena", Kind.EARLY_HELP),
}
JENA_PEOPLE = {  # username: (first, last, org key, role)
    "katrin.vogt": ("Katrin", "Vogt", "perinatal", PR.CASE_MANAGER),
    "hebamme.jena": ("Maria", "Keller", "midwife", PR.MIDWIFE),
    "sucht.jena": ("Jana", "Roth", "sucht", PR.COUNSELLOR),
    "fh.jena": ("Lisa", "Brandt", "fh", PR.SOCIAL_WORKER),
}
DK_MUNICIPALITIES = ["Kolding", "Vejle", "Odense", "Esbjerg", "Svendborg", "Sønderborg", "Aabenraa", "Haderslev", "Fredericia", "Middelfart"]
DK_BIRTH_SITES = ["Kolding Sygehus", "Odense Universitetshospital", "Sydvestjysk Sygehus Esbjerg", "Sygehus Sønderjylland Aabenraa"]
HS_MUNICIPALITIES = ["Heinsberg", "Erkelenz", "Geilenkirchen", "Hückelhoven"]
HS_BIRTH_SITES = ["Städtisches Krankenhaus Heinsberg", "Hermann-Josef-Krankenhaus Erkelenz"]


class Command(BaseCommand):
    help = "Create the demo directory of offers, referrals and programme tracks (safe to run again)."

    @no_translations
    def handle(self, *args, **options) -> None:
        self.created: dict[str, int] = {}
        self.today = timezone.localdate()
        self._hash = make_password(settings.DEMO_PASSWORD)
        with transaction.atomic():
            self.seed_jena()
            self.seed_heinsberg()
            self.seed_syddanmark()
        if self.created:
            self.stdout.write("Offers demo created: " + ", ".join(f"{n} {label}" for label, n in sorted(self.created.items())) + ".")
        else:
            self.stdout.write("Offers demo already complete: nothing changed.")

    # -- helpers ------------------------------------------------------------------------------
    def _get(self, model, defaults=None, **lookup):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            label = str(model._meta.verbose_name_plural)
            self.created[label] = self.created.get(label, 0) + 1
        return obj

    def _person(self, username: str, first: str, last: str, organisation: Organisation, role: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, first_name=first, last_name=last, email=f"{username}@demo.invalid",
                                       password=self._hash)
            self.created["users"] = self.created.get("users", 0) + 1
        self._get(Membership, user=user, organisation=organisation, defaults={"role": role})
        return user

    def _offer(self, organisation: Organisation, name: str, **values) -> Offer:
        for key in ("languages", "target_groups"):
            if isinstance(values.get(key), list):
                values[key] = pack_codes(values[key])
        return self._get(Offer, organisation=organisation, name=name, defaults=values)

    # -- Jena -----------------------------------------------------------------------------------
    def seed_jena(self) -> None:
        values = dict(JENA)
        network = self._get(Network, slug=values.pop("slug"), defaults=values)
        orgs = {key: self._get(Organisation, network=network, name=name, defaults={"kind": kind, "municipality": "Jena"})
                for key, (name, kind) in JENA_ORGS.items()}
        people = {u: self._person(u, first, last, orgs[org], role) for u, (first, last, org, role) in JENA_PEOPLE.items()}
        self._get(CentralCaseManager, network=network, user=people["katrin.vogt"], defaults={"organisation": orgs["perinatal"]})
        self._offer(orgs["fh"], "Kontaktcafé für Schwangere und junge Mütter", visibility="public", anonymous_contact=True,
                    accepts_contact_requests=True, description="Offenes Café ohne Anmeldung: ankommen, Kaffee trinken, Fragen stellen – "
                    "auch anonym. Eine Sozialpädagogin und eine Hebamme sind da.", target_groups=["pregnant", "young_parents"],
                    languages=["de", "en", "ar"], address="Familienzentrum, Löbdergraben 12, 07743 Jena", municipalities="Jena, Saale-Holzland-Kreis",
                    postcodes=",07743,07745,07747,", opening_hours="Di und Do 9:30–12:00 Uhr", directions="Straßenbahn 1, 4, 5: Haltestelle Holzmarkt",
                    accessibility="Ebenerdig, Kinderwagen-Stellplatz, barrierefreies WC", contact_phone="03641 123450")
        self._offer(orgs["sucht"], "Suchtberatung für Schwangere und Eltern", visibility="public", anonymous_contact=True,
                    accepts_contact_requests=True, description="Vertrauliche Beratung bei Alkohol, Drogen oder Medikamenten in der Schwangerschaft "
                    "und mit kleinen Kindern – auf Wunsch anonym, kostenlos, mit Schweigepflicht.", target_groups=["pregnant", "substance_use", "relatives"],
                    languages=["de", "ru", "uk"], address="Lutherstraße 5, 07743 Jena", municipalities="Jena", postcodes=",07743,07745,",
                    opening_hours="Mo–Fr 9–16 Uhr, Do bis 18 Uhr", contact_phone="03641 123460", capacity=12, capacity_unit="concurrent")
        self._offer(orgs["reha"], "Stationäre Entwöhnung für Mutter und Kind", visibility="network", description="Stationäre Behandlung mit "
                    "Aufnahme des Kindes; Schwangere werden vorrangig aufgenommen.", target_groups=["pregnant", "substance_use"], languages=["de"],
                    municipalities="Thüringen", capacity=8, capacity_unit="concurrent", availability="waitlist", expected_wait_weeks=6,
                    is_residential_treatment=True)
        request = SupportRequest.objects.filter(network=network, sender=people["hebamme.jena"], kind="consultation").first()
        if request is None:
            request = self._get(SupportRequest, network=network, kind="consultation", sender=people["hebamme.jena"],
                                sender_organisation=orgs["midwife"], case_manager=people["katrin.vogt"],
                                situation="Eine Schwangere (24. SSW) erzählt von Cannabis am Abend. Wie spreche ich das an, ohne sie zu verlieren?")
            SupportMessage.objects.create(request=request, author=people["hebamme.jena"], text=request.situation)
        self._jena_referral_that_became_a_case(network, orgs, people)

    def _jena_referral_that_became_a_case(self, network: Network, orgs: dict, people: dict) -> None:
        """The midwife refers a client with consent; the case manager refers her on to the
        addiction counselling, which accepts; the case manager opens a case from the request
        (the midwife joins, as the consent allows) and the counsellor joins the case through the
        referral. Through the services, so that audit trail and notifications are as in real use;
        skipped once the request exists."""
        midwife, manager, counsellor = people["hebamme.jena"], people["katrin.vogt"], people["sucht.jena"]
        if SupportRequest.objects.filter(network=network, sender=midwife, kind="referral", client_label="L. M.").exists():
            return
        consent_on = self.today - dt.timedelta(days=12)
        role = CentralCaseManager.objects.get(network=network, user=manager)
        request = rs.support_request_send(
            midwife, case_manager=role, sender_organisation=orgs["midwife"], kind="referral", client_label="L. M.",
            situation="Schwangere in der 18. SSW, trinkt nach eigenen Angaben täglich; möchte Hilfe, hat Angst vor dem Jugendamt.",
            asked_for="Suchtberatung und Begleitung bis zur Geburt", consent_reference="JE-EV-2026-031", consent_given_on=consent_on,
            consent_sender_sees_content=True, consent_sender_on_team=True, channel=Channel.COMMAND)
        offer = Offer.objects.get(organisation=orgs["sucht"], name="Suchtberatung für Schwangere und Eltern")
        referral = rs.referral_create(manager, offer=offer, support_request=request, municipality="Jena",
                                      note="Erstgespräch bitte zeitnah, gern gemeinsam mit der Hebamme.", channel=Channel.COMMAND)
        rs.referral_accept(counsellor, referral=referral, answer="Erstgespräch am Donnerstag möglich.", channel=Channel.COMMAND)
        case = rs.support_request_open_case(manager, request=request, reference=f"JE-{self.today.year}-031", expected_child=True,
                                            channel=Channel.COMMAND)
        referral.refresh_from_db()
        rcs.referral_join_case_team(counsellor, referral=referral, consent_reference="JE-EV-2026-031-T",
                                    consent_given_on=consent_on, channel=Channel.COMMAND)
        self.created["referrals that became a case"] = 1
        self.stdout.write(f"Jena: referral {referral.pk} became case {case.reference}.")

    # -- Heinsberg: the case manager of the perinatal centre and a few offers --------------------
    def seed_heinsberg(self) -> None:
        network = Network.objects.filter(slug="kreis-heinsberg").first()
        lena = User.objects.filter(username="lena.schmitz").first()
        perinatal = Organisation.objects.filter(network=network, name="Perinatalzentrum am Kreiskrankenhaus").first()
        if not (network and lena and perinatal):
            return
        self._get(CentralCaseManager, network=network, user=lena, defaults={"organisation": perinatal})
        for org_name, name, values in [
            ("Suchtberatung im Gesundheitsamt", "Beratung für schwangere Frauen mit Suchtfragen", dict(
                visibility="public", anonymous_contact=True, accepts_contact_requests=True, capacity=2, capacity_unit="concurrent",
                description="Einzelgespräche in der Schwangerschaft, vertraulich und kostenlos.", target_groups=["pregnant", "substance_use"],
                languages=["de", "tr"], municipalities="Heinsberg, Erkelenz, Geilenkirchen, Hückelhoven", postcodes=",52525,52511,52499,",
                address="Valkenburger Straße 45, 52525 Heinsberg", contact_phone="02452 13-0", opening_hours="Mo–Fr 8–16 Uhr")),
            ("Frühe Hilfen Kreis Heinsberg", "Familienpatenschaft", dict(
                visibility="network", kind="track", planned_sessions=10, capacity=20, capacity_unit="per_year",
                description="Eine ehrenamtliche Patin begleitet die Familie im ersten Lebensjahr.", target_groups=["young_parents", "families"],
                languages=["de"], municipalities="Kreis Heinsberg")),
        ]:
            organisation = Organisation.objects.filter(network=network, name=org_name).first()
            if organisation:
                self._offer(organisation, name, **values)
        sponsorship = Offer.objects.filter(organisation__network=network, name="Familienpatenschaft").first()
        staff = User.objects.filter(username="tim.jansen").first()
        if sponsorship and staff and not sponsorship.enrolments.exists():
            self._year_of_enrolments(sponsorship, 16, staff, municipalities=HS_MUNICIPALITIES, sites=HS_BIRTH_SITES,
                                     sessions=False)

    # -- Syddanmark: three tracks, enrolments since the last ended year began, residential treatment with a waiting list
    def seed_syddanmark(self) -> None:
        network = Network.objects.filter(slug="region-syddanmark").first()
        if network is None:
            return
        mh = Organisation.objects.filter(network=network, name="Mødrehjælpen Kolding").first()
        region = Organisation.objects.filter(network=network, name="Region Syddanmark – Familieambulatoriet").first()
        birth = Organisation.objects.filter(network=network, name="Fødeafdelingen Kolding Sygehus").first()
        if not (mh and region and birth):
            return
        social = self._person("socialraadgiver.kolding", "Anne", "Poulsen", birth, PR.SOCIAL_WORKER)
        self._get(CentralCaseManager, network=network, user=social, defaults={"organisation": birth})
        staff = User.objects.filter(username="sofie.larsen").first() or social
        common = dict(visibility="public", languages=["da", "en", "ar"], municipalities=", ".join(DK_MUNICIPALITIES),
                      target_groups=["pregnant", "young_parents", "families"], contact_phone="70 10 12 12")
        two = self._offer(mh, "To rådgivningssamtaler", kind="track", planned_sessions=2, capacity=600, capacity_unit="per_year",
                          description="To samtaler om økonomi, juridisk rådgivning, samvær, parforhold og barnets trivsel.", **common)
        course = self._offer(mh, "Individuelt forløb", kind="track", planned_sessions=12, capacity=100, capacity_unit="per_year",
                             description="Et individuelt forløb gennem graviditet, fødsel og de første måneder.", **common)
        volunteers = self._offer(mh, "Frivillige tilbud", kind="track", planned_sessions=1, description="Fællesspisning, en familieven og aktiviteter "
                    "for børn i 10 kommuner.", **common)
        residential = self._offer(region, "Døgnbehandling for gravide med skadeligt rusmiddelbrug", visibility="network",
                                  description="Regionens samlede døgnbehandlingstilbud for gravide.", languages=["da"],
                                  target_groups=["pregnant", "substance_use"], municipalities="Region Syddanmark", capacity=6,
                                  capacity_unit="concurrent", availability="waitlist", expected_wait_weeks=4, is_residential_treatment=True)
        if not residential.referrals.exists():
            self._residential_history(residential, social, birth, network)
            now = timezone.now()
            for n in range(9):
                status = "in_progress" if n < 6 else "waitlisted"
                Referral.objects.create(offer=residential, referred_by=social, referred_by_organisation=birth, client_label=f"R{n + 1}",
                                        municipality=DK_MUNICIPALITIES[n % 10], status=status, created_at=now - dt.timedelta(days=60 - n * 5),
                                        accepted_at=now - dt.timedelta(days=50 - n * 5) if status != "waitlisted" else None,
                                        waitlisted_at=now - dt.timedelta(days=20 - n) if status == "waitlisted" else None)
            self.created["referrals"] = self.created.get("referrals", 0) + 9
        for track, volume in ((two, 560), (course, 92), (volunteers, 140)):
            if not track.enrolments.exists():
                self._year_of_enrolments(track, volume, staff)

    def _residential_history(self, residential: Offer, social: User, birth: Organisation, network: Network) -> None:
        """Admissions of the last ended year, so that the board's figures of that year (occupied
        and waiting as at 31 December) have something to count: four stays within the year, six
        women in treatment at its end and five waiting then, all discharged since."""
        zone = zoneinfo.ZoneInfo(network.time_zone)
        year = figures.last_ended_year(network)
        year_end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
        latest = timezone.now() - dt.timedelta(minutes=1)

        def on(month: int, day: int, plus: int = 0) -> dt.datetime:
            return dt.datetime(year, month, day, 10, tzinfo=zone) + dt.timedelta(days=plus)

        def after_year_end(days: int) -> dt.datetime:
            return max(year_end, min(year_end + dt.timedelta(days=days), latest))

        history = [dict(created_at=on(2, 1, 12 * n), accepted_at=on(2, 15, 12 * n), closed_at=on(5, 20, 12 * n)) for n in range(4)]
        history += [dict(created_at=on(9, 1, 7 * n), accepted_at=on(10, 1, 7 * n), closed_at=after_year_end(20 + 7 * n))
                    for n in range(6)]
        history += [dict(created_at=on(11, 15, n), waitlisted_at=on(11, 20, n), accepted_at=after_year_end(21 + 7 * n),
                         closed_at=after_year_end(120 + 7 * n)) for n in range(5)]
        Referral.objects.bulk_create([Referral(
            offer=residential, referred_by=social, referred_by_organisation=birth, client_label=f"R{n + 10}",
            municipality=DK_MUNICIPALITIES[n % 10], status="completed", **dates) for n, dates in enumerate(history)])
        self.created["referrals"] = self.created.get("referrals", 0) + len(history)

    def _year_of_enrolments(self, track: Offer, volume: int, staff: User, *, municipalities=DK_MUNICIPALITIES,
                            sites=DK_BIRTH_SITES, sessions: bool = True) -> None:
        """``volume`` families a year, from 1 January of the last ended year until yesterday."""
        rng = random.Random(f"{track.pk}-{track.name}")
        zone = zoneinfo.ZoneInfo(track.organisation.network.time_zone)
        days = (self.today - dt.date(figures.last_ended_year(track.organisation.network), 1, 1)).days
        enrolments = []
        for n in range(volume * days // 365):
            enrolled = self.today - dt.timedelta(days=rng.randrange(1, days + 1))
            finished = (self.today - enrolled).days > 60
            ended_early = finished and rng.random() < 0.12
            status = "ended_early" if ended_early else ("completed" if finished else "active")
            enrolments.append(Enrolment(
                offer=track, family_label=f"F{n + 1}", municipality=municipalities[rng.randrange(len(municipalities))],
                birth_site=sites[rng.randrange(len(sites))], status=status, enrolled_on=enrolled,
                ended_on=enrolled + dt.timedelta(days=rng.randrange(20, 60)) if finished else None,
                end_reason="Flyttet fra regionen" if ended_early else "", waited_days=rng.randrange(0, 30), enrolled_by=staff,
            ))
        Enrolment.objects.bulk_create(enrolments, batch_size=500)
        self.created["enrolments"] = self.created.get("enrolments", 0) + len(enrolments)
        if not sessions:
            return
        planned = []
        for enrolment in Enrolment.objects.filter(offer=track):
            for s in range(min(track.planned_sessions or 1, 2)):
                start = dt.datetime.combine(enrolment.enrolled_on + dt.timedelta(days=7 + 14 * s), dt.time(10), tzinfo=zone)
                planned.append(Session(enrolment=enrolment, staff=staff, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                                       attended=True if start < timezone.now() else None))
        Session.objects.bulk_create(planned, batch_size=1000)
