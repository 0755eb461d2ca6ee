"""The collective's settings: its profile, its logo and its kinds of group, for its admins only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minga.architecture.forms import LOGO_MAX_BYTES
from minga.architecture.models import GroupKind
from minga.core.models import AuditEntry
from tests.factories.architecture import kind

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def url(name, *args):
    return reverse(f"architecture:{name}", args=["alpha", *args])


def profile_data(**overrides):
    data = {
        "name": "Alpha Collective",
        "mission": "Grassroots groups acting together.",
        "languages": "en, sw",
        "visibility": "public",
    }
    data.update(overrides)
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


class TestAccess:
    @pytest.mark.parametrize("who", ["anonymous", "member", "lead", "coordinator_a", "beta_admin"])
    def test_everybody_but_the_admins_gets_404(self, client, world, who):
        if who != "anonymous":
            client.force_login(getattr(world, who))
        region = kind(world.alpha, "region")
        for path in [url("collective_settings"), url("group_kind_create"), url("group_kind_edit", region.pk)]:
            assert client.get(path).status_code == 404, path
        assert client.post(url("collective_settings"), profile_data(name="Hacked")).status_code == 404
        assert client.post(url("group_kind_edit", region.pk), {"name": "Hacked"}).status_code == 404
        world.alpha.refresh_from_db()
        assert world.alpha.name == "Alpha Collective" and kind(world.alpha, "region").name != "Hacked"

    def test_a_kind_of_another_collective_is_404_under_this_slug(self, client, world):
        client.force_login(world.superuser)
        assert client.get(url("group_kind_edit", kind(world.beta, "region").pk)).status_code == 404

    def test_home_links_to_settings_for_admins_only(self, client, world):
        settings_url = url("collective_settings")
        client.force_login(world.admin)
        assert settings_url in client.get(url("collective_home")).content.decode()
        for user in [world.coordinator_a, world.beta_admin]:
            client.force_login(user)
            assert settings_url not in client.get(url("collective_home")).content.decode()


class TestProfile:
    def test_admin_sees_the_form_filled_in_and_the_kinds(self, client, world):
        client.force_login(world.admin)
        response = client.get(url("collective_settings"))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="Alpha Collective"' in html and 'enctype="multipart/form-data"' in html
        assert "Regional network" in html and url("group_kind_edit", kind(world.alpha, "region").pk) in html

    def test_admin_saves_name_mission_languages_and_visibility(self, client, world):
        client.force_login(world.admin)
        response = client.post(
            url("collective_settings"),
            profile_data(name="Alpha Network", languages="EN, sw, pt-BR, sw", visibility="private"),
        )
        assert response.status_code == 302 and response["Location"] == url("collective_settings")
        world.alpha.refresh_from_db()
        assert world.alpha.name == "Alpha Network"
        assert world.alpha.languages == ["en", "sw", "pt-BR"]
        assert world.alpha.visibility == "private"
        entry = AuditEntry.objects.get(action="collective.update")
        assert entry.changes["name"] == ["Alpha Collective", "Alpha Network"]

    def test_each_error_is_shown_next_to_its_field_and_nothing_is_saved(self, client, world, media):
        client.force_login(world.admin)
        response = client.post(
            url("collective_settings"),
            profile_data(
                name="",
                languages="english, sw",
                visibility="everyone",
                logo=SimpleUploadedFile("logo.gif", b"GIF89a", content_type="image/gif"),
            ),
        )
        assert response.status_code == 422
        html = response.content.decode()
        for field in ["name", "visibility"]:
            assert f'id="id_{field}_error"' in html, field
        world.alpha.refresh_from_db()
        assert world.alpha.name == "Alpha Collective"
        # Once the form's own checks pass, the service's rules land on their fields too.
        response = client.post(
            url("collective_settings"),
            profile_data(
                languages="english, sw",
                logo=SimpleUploadedFile("logo.gif", b"GIF89a", content_type="image/gif"),
            ),
        )
        assert response.status_code == 422
        errors = response.context["form"].errors
        assert "Not a language code: english" in errors["languages"][0]
        assert "logo" in errors
        assert 'id="id_languages_error"' in response.content.decode()
        world.alpha.refresh_from_db()
        assert world.alpha.languages == [] and not world.alpha.logo

    def test_a_logo_too_big_is_refused_on_its_field(self, client, world, media):
        client.force_login(world.admin)
        big = SimpleUploadedFile("logo.png", PNG + b"\0" * LOGO_MAX_BYTES, content_type="image/png")
        response = client.post(url("collective_settings"), profile_data(logo=big))
        assert response.status_code == 422
        assert "at most 1 MB" in response.context["form"].errors["logo"][0]


class TestLogo:
    def test_upload_show_on_home_serve_and_remove(self, client, world, media):
        client.force_login(world.admin)
        logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
        assert client.post(url("collective_settings"), profile_data(logo=logo)).status_code == 302
        world.alpha.refresh_from_db()
        assert world.alpha.logo.name.startswith("logos/")
        assert url("collective_logo") in client.get(url("collective_home")).content.decode()

        client.logout()  # a public collective: its logo is public too
        served = client.get(url("collective_logo"))
        assert served.status_code == 200 and served["Content-Type"] == "image/png"
        assert b"".join(served.streaming_content) == PNG
        assert (
            "sandbox" in served["Content-Security-Policy"] and served["X-Content-Type-Options"] == "nosniff"
        )

        client.force_login(world.admin)
        page = client.get(url("collective_settings")).content.decode()
        assert "Remove the current logo" in page
        assert client.post(url("collective_settings"), profile_data(remove_logo="on")).status_code == 302
        world.alpha.refresh_from_db()
        assert not world.alpha.logo
        assert client.get(url("collective_logo")).status_code == 404

    def test_saving_without_a_file_keeps_the_logo(self, client, world, media):
        client.force_login(world.admin)
        logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
        client.post(url("collective_settings"), profile_data(logo=logo))
        client.post(url("collective_settings"), profile_data(mission="New mission"))
        world.alpha.refresh_from_db()
        assert world.alpha.logo and world.alpha.mission == "New mission"

    def test_private_collective_logo_is_404_for_strangers(self, client, world, media):
        client.force_login(world.admin)
        logo = SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
        client.post(url("collective_settings"), profile_data(logo=logo, visibility="private"))
        assert client.get(url("collective_logo"))["Content-Type"] == "image/svg+xml"
        client.force_login(world.beta_admin)
        assert client.get(url("collective_logo")).status_code == 404
        client.force_login(world.member)
        assert client.get(url("collective_logo")).status_code == 200


class TestKinds:
    def test_admin_adds_a_kind(self, client, world):
        client.force_login(world.admin)
        assert client.get(url("group_kind_create")).status_code == 200
        response = client.post(
            url("group_kind_create"), {"name": "Ward", "code": "ward", "layer": "network", "order": "4"}
        )
        assert response.status_code == 302 and response["Location"] == url("collective_settings")
        ward = GroupKind.objects.get(collective=world.alpha, code="ward")
        assert (ward.name, ward.layer, ward.order) == ("Ward", "network", 4)
        assert AuditEntry.objects.for_object(ward).filter(action="group_kind.create").exists()
        assert "Ward" in client.get(url("collective_settings")).content.decode()

    def test_add_form_errors_are_next_to_their_fields(self, client, world):
        client.force_login(world.admin)
        before = GroupKind.objects.count()
        response = client.post(
            url("group_kind_create"), {"name": "", "code": "not a code", "layer": "sky", "order": "-1"}
        )
        assert response.status_code == 422
        html = response.content.decode()
        for field in ["name", "code", "layer", "order"]:
            assert f'id="id_{field}_error"' in html, field
        response = client.post(
            url("group_kind_create"), {"name": "Regions", "code": "region", "layer": "network", "order": "0"}
        )
        assert response.status_code == 422
        assert "already exists" in response.context["form"].errors["code"][0]
        assert GroupKind.objects.count() == before

    def test_admin_edits_name_layer_and_order_but_not_the_code(self, client, world):
        region = kind(world.alpha, "region")
        client.force_login(world.admin)
        page = client.get(url("group_kind_edit", region.pk))
        assert page.status_code == 200 and 'value="Regional network"' in page.content.decode()
        response = client.post(
            url("group_kind_edit", region.pk),
            {"name": "Province", "code": "hacked", "layer": "support", "order": "7"},
        )
        assert response.status_code == 302
        region.refresh_from_db()
        assert (region.name, region.code, region.layer, region.order) == ("Province", "region", "support", 7)
        entry = AuditEntry.objects.for_object(region).get(action="group_kind.update")
        assert set(entry.changes) == {"name", "layer", "order"}

    def test_edit_errors_are_next_to_their_fields(self, client, world):
        region = kind(world.alpha, "region")
        client.force_login(world.admin)
        response = client.post(url("group_kind_edit", region.pk), {"name": "", "layer": "x", "order": "a"})
        assert response.status_code == 422
        html = response.content.decode()
        for field in ["name", "layer", "order"]:
            assert f'id="id_{field}_error"' in html, field
        region.refresh_from_db()
        assert region.name == "Regional network"


@pytest.mark.parametrize("extra_kinds", [0, 30])
def test_settings_page_query_count_does_not_grow_with_kinds(
    client, world, django_assert_max_num_queries, extra_kinds
):
    for n in range(extra_kinds):
        GroupKind.objects.create(collective=world.alpha, code=f"k{n}", name=f"Kind {n}")
    region = kind(world.alpha, "region")
    client.force_login(world.admin)
    # session, user, scope, collective, switcher, kinds with their group counts
    with django_assert_max_num_queries(6):
        assert client.get(url("collective_settings")).status_code == 200
    # session, user, scope, collective, kind, switcher
    with django_assert_max_num_queries(6):
        assert client.get(url("group_kind_edit", region.pk)).status_code == 200
