"""The people pages: who sees whom, forms that explain refusals, nothing half-saved, bounded queries."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from minga.core.choices import Role
from minga.core.models import AuditEntry
from minga.people.models import Invitation, Membership, Person
from minga.people.services import invitation_create
from tests.factories.core import PASSWORD
from tests.factories.people import make_person


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"people:{name}", args=["alpha", *args])


def person_in(group, role=Role.MEMBER, **fields):
    person = make_person(group.collective, **fields)
    Membership.objects.create(person=person, group=group, role=role)
    return person


class TestPersonList:
    def test_anonymous_is_sent_to_login(self, client, world):
        response = client.get(url("person_list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_member_sees_only_themself(self, client, world):
        person_in(world.kibera, full_name="Other Kiberan")
        response = login(client, world.member).get(url("person_list"))
        assert response.status_code == 200
        people = list(response.context["page"].object_list)
        assert [p.user_id for p in people] == [world.member.pk]

    def test_coordinator_sees_own_region_not_the_other(self, client, world):
        person_in(world.kibera, full_name="Nairobi Person")
        person_in(world.mombasa, full_name="Coast Person")
        response = login(client, world.coordinator_a).get(url("person_list"))
        body = response.content.decode()
        assert "Nairobi Person" in body and "Coast Person" not in body

    def test_search_group_and_role_filters(self, client, world):
        person_in(world.kibera, full_name="Achieng Search", email="achieng@example.org")
        person_in(world.kibera, Role.OBSERVER, full_name="Observer Person")
        client = login(client, world.admin)
        names = lambda r: {p.full_name for p in r.context["page"].object_list}  # noqa: E731
        assert names(client.get(url("person_list"), {"q": "achieng@"})) == {"Achieng Search"}
        in_region_a = names(client.get(url("person_list"), {"group": world.region_a.code}))
        assert "Achieng Search" in in_region_a and "Observer Person" in in_region_a
        assert names(client.get(url("person_list"), {"group": world.region_a.code, "role": "observer"})) == {
            "Observer Person"
        }

    def test_role_filter_cannot_reveal_a_role_outside_reach(self, client, world):
        person = person_in(world.kibera, full_name="Dual Role")
        Membership.objects.create(person=person, group=world.region_b, role=Role.COORDINATOR)
        response = login(client, world.lead).get(url("person_list"), {"role": "coordinator"})
        assert "Dual Role" not in {p.full_name for p in response.context["page"].object_list}

    def test_unknown_group_filter_is_explained(self, client, world):
        response = login(client, world.coordinator_a).get(url("person_list"), {"group": world.mombasa.code})
        assert "no group with this code" in response.content.decode()

    def test_query_count_does_not_grow_with_people(self, client, world, django_assert_max_num_queries):
        for n in range(60):
            person_in(world.kibera if n % 2 else world.mombasa, full_name=f"Bulk {n:02d}")
        client = login(client, world.admin)
        client.get(url("person_list"))  # warm the session
        with django_assert_max_num_queries(12):
            response = client.get(url("person_list"), {"page": 2})
        assert response.status_code == 200 and len(response.context["page"].object_list) > 0

    def test_other_collective_is_not_found(self, client, world):
        response = login(client, world.beta_admin).get(url("person_list"))
        # alpha is public: beta's admin sees the page but nobody on it
        assert response.status_code == 200 and not response.context["page"].object_list


class TestPersonCreate:
    def test_lead_adds_a_member_to_their_group(self, client, world):
        client = login(client, world.lead)
        response = client.post(
            url("person_create"),
            {
                "full_name": "Neema New",
                "email": "neema@example.org",
                "group": world.kibera.code,
                "role": "member",
                "preferred_language": "en",
                "consent_given": "on",
                "consent_purpose": "Membership records",
            },
        )
        person = Person.objects.get(full_name="Neema New")
        assert response.status_code == 302 and response["Location"] == url("person_detail", person.pk)
        assert person.has_consent and person.memberships.get().group == world.kibera

    def test_lead_is_not_offered_and_cannot_grant_coordinator(self, client, world):
        client = login(client, world.lead)
        form = client.get(url("person_create")).context["form"]
        assert {v for v, _ in form.fields["role"].choices} == {"member", "observer"}
        response = client.post(
            url("person_create"),
            {"full_name": "X", "group": world.kibera.code, "role": "coordinator", "preferred_language": "en"},
        )
        assert response.status_code == 422 and "role" in response.context["form"].errors
        assert not Person.objects.filter(full_name="X").exists()

    def test_coordinator_cannot_add_to_the_other_region(self, client, world):
        response = login(client, world.coordinator_a).post(
            url("person_create"),
            {"full_name": "X", "group": world.mombasa.code, "role": "member", "preferred_language": "en"},
        )
        assert response.status_code == 422 and "group" in response.context["form"].errors
        assert not Person.objects.filter(full_name="X").exists()

    def test_duplicate_email_shows_next_to_the_field_and_saves_nothing(self, client, world):
        person_in(world.kibera, email="taken@example.org")
        before = Person.objects.count(), Membership.objects.count(), AuditEntry.objects.count()
        response = login(client, world.lead).post(
            url("person_create"),
            {
                "full_name": "Y",
                "email": "Taken@example.org",
                "group": world.kibera.code,
                "role": "member",
                "preferred_language": "en",
            },
        )
        assert response.status_code == 422
        assert "already has this email" in " ".join(response.context["form"].errors["email"])
        assert (Person.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == before

    def test_member_cannot_open_the_page(self, client, world):
        assert login(client, world.member).get(url("person_create")).status_code == 404


class TestPersonDetail:
    def test_lead_sees_profile_consent_and_memberships_with_actions(self, client, world):
        person = person_in(world.kibera, full_name="Page Person", email="page@example.org")
        body = login(client, world.lead).get(url("person_detail", person.pk)).content.decode()
        assert "Page Person" in body and "Kibera Youth" in body and "Not recorded" in body
        for action in ("person_edit", "person_invite", "person_erase", "person_export"):
            assert url(action, person.pk) in body

    def test_coordinator_of_other_region_gets_404(self, client, world):
        person = person_in(world.kibera)
        assert login(client, world.coordinator_b).get(url("person_detail", person.pk)).status_code == 404

    def test_person_of_another_collective_under_this_slug_is_404(self, client, world):
        stranger = person_in(world.beta_root)
        response = login(client, world.superuser).get(url("person_detail", stranger.pk))
        assert response.status_code == 404

    def test_member_sees_own_page_without_erase(self, client, world):
        me = Person.objects.get(user=world.member)
        body = login(client, world.member).get(url("person_detail", me.pk)).content.decode()
        assert url("person_edit", me.pk) in body and url("person_erase", me.pk) not in body

    def test_lead_sees_only_memberships_in_reach(self, client, world):
        person = person_in(world.kibera, full_name="Dual")
        Membership.objects.create(person=person, group=world.mombasa, role=Role.MEMBER)
        body = login(client, world.lead).get(url("person_detail", person.pk)).content.decode()
        assert "Kibera Youth" in body and "Mombasa Women" not in body

    def test_bounded_queries(self, client, world, django_assert_max_num_queries):
        person = person_in(world.kibera)
        for group in (world.region_a, world.backbone):
            Membership.objects.create(person=person, group=group, role=Role.OBSERVER)
        client = login(client, world.admin)
        client.get(url("person_detail", person.pk))
        with django_assert_max_num_queries(12):
            assert client.get(url("person_detail", person.pk)).status_code == 200


class TestPersonActions:
    def test_edit_saves_and_refusal_shows_on_form(self, client, world):
        person = person_in(world.kibera, full_name="Before")
        client = login(client, world.lead)
        response = client.post(
            url("person_edit", person.pk),
            {"full_name": "After", "preferred_language": "en", "skills": "a, b, a"},
        )
        assert response.status_code == 302
        person.refresh_from_db()
        assert (person.full_name, person.skills) == ("After", ["a", "b"])

    def test_edit_takes_any_language_by_code_or_name_and_suggests_the_collectives(self, client, world):
        world.alpha.languages = ["sw", "hi"]
        world.alpha.save()
        person = person_in(world.kibera, full_name="Asha")
        client = login(client, world.lead)
        page = client.get(url("person_edit", person.pk)).content.decode()
        assert 'list="language-choices"' in page
        assert '<option value="sw">Kiswahili</option><option value="hi">Hindi</option>' in page
        response = client.post(
            url("person_edit", person.pk), {"full_name": "Asha", "preferred_language": "Odia"}
        )
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.preferred_language == "or"
        assert "Odia (or)" in client.get(url("person_detail", person.pk)).content.decode()

    def test_an_empty_language_is_no_preference(self, client, world):
        person = person_in(world.kibera, full_name="Asha")
        response = login(client, world.lead).post(
            url("person_edit", person.pk), {"full_name": "Asha", "preferred_language": ""}
        )
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.preferred_language == ""
        page = client.get(url("person_edit", person.pk)).content.decode()
        assert 'name="preferred_language"' in page and 'name="preferred_language" value=' not in page

    def test_edit_refuses_what_is_no_language_on_its_field(self, client, world):
        person = person_in(world.kibera, full_name="Asha")
        response = login(client, world.lead).post(
            url("person_edit", person.pk), {"full_name": "Changed", "preferred_language": "en GB"}
        )
        assert response.status_code == 422
        assert 'id="id_preferred_language_error"' in response.content.decode()
        person.refresh_from_db()
        assert (person.full_name, person.preferred_language) == ("Asha", "en")

    def test_edit_of_someone_outranking_the_lead_elsewhere_is_refused(self, client, world):
        person = person_in(world.kibera, full_name="Dual")
        Membership.objects.create(person=person, group=world.region_b, role=Role.COORDINATOR)
        response = login(client, world.lead).post(
            url("person_edit", person.pk), {"full_name": "Hijacked", "preferred_language": "en"}
        )
        assert response.status_code == 422 and "outside your reach" in response.content.decode()
        person.refresh_from_db()
        assert person.full_name == "Dual"

    def test_consent_given_then_withdrawn(self, client, world):
        person = person_in(world.kibera)
        client = login(client, world.lead)
        client.post(url("person_consent", person.pk), {"action": "give", "purpose": "Records"})
        person.refresh_from_db()
        assert person.has_consent
        client.post(url("person_consent", person.pk), {"action": "withdraw", "purpose": ""})
        person.refresh_from_db()
        assert person.consent_withdrawn_at is not None

    def test_consent_without_purpose_is_explained(self, client, world):
        person = person_in(world.kibera)
        response = login(client, world.lead).post(
            url("person_consent", person.pk), {"action": "give", "purpose": ""}
        )
        assert response.status_code == 422 and "Say what the consent is for" in response.content.decode()

    def test_export_downloads_json(self, client, world):
        person = person_in(world.kibera, full_name="Export Me")
        response = login(client, world.lead).post(url("person_export", person.pk))
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        assert json.loads(response.content)["full_name"] == "Export Me"

    def test_export_by_get_or_by_stranger_is_refused(self, client, world):
        person = person_in(world.kibera)
        assert login(client, world.lead).get(url("person_export", person.pk)).status_code == 405
        assert login(client, world.coordinator_b).post(url("person_export", person.pk)).status_code == 404

    def test_erase_confirm_then_erase(self, client, world):
        person = person_in(world.kibera, full_name="Gone Soon")
        client = login(client, world.lead)
        confirm = client.get(url("person_erase", person.pk))
        assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
        response = client.post(url("person_erase", person.pk))
        assert response.status_code == 302 and not Person.objects.filter(pk=person.pk).exists()
        assert AuditEntry.objects.filter(action="person.erase", target_id=str(person.pk)).exists()

    def test_member_cannot_erase_anyone(self, client, world):
        person = person_in(world.kibera)
        assert login(client, world.member).post(url("person_erase", person.pk)).status_code == 404
        assert Person.objects.filter(pk=person.pk).exists()

    def test_invite_shows_the_link_once_and_sends_mail(
        self, client, world, mailoutbox, django_capture_on_commit_callbacks
    ):
        person = person_in(world.kibera, email="invitee@example.org")
        client = login(client, world.lead)
        form = client.get(url("person_invite", person.pk)).context["form"]
        assert form.initial["group"] == world.kibera.code
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("person_invite", person.pk), {"group": world.kibera.code, "role": "member"}
            )
        body = response.content.decode()
        assert response.status_code == 200 and "http://testserver/invitations/" in body
        assert "email was sent" in body and response["Cache-Control"] == "no-store"
        assert Invitation.objects.filter(person=person).count() == 1
        assert len(mailoutbox) == 1

    def test_invite_someone_with_a_login_is_explained(self, client, world):
        me = Person.objects.get(user=world.member)
        response = login(client, world.lead).post(
            url("person_invite", me.pk), {"group": world.kibera.code, "role": "member"}
        )
        assert response.status_code == 422 and "already has a login" in response.content.decode()


class TestMemberships:
    def test_coordinator_adds_a_role_and_ends_it(self, client, world):
        person = person_in(world.kibera)
        client = login(client, world.coordinator_a)
        response = client.post(
            url("membership_create", person.pk),
            {"group": world.kibera.code, "role": "lead", "started_on": ""},
        )
        assert response.status_code == 302
        membership = Membership.objects.get(person=person, role=Role.LEAD)
        response = client.post(
            url("membership_end", membership.pk), {"ended_on": membership.started_on.isoformat()}
        )
        assert response.status_code == 302
        membership.refresh_from_db()
        assert membership.ended_on == membership.started_on

    def test_bad_dates_are_shown_next_to_the_field(self, client, world):
        person = person_in(world.kibera)
        response = login(client, world.lead).post(
            url("membership_create", person.pk),
            {
                "group": world.kibera.code,
                "role": "observer",
                "started_on": "2024-05-01",
                "ended_on": "2024-04-01",
            },
        )
        assert response.status_code == 422 and "ended_on" in response.context["form"].errors
        assert not Membership.objects.filter(person=person, role=Role.OBSERVER).exists()

    def test_lead_cannot_end_a_membership_in_another_region(self, client, world):
        membership = person_in(world.mombasa).memberships.get()
        response = login(client, world.lead).post(
            url("membership_end", membership.pk), {"ended_on": "2030-01-01"}
        )
        assert response.status_code == 404


def test_real_login_reaches_the_list(client, world):
    assert client.login(username=world.lead.email, password=PASSWORD)
    assert client.get(url("person_list")).status_code == 200


@pytest.mark.parametrize("name", ["person_create", "person_list"])
def test_private_collective_is_404_for_strangers(client, world, name):
    world.alpha.visibility = "private"
    world.alpha.save()
    assert login(client, world.beta_admin).get(url(name)).status_code == 404


class TestInvitationAccept:
    """The page behind the emailed link: /invitations/<token>/, reached without logging in."""

    @staticmethod
    def invite(world):
        person = make_person(world.alpha, email="newcomer@example.org", full_name="New Comer")
        _invitation, link = invitation_create(
            actor=world.admin, person=person, group=world.kibera, role=Role.MEMBER
        )
        return person, link.rsplit("/invitations/", 1)[1].strip("/")

    def test_the_url_is_unchanged(self):
        assert reverse("people:invitation_accept", args=["abc"]) == "/invitations/abc/"

    def test_sets_password_logs_in_and_starts_membership(self, client, world):
        person, token = self.invite(world)
        page_url = reverse("people:invitation_accept", args=[token])
        page = client.get(page_url)
        assert page.status_code == 200
        assert b"New Comer" in page.content and b"Kibera Youth" in page.content
        password = "a-fine-new-password-12"
        response = client.post(page_url, {"password": password, "password_confirm": password})
        assert response.status_code == 302
        assert response["Location"] == reverse("architecture:collective_home", args=["alpha"])
        assert client.get("/").wsgi_request.user.email == "newcomer@example.org"
        assert Membership.objects.filter(person=person, group=world.kibera).exists()
        assert client.get(page_url).status_code == 404  # used up

    def test_explains_bad_passwords_next_to_the_field(self, client, world):
        person, token = self.invite(world)
        page_url = reverse("people:invitation_accept", args=[token])
        response = client.post(page_url, {"password": "abc", "password_confirm": "abd"})
        assert response.status_code == 422
        assert b"The two passwords differ." in response.content
        response = client.post(page_url, {"password": "12345678", "password_confirm": "12345678"})
        assert response.status_code == 422
        assert b'id="id_password_error"' in response.content
        assert not Membership.objects.filter(person=person, group=world.kibera).exists()

    def test_unknown_invitation_is_a_404_with_the_layout(self, client, world):
        response = client.get(reverse("people:invitation_accept", args=["not-a-token"]))
        assert response.status_code == 404
        assert b"Page not found" in response.content
