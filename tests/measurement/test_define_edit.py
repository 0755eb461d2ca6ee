"""Defining what is measured, the parts a backbone admin edits later: disaggregations (created on the
web, edited while unused, deleted when unused), and editing or deleting indicator sets, targets and
validation rules. Admins only (404 for everybody else), the same services as the API, each change
audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minga.architecture.models import GroupKind
from minga.core.models import AuditEntry
from minga.measurement import services
from minga.measurement.models import (
    Disaggregation,
    IndicatorSet,
    IndicatorSetItem,
    Target,
    ValidationRule,
)
from tests.factories.measurement import make_indicator, make_period, make_sex_age

pytestmark = pytest.mark.django_db

OTHERS = ["anonymous", "member", "lead", "coordinator_a", "beta_admin"]
SEX_AGE = "sex | Sex | f=Female, m=Male\nage | Age band | 0-14=0-14, 15-24=15-24"


def url(name: str, *args: Any) -> str:
    return reverse(f"measurement:{name}", args=["alpha", *args])


def browser(world: Any, actor: str) -> Client:
    c = Client()
    if actor != "anonymous":
        c.force_login(getattr(world, actor))
    return c


@pytest.fixture
def defined(world: Any) -> dict[str, Any]:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings")
    members = make_indicator(world.alpha, code="members", name="Members")
    form = IndicatorSet.objects.create(collective=world.alpha, code="monthly", name="Monthly")
    IndicatorSetItem.objects.create(indicator_set=form, indicator=meetings, order=0)
    rule = ValidationRule.objects.create(
        collective=world.alpha, name="Meetings under members", left=meetings, operator="<=", right=members
    )
    target = Target.objects.create(
        collective=world.alpha,
        indicator=members,
        group=world.kenya,
        period=make_period(world.alpha, "202604"),
        value=100,
    )
    unused = Disaggregation.objects.create(
        collective=world.alpha, code="unused", name="Unused", categories=[]
    )
    return {
        "meetings": meetings,
        "members": members,
        "set": form,
        "rule": rule,
        "target": target,
        "dis": unused,
    }


def test_admin_defines_a_disaggregation_on_the_web(world: Any, django_assert_max_num_queries: Any) -> None:
    admin = browser(world, "admin")
    response = admin.post(
        url("disaggregations"), {"code": "sex_age", "name": "Sex x age", "categories": SEX_AGE}
    )
    assert response.status_code == 302
    dis = Disaggregation.objects.get(code="sex_age")
    assert list(dis.options.values_list("code", "name")) == [
        ("f.0-14", "Female, 0-14"),
        ("f.15-24", "Female, 15-24"),
        ("m.0-14", "Male, 0-14"),
        ("m.15-24", "Male, 15-24"),
    ]
    assert AuditEntry.objects.filter(action="disaggregation.create").exists()
    make_indicator(world.alpha, code="enrolled", disaggregation=dis)
    with django_assert_max_num_queries(10):
        page = admin.get(url("disaggregations"))
    assert "f.15-24" in page.content.decode() and "enrolled" not in page.content.decode().split("<table")[0]


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ("sex | Sex", "Line 1"),
        ("sex | Sex | f.x=Female", "no dot or colon"),
        ("sex | Sex | f=Female, f=Femme", "distinct code"),
        ("", "This field is required"),
    ],
)
def test_bad_categories_are_shown_on_their_field(world: Any, categories: str, message: str) -> None:
    response = browser(world, "admin").post(
        url("disaggregations"), {"code": "bad", "name": "Bad", "categories": categories}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Disaggregation.objects.filter(code="bad").exists()


def test_a_disaggregation_code_is_unique(world: Any) -> None:
    make_sex_age(world.alpha)
    response = browser(world, "admin").post(
        url("disaggregations"), {"code": "sex_age", "name": "Again", "categories": SEX_AGE}
    )
    assert response.status_code == 422 and Disaggregation.objects.filter(code="sex_age").count() == 1


def test_a_disaggregation_in_use_keeps_its_options(world: Any) -> None:
    dis = make_sex_age(world.alpha)
    make_indicator(world.alpha, code="enrolled", disaggregation=dis)
    admin = browser(world, "admin")
    changed = admin.post(url("disaggregation_edit", dis.pk), {"name": "Sex and age", "categories": SEX_AGE})
    assert changed.status_code == 422 and "can&#x27;t change" in changed.content.decode()
    renamed = admin.post(
        url("disaggregation_edit", dis.pk),
        {
            "name": "Sex and age",
            "categories": admin.get(url("disaggregation_edit", dis.pk)).context["form"].initial["categories"],
        },
    )
    assert renamed.status_code == 302
    dis.refresh_from_db()
    assert dis.name == "Sex and age" and dis.options.count() == 6
    admin.post(url("disaggregation_delete", dis.pk))
    assert Disaggregation.objects.filter(pk=dis.pk).exists()  # in use: refused


def test_an_unused_disaggregation_is_edited_and_deleted(world: Any, defined: Any) -> None:
    admin = browser(world, "admin")
    dis = defined["dis"]
    response = admin.post(
        url("disaggregation_edit", dis.pk), {"name": "Sex", "categories": "sex | Sex | f=F, m=M"}
    )
    assert response.status_code == 302
    assert list(dis.options.values_list("code", flat=True)) == ["f", "m"]
    assert admin.post(url("disaggregation_delete", dis.pk)).status_code == 302
    assert not Disaggregation.objects.filter(pk=dis.pk).exists()
    assert AuditEntry.objects.filter(action="disaggregation.delete").exists()


def test_admin_edits_an_indicator_set(world: Any, defined: Any) -> None:
    kind = GroupKind.objects.get(collective=world.alpha, code="group")
    form = defined["set"]
    admin = browser(world, "admin")
    assert "meetings" in admin.get(url("indicator_set_edit", form.pk)).content.decode()
    response = admin.post(
        url("indicator_set_edit", form.pk),
        {
            "name": "Monthly report",
            "description": "",
            "frequency": "month",
            "indicators": "members\nmeetings",
            "kinds": [kind.pk],
        },
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.name == "Monthly report" and form.code == "monthly"
    assert [i.indicator.code for i in form.items.order_by("order")] == ["members", "meetings"]
    assert list(form.kinds.all()) == [kind]
    entry = AuditEntry.objects.get(action="indicator_set.update")
    assert entry.changes["indicators"] == [["meetings"], ["members", "meetings"]]


def test_an_unknown_code_in_a_set_is_shown(world: Any, defined: Any) -> None:
    response = browser(world, "admin").post(
        url("indicator_set_edit", defined["set"].pk),
        {"name": "Monthly", "frequency": "month", "indicators": "meetings\nnope"},
    )
    assert response.status_code == 422 and "Unknown indicator codes: nope" in response.content.decode()


def test_deleting_a_set_keeps_its_indicators(world: Any, defined: Any) -> None:
    assert browser(world, "admin").post(url("indicator_set_delete", defined["set"].pk)).status_code == 302
    assert not IndicatorSet.objects.exists()
    defined["meetings"].refresh_from_db()


def test_admin_edits_and_deletes_a_target(world: Any, defined: Any) -> None:
    target = defined["target"]
    admin = browser(world, "admin")
    assert admin.post(url("target_edit", target.pk), {"value": "120", "note": "raised"}).status_code == 302
    target.refresh_from_db()
    assert (target.value, target.note) == (120, "raised")
    assert AuditEntry.objects.get(action="target.update").changes["value"] == [100.0, 120.0]
    assert admin.post(url("target_edit", target.pk), {"value": "many"}).status_code == 422
    assert admin.post(url("target_delete", target.pk)).status_code == 302
    assert not Target.objects.exists()


def test_admin_edits_and_deletes_a_rule(world: Any, defined: Any) -> None:
    rule, meetings, members = defined["rule"], defined["meetings"], defined["members"]
    admin = browser(world, "admin")
    same = admin.post(
        url("validation_rule_edit", rule.pk),
        {"name": "x", "left": meetings.pk, "operator": "<", "right": meetings.pk},
    )
    assert same.status_code == 422
    response = admin.post(
        url("validation_rule_edit", rule.pk),
        {"name": "Members over meetings", "left": members.pk, "operator": ">=", "right": meetings.pk},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.left, rule.operator, rule.right) == (members, ">=", meetings)
    assert admin.post(url("validation_rule_delete", rule.pk)).status_code == 302
    assert not ValidationRule.objects.exists()


@pytest.mark.parametrize("actor", OTHERS)
def test_edit_pages_are_missing_for_all_but_admins(world: Any, defined: Any, actor: str) -> None:
    c = browser(world, actor)
    pages = [
        ("disaggregations", ()),
        ("disaggregation_edit", (defined["dis"].pk,)),
        ("indicator_set_edit", (defined["set"].pk,)),
        ("target_edit", (defined["target"].pk,)),
        ("validation_rule_edit", (defined["rule"].pk,)),
    ]
    for name, args in pages:
        assert c.get(url(name, *args)).status_code == 404, name
    for name, pk in [
        ("disaggregation_delete", defined["dis"].pk),
        ("indicator_set_delete", defined["set"].pk),
        ("target_delete", defined["target"].pk),
        ("validation_rule_delete", defined["rule"].pk),
    ]:
        assert c.post(url(name, pk)).status_code == 404, name
    assert Disaggregation.objects.count() == IndicatorSet.objects.count() == Target.objects.count() == 1
    assert ValidationRule.objects.count() == 1


def test_another_collectives_definitions_are_missing(world: Any) -> None:
    other = make_indicator(world.beta, code="beta_members")
    form = IndicatorSet.objects.create(collective=world.beta, code="beta_form", name="Beta form")
    rule = ValidationRule.objects.create(
        collective=world.beta, name="r", left=other, operator="<=", right=other
    )
    admin = browser(world, "admin")
    assert admin.get(url("indicator_set_edit", form.pk)).status_code == 404
    assert admin.post(url("validation_rule_delete", rule.pk)).status_code == 404
    assert IndicatorSet.objects.filter(pk=form.pk).exists()


def test_services_refuse_non_admins(world: Any, defined: Any) -> None:
    from minga.core.errors import DomainError

    with pytest.raises(DomainError):
        services.indicator_set_delete(actor=world.coordinator_a, indicator_set=defined["set"])
    with pytest.raises(DomainError):
        services.validation_rule_update(
            actor=world.lead,
            rule=defined["rule"],
            name="x",
            left=defined["meetings"],
            operator="<",
            right=defined["members"],
        )
