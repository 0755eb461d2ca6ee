"""People services for each kind of actor: who may register, change, invite, export and erase whom."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from minga.core.choices import Role
from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from minga.people import services
from minga.people.models import Invitation, Membership, Person
from tests.factories.people import make_member, make_person

ACTORS_WITHOUT_REACH = ["anonymous", "member", "coordinator_b", "beta_admin"]


def codes(error: DomainError) -> set[str]:
    return {p.code for p in error.problems}


def fields(error: DomainError) -> set[str | None]:
    return {p.field for p in error.problems}


def actor(world, who):
    return AnonymousUser() if who == "anonymous" else getattr(world, who)


def kibera_member(world, **fields) -> Person:
    """A person of the Kibera group without a login, as a lead usually records them."""
    return person_in(world.kibera, full_name="Wanjiku Kamau", **{"email": "wanjiku@example.org", **fields})


def person_in(group, role=Role.MEMBER, **fields) -> Person:
    """A person without a login holding `role` in `group`."""
    person = make_person(group.collective, **fields)
    Membership.objects.create(person=person, group=group, role=role)
    return person


def dual_role_person(world) -> Person:
    """A member of Kibera who is also the coordinator of the Coast region: visible to Kibera's lead,
    but not theirs to manage."""
    person = make_member(world.kibera, Role.MEMBER, full_name="Amina Coast")
    Membership.objects.create(person=person, group=world.region_b, role=Role.COORDINATOR)
    return person


def no_name_in_audit(name: str) -> bool:
    return not any(
        name in entry.target_repr or name in str(entry.changes) for entry in AuditEntry.objects.all()
    )


class TestPersonCreate:
    def test_lead_adds_member_to_own_group(self, world):
        person = services.person_create(
            actor=world.lead,
            collective=world.alpha,
            full_name=" Baraka Otieno ",
            email="Baraka@Example.org",
            group=world.kibera,
        )
        assert person.full_name == "Baraka Otieno"
        assert person.email == "baraka@example.org"
        membership = person.memberships.get()
        assert (membership.group, membership.role) == (world.kibera, Role.MEMBER)
        assert AuditEntry.objects.for_object(person).filter(action="person.create").exists()
        assert no_name_in_audit("Baraka")

    @pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LEAD, Role.ADMIN])
    def test_lead_cannot_grant_a_role_as_high_as_their_own(self, world, role):
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.lead, collective=world.alpha, full_name="X", group=world.kibera, role=role
            )
        assert codes(error.value) == {"role_too_high"} and fields(error.value) == {"role"}
        assert not Person.objects.filter(full_name="X").exists()

    def test_coordinator_adds_lead_in_own_subtree(self, world):
        person = services.person_create(
            actor=world.coordinator_a,
            collective=world.alpha,
            full_name="New Lead",
            group=world.kibera,
            role=Role.LEAD,
        )
        assert person.memberships.get().role == Role.LEAD

    def test_coordinator_of_region_a_cannot_add_people_to_region_b(self, world):
        for group in (world.region_b, world.mombasa):
            with pytest.raises(NotFound):
                services.person_create(
                    actor=world.coordinator_a, collective=world.alpha, full_name="X", group=group
                )
        assert not Person.objects.filter(full_name="X").exists()

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_cannot_add_to_kibera(self, world, who):
        with pytest.raises(NotFound):
            services.person_create(
                actor=actor(world, who), collective=world.alpha, full_name="X", group=world.kibera
            )
        assert not Person.objects.filter(full_name="X").exists()

    @pytest.mark.parametrize("who", ["anonymous", "member", "beta_admin"])
    def test_without_a_group_strangers_get_not_found(self, world, who):
        with pytest.raises(NotFound):
            services.person_create(actor=actor(world, who), collective=world.alpha, full_name="X")

    def test_lead_must_choose_a_group(self, world):
        with pytest.raises(DomainError) as error:
            services.person_create(actor=world.lead, collective=world.alpha, full_name="X")
        assert codes(error.value) == {"group_required"} and fields(error.value) == {"group"}

    def test_admin_registers_without_a_group_and_grants_any_role(self, world):
        person = services.person_create(actor=world.admin, collective=world.alpha, full_name="Solo")
        assert not person.memberships.exists()
        coordinator = services.person_create(
            actor=world.admin,
            collective=world.alpha,
            full_name="Co",
            group=world.region_b,
            role=Role.COORDINATOR,
        )
        assert coordinator.memberships.get().role == Role.COORDINATOR

    def test_group_of_another_collective_is_rejected(self, world):
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.admin, collective=world.alpha, full_name="X", group=world.beta_root
            )
        assert codes(error.value) == {"invalid_group"}

    def test_duplicate_email_is_rejected_case_insensitively_and_nothing_is_saved(self, world):
        kibera_member(world)
        before = Person.objects.count(), Membership.objects.count()
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.lead,
                collective=world.alpha,
                full_name="Other",
                email="WANJIKU@example.org",
                group=world.kibera,
            )
        assert codes(error.value) == {"duplicate_email"} and fields(error.value) == {"email"}
        assert (Person.objects.count(), Membership.objects.count()) == before

    def test_same_email_in_another_collective_is_fine(self, world):
        kibera_member(world)
        person = services.person_create(
            actor=world.beta_admin, collective=world.beta, full_name="W", email="wanjiku@example.org"
        )
        assert person.collective == world.beta

    def test_unknown_role_is_a_field_problem_not_a_crash(self, world):
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.admin, collective=world.alpha, full_name="X", group=world.kibera, role="king"
            )
        assert codes(error.value) == {"invalid_role"} and fields(error.value) == {"role"}

    def test_bad_email_and_empty_name_are_reported_together(self, world):
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.admin, collective=world.alpha, full_name="  ", email="not-an-email"
            )
        assert {"full_name", "email"} <= fields(error.value)

    def test_consent_in_the_future_or_without_purpose_is_rejected(self, world):
        with pytest.raises(DomainError) as error:
            services.person_create(
                actor=world.admin,
                collective=world.alpha,
                full_name="X",
                consent_given_at=timezone.now() + dt.timedelta(days=2),
            )
        assert codes(error.value) == {"date_in_future", "purpose_required"}


class TestPersonUpdate:
    def test_person_edits_own_record(self, world):
        me = Person.objects.get(user=world.member)
        services.person_update(actor=world.member, person=me, full_name="New Name", skills=["sewing"])
        me.refresh_from_db()
        assert (me.full_name, me.skills) == ("New Name", ["sewing"])

    def test_lead_edits_member_and_audit_keeps_no_personal_values(self, world):
        person = kibera_member(world)
        services.person_update(
            actor=world.lead, person=person, email="new@example.org", preferred_language="sw"
        )
        entry = AuditEntry.objects.for_object(person).get(action="person.update")
        assert entry.changes == {"email": "(changed)", "preferred_language": ["en", "sw"]}
        assert "new@example.org" not in str(entry.changes) and "Wanjiku" not in entry.target_repr

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        person = kibera_member(world)
        with pytest.raises(NotFound):
            services.person_update(actor=actor(world, who), person=person, full_name="Hacked")
        person.refresh_from_db()
        assert person.full_name == "Wanjiku Kamau"

    def test_lead_cannot_change_someone_who_outranks_them_elsewhere(self, world):
        person = dual_role_person(world)
        with pytest.raises(DomainError) as error:
            services.person_update(actor=world.lead, person=person, email="lead-owns-this@example.org")
        assert codes(error.value) == {"outside_reach"}

    def test_duplicate_email_on_update(self, world):
        kibera_member(world)
        other = person_in(world.kibera, email="other@example.org")
        with pytest.raises(DomainError) as error:
            services.person_update(actor=world.admin, person=other, email="Wanjiku@example.org")
        assert codes(error.value) == {"duplicate_email"}

    def test_unknown_field_is_rejected(self, world):
        with pytest.raises(DomainError) as error:
            services.person_update(actor=world.admin, person=kibera_member(world), collective_id=2)
        assert codes(error.value) == {"unknown_field"}


class TestConsent:
    def test_record_then_withdraw_keeps_both_dates(self, world):
        person = kibera_member(world)
        services.person_consent_record(
            actor=world.lead, person=person, purpose="Membership records", given=True
        )
        person.refresh_from_db()
        assert person.has_consent and person.consent_purpose == "Membership records"
        services.person_consent_record(actor=world.lead, person=person, purpose="", given=False)
        person.refresh_from_db()
        assert not person.has_consent
        assert person.consent_given_at <= person.consent_withdrawn_at
        assert set(AuditEntry.objects.for_object(person).values_list("action", flat=True)) >= {
            "person.consent",
            "person.consent_withdrawn",
        }

    def test_member_records_own_consent(self, world):
        me = Person.objects.get(user=world.member)
        services.person_consent_record(actor=world.member, person=me, purpose="Newsletters", given=True)
        me.refresh_from_db()
        assert me.has_consent

    def test_purpose_is_required_and_nothing_to_withdraw_is_an_error(self, world):
        person = kibera_member(world)
        with pytest.raises(DomainError) as error:
            services.person_consent_record(actor=world.lead, person=person, purpose=" ", given=True)
        assert codes(error.value) == {"purpose_required"}
        with pytest.raises(DomainError) as error:
            services.person_consent_record(actor=world.lead, person=person, purpose="", given=False)
        assert codes(error.value) == {"no_consent"}

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        with pytest.raises(NotFound):
            services.person_consent_record(
                actor=actor(world, who), person=kibera_member(world), purpose="x", given=True
            )


class TestExport:
    def test_person_gets_all_of_their_data(self, world):
        person = dual_role_person(world)
        data = services.person_export(actor=person.user, person=person)
        assert data["full_name"] == "Amina Coast"
        assert {m["group_code"] for m in data["memberships"]} == {"ke-nai-kib", "ke-cst"}
        assert AuditEntry.objects.for_object(person).filter(action="person.export").exists()

    def test_lead_export_leaves_out_memberships_outside_their_reach(self, world):
        data = services.person_export(actor=world.lead, person=dual_role_person(world))
        assert {m["group_code"] for m in data["memberships"]} == {"ke-nai-kib"}

    def test_admin_export_has_consent_and_memberships(self, world):
        person = kibera_member(world, consent_purpose="Records", consent_given_at=timezone.now())
        data = services.person_export(actor=world.admin, person=person)
        assert data["consent"]["purpose"] == "Records" and data["consent"]["given_at"]
        assert data["memberships"][0]["role"] == "member" and data["has_login"] is False

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        with pytest.raises(NotFound):
            services.person_export(actor=actor(world, who), person=kibera_member(world))


class TestErase:
    def test_admin_erases_person_memberships_invitations_and_login(self, world):
        person = services.person_create(
            actor=world.lead,
            collective=world.alpha,
            full_name="Zawadi Erase",
            email="zawadi@example.org",
            group=world.kibera,
        )
        services.invitation_create(actor=world.lead, person=person, group=world.kibera, base_url="http://x/")
        services.person_update(actor=world.lead, person=person, full_name="Zawadi Erased Later")
        pk = person.pk
        services.person_erase(actor=world.admin, person=person)
        assert not Person.objects.filter(pk=pk).exists()
        assert not Membership.objects.filter(person_id=pk).exists()
        assert not Invitation.objects.filter(person_id=pk).exists()
        entry = AuditEntry.objects.get(action="person.erase", target_id=str(pk))
        assert entry.target_repr == f"person #{pk} (erased)"
        assert no_name_in_audit("Zawadi") and no_name_in_audit("zawadi@")

    def test_erasing_the_only_person_of_a_login_scrubs_the_login(self, world):
        person = Person.objects.get(user=world.member)
        services.person_erase(actor=world.lead, person=person)
        user = get_user_model().objects.get(pk=world.member.pk)
        assert not user.is_active and user.email == "" and not user.has_usable_password()

    def test_a_login_used_in_another_collective_is_kept(self, world):
        person = Person.objects.get(user=world.member)
        make_person(world.beta, user=world.member)
        services.person_erase(actor=world.admin, person=person)
        user = get_user_model().objects.get(pk=world.member.pk)
        assert user.is_active and user.email

    def test_lead_cannot_erase_someone_who_outranks_them_elsewhere(self, world):
        person = dual_role_person(world)
        with pytest.raises(DomainError) as error:
            services.person_erase(actor=world.lead, person=person)
        assert codes(error.value) == {"outside_reach"}
        assert Person.objects.filter(pk=person.pk).exists()

    def test_a_member_cannot_erase_themself(self, world):
        me = Person.objects.get(user=world.member)
        with pytest.raises(DomainError):
            services.person_erase(actor=world.member, person=me)
        assert Person.objects.filter(pk=me.pk).exists()

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        person = kibera_member(world)
        with pytest.raises(NotFound):
            services.person_erase(actor=actor(world, who), person=person)
        assert Person.objects.filter(pk=person.pk).exists()


class TestMembershipCreate:
    def test_coordinator_makes_a_visible_person_lead_of_a_group_in_their_subtree(self, world):
        person = kibera_member(world)
        membership = services.membership_create(
            actor=world.coordinator_a, person=person, group=world.kibera, role=Role.LEAD
        )
        assert membership.role == Role.LEAD
        assert "Wanjiku" not in AuditEntry.objects.for_object(membership).get().target_repr

    def test_coordinator_cannot_grant_coordinator(self, world):
        with pytest.raises(DomainError) as error:
            services.membership_create(
                actor=world.coordinator_a,
                person=kibera_member(world),
                group=world.region_a,
                role=Role.COORDINATOR,
            )
        assert codes(error.value) == {"role_too_high"}

    def test_coordinator_of_region_a_cannot_add_to_region_b(self, world):
        with pytest.raises(NotFound):
            services.membership_create(
                actor=world.coordinator_a, person=kibera_member(world), group=world.mombasa
            )

    def test_lead_cannot_pull_in_someone_they_cannot_see(self, world):
        stranger = person_in(world.mombasa)
        with pytest.raises(NotFound):
            services.membership_create(actor=world.lead, person=stranger, group=world.kibera)
        assert not Membership.objects.filter(person=stranger, group=world.kibera).exists()

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        with pytest.raises(NotFound):
            services.membership_create(
                actor=actor(world, who), person=kibera_member(world), group=world.kibera, role=Role.OBSERVER
            )

    def test_admin_grants_coordinator(self, world):
        membership = services.membership_create(
            actor=world.admin, person=kibera_member(world), group=world.region_b, role=Role.COORDINATOR
        )
        assert membership.group == world.region_b

    def test_end_before_start_is_rejected(self, world):
        with pytest.raises(DomainError) as error:
            services.membership_create(
                actor=world.lead,
                person=kibera_member(world),
                group=world.kibera,
                role=Role.OBSERVER,
                started_on=dt.date(2024, 5, 1),
                ended_on=dt.date(2024, 4, 1),
            )
        assert codes(error.value) == {"dates_out_of_order"} and fields(error.value) == {"ended_on"}

    def test_same_open_role_twice_is_rejected(self, world):
        with pytest.raises(DomainError) as error:
            services.membership_create(actor=world.lead, person=kibera_member(world), group=world.kibera)
        assert codes(error.value) == {"duplicate_membership"}

    def test_group_of_another_collective(self, world):
        with pytest.raises(DomainError) as error:
            services.membership_create(actor=world.admin, person=kibera_member(world), group=world.beta_root)
        assert codes(error.value) == {"invalid_group"}


class TestMembershipEnd:
    def test_lead_ends_a_membership_and_history_stays(self, world):
        membership = kibera_member(world).memberships.get()
        services.membership_end(actor=world.lead, membership=membership)
        membership.refresh_from_db()
        assert membership.ended_on == timezone.localdate()
        assert AuditEntry.objects.for_object(membership).filter(action="membership.end").exists()

    def test_end_before_start_and_ending_twice_are_rejected(self, world):
        membership = kibera_member(world).memberships.get()
        with pytest.raises(DomainError) as error:
            services.membership_end(
                actor=world.lead, membership=membership, ended_on=membership.started_on - dt.timedelta(days=1)
            )
        assert codes(error.value) == {"dates_out_of_order"}
        services.membership_end(actor=world.lead, membership=membership)
        with pytest.raises(DomainError) as error:
            services.membership_end(actor=world.lead, membership=membership)
        assert codes(error.value) == {"already_ended"}

    def test_lead_cannot_end_a_lead_role(self, world):
        membership = Membership.objects.get(person__user=world.lead)
        with pytest.raises(DomainError) as error:
            services.membership_end(actor=world.lead, membership=membership)
        assert codes(error.value) == {"role_too_high"}

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        membership = kibera_member(world).memberships.get()
        with pytest.raises(NotFound):
            services.membership_end(actor=actor(world, who), membership=membership)
        membership.refresh_from_db()
        assert membership.ended_on is None


class TestInvitation:
    def test_lead_invites_a_member_who_accepts(self, world, mailoutbox, django_capture_on_commit_callbacks):
        person = kibera_member(world)
        with django_capture_on_commit_callbacks(execute=True):
            invitation, link = services.invitation_create(
                actor=world.lead, person=person, group=world.kibera, base_url="http://testserver/"
            )
        assert link.startswith("http://testserver/invitations/")
        assert len(mailoutbox) == 1 and link in mailoutbox[0].body
        assert "Wanjiku" not in AuditEntry.objects.for_object(invitation).get().target_repr
        user = services.invitation_accept(
            raw_token=link.rstrip("/").rsplit("/", 1)[1], password="a-good-pass-77"
        )
        person.refresh_from_db()
        assert person.user == user and user.check_password("a-good-pass-77")

    def test_person_with_login_or_without_email_cannot_be_invited(self, world):
        with pytest.raises(DomainError) as error:
            services.invitation_create(
                actor=world.lead, person=Person.objects.get(user=world.member), group=world.kibera
            )
        assert codes(error.value) == {"has_login"}
        with pytest.raises(DomainError) as error:
            services.invitation_create(
                actor=world.lead, person=kibera_member(world, email=""), group=world.kibera
            )
        assert codes(error.value) == {"email_required"}

    def test_lead_cannot_invite_as_lead(self, world):
        with pytest.raises(DomainError) as error:
            services.invitation_create(
                actor=world.lead, person=kibera_member(world), group=world.kibera, role=Role.LEAD
            )
        assert codes(error.value) == {"role_too_high"}

    def test_lead_cannot_invite_someone_who_outranks_them_elsewhere(self, world):
        person = person_in(world.kibera, email="amina@example.org")
        Membership.objects.create(person=person, group=world.region_b, role=Role.COORDINATOR)
        with pytest.raises(DomainError) as error:
            services.invitation_create(actor=world.lead, person=person, group=world.kibera)
        assert codes(error.value) == {"outside_reach"}

    @pytest.mark.parametrize("who", ACTORS_WITHOUT_REACH)
    def test_people_without_reach_get_not_found(self, world, who):
        with pytest.raises(NotFound):
            services.invitation_create(
                actor=actor(world, who), person=kibera_member(world), group=world.kibera
            )
        assert not Invitation.objects.exists()
