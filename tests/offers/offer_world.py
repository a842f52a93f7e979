"""Offers on top of the standing world (tests.world): who offers what, and one request,
consultation and referral, so that tests and the permission matrix read as sentences."""
from __future__ import annotations

from dataclasses import dataclass

from offers.models import CentralCaseManager, Offer, Referral, SupportMessage, SupportRequest, pack_codes
from participants.models import Membership, Organisation, OrganisationKind, ProfessionalRole, User
from tests.world import World, make_professional


@dataclass
class OfferWorld:
    perinatal: Organisation
    case_manager: User                 # central case manager of world.network (perinatal centre)
    public_offer: Offer                # counselling, public, one concurrent place, contact requests
    network_offer: Offer               # early help, network-only programme track of two sessions
    foreign_offer: Offer               # another network's public offer
    consultation: SupportRequest       # midwife -> case manager, anonymous
    support_request: SupportRequest    # midwife -> case manager, referral with consent
    referral: Referral                 # case manager -> public_offer (counselling), from support_request


def build_offer_world(world: World) -> OfferWorld:
    perinatal = Organisation.objects.create(network=world.network, name="Perinatalzentrum Test", kind=OrganisationKind.CLINIC)
    case_manager = make_professional("casemanager", perinatal, ProfessionalRole.CASE_MANAGER)
    CentralCaseManager.objects.create(network=world.network, organisation=perinatal, user=case_manager)
    public_offer = Offer.objects.create(
        organisation=world.counselling, name="Beratung für Schwangere", description="Vertrauliche Beratung.",
        target_groups=pack_codes(["pregnant", "substance_use"]), languages=pack_codes(["de", "tr"]),
        municipalities="Teststadt, Nachbarort", postcodes=",12345,", address="Hauptstraße 1, 12345 Teststadt",
        contact_phone="+49 123 4567", contact_email="beratung@example.org", opening_hours="Mo–Fr 9–16 Uhr",
        anonymous_contact=True, accepts_contact_requests=True, capacity=1, visibility=Offer.Visibility.PUBLIC,
    )
    network_offer = Offer.objects.create(
        organisation=world.early_help, name="Zwei Beratungsgespräche", description="Zwei Gespräche für werdende Familien.",
        kind=Offer.Kind.TRACK, planned_sessions=2, target_groups=pack_codes(["families"]), languages=pack_codes(["de"]),
        municipalities="Teststadt", capacity=600, capacity_unit=Offer.CapacityUnit.PER_YEAR, visibility=Offer.Visibility.NETWORK,
    )
    foreign_offer = Offer.objects.create(
        organisation=world.foreign_org, name="Familierådgivning", description="Rådgivning for gravide.",
        languages=pack_codes(["da"]), municipalities="Anderskommune", visibility=Offer.Visibility.PUBLIC,
    )
    consultation = SupportRequest.objects.create(
        network=world.network, kind=SupportRequest.Kind.CONSULTATION, sender=world.midwife,
        sender_organisation=world.midwifery, case_manager=case_manager, situation="Schwangere, 20. SSW, Alkohol – was tun?",
    )
    SupportMessage.objects.create(request=consultation, author=world.midwife, text=consultation.situation)
    support_request = SupportRequest.objects.create(
        network=world.network, kind=SupportRequest.Kind.REFERRAL, sender=world.midwife, sender_organisation=world.midwifery,
        case_manager=case_manager, situation="Braucht Suchtberatung.", asked_for="Beratung vermitteln",
        client_label="K.", consent_reference="SE-77", consent_given_on=world.consent.valid_from,
    )
    referral = Referral.objects.create(
        offer=public_offer, support_request=support_request, referred_by=case_manager, referred_by_organisation=perinatal,
        client_label="K.", note="Bitte um Erstgespräch – vertraulicher Hinweis.",
    )
    return OfferWorld(perinatal=perinatal, case_manager=case_manager, public_offer=public_offer, network_offer=network_offer,
                      foreign_offer=foreign_offer, consultation=consultation, support_request=support_request, referral=referral)
