"""DHIS2 dataValueSets: import through the code mapping (by UID and by code), DHIS2's import summary,
conflicts for bad input, strategies, dry run, export scoped to the caller, and the round trip."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from minga.core.errors import DomainError, NotFound
from minga.measurement import dhis2_exchange as dx
from minga.measurement.models import Approval, DataValue, DataValueHistory, ValueType
from minga.measurement.models_dhis2 import Dhis2Kind, Dhis2Mapping
from tests.factories.measurement import make_indicator, make_period, make_sex_age, make_value

TODAY = dt.date(2026, 5, 20)


@pytest.fixture
def setup(world: Any) -> dict[str, Any]:
    """Two indicators (one by sex x age), every group mapped by UID and code."""
    dis = make_sex_age(world.alpha)
    meetings = make_indicator(world.alpha, code="meetings", min_value=0)
    members = make_indicator(world.alpha, code="members", disaggregation=dis)
    make_indicator(world.alpha, code="notes", value_type=ValueType.TEXT)
    make_indicator(world.alpha, code="weekly", frequency="week")
    m = Dhis2Mapping.objects.create
    m(
        collective=world.alpha,
        kind=Dhis2Kind.INDICATOR,
        code="meetings",
        dhis2_id="deMeeting01",
        dhis2_code="MTG",
    )
    m(
        collective=world.alpha,
        kind=Dhis2Kind.INDICATOR,
        code="members",
        dhis2_id="deMembers01",
        dhis2_code="MBR",
    )
    m(
        collective=world.alpha,
        kind=Dhis2Kind.INDICATOR,
        code="notes",
        dhis2_id="deNotes0001",
        dhis2_code="NTS",
    )
    m(
        collective=world.alpha,
        kind=Dhis2Kind.INDICATOR,
        code="weekly",
        dhis2_id="deWeekly001",
        dhis2_code="WK",
    )
    for group in (world.kenya, world.region_a, world.region_b, world.kibera, world.mombasa):
        m(
            collective=world.alpha,
            kind=Dhis2Kind.GROUP,
            code=group.code,
            dhis2_id=f"ou{group.code}"[:11],
            dhis2_code=group.code.upper(),
        )
    m(
        collective=world.alpha,
        kind=Dhis2Kind.OPTION,
        code="f.15-24",
        dhis2_id="cocF1524xxx",
        dhis2_code="F_15_24",
    )
    return {"meetings": meetings, "members": members}


def dv(value: Any = "4", **over: Any) -> dict[str, Any]:
    return {"dataElement": "deMeeting01", "period": "202604", "orgUnit": "ouke-nai-ki", "value": value} | over


def run(actor: Any, world: Any, *values: Any, **kwargs: Any) -> dict[str, Any]:
    payload = kwargs.pop("payload", {"dataValues": list(values)})
    return dx.dhis2_import(
        actor=actor, collective=world.alpha, payload=payload, today=TODAY, **kwargs
    ).as_dict()


def counts(summary: dict[str, Any]) -> tuple[int, int, int, int]:
    c = summary["importCount"]
    return c["imported"], c["updated"], c["ignored"], c["deleted"]


def test_import_by_uid_then_update_then_unchanged(world: Any, setup: Any) -> None:
    first = run(
        world.lead, world, dv("4"), dv("2", dataElement="deMembers01", categoryOptionCombo="cocF1524xxx")
    )
    assert first["status"] == "SUCCESS" and counts(first) == (2, 0, 0, 0), first
    value = DataValue.objects.get(indicator__code="meetings")
    assert (value.value, value.source, value.group_id) == (4, "dhis2", world.kibera.pk)
    assert DataValue.objects.get(indicator__code="members").option != 0
    assert counts(run(world.lead, world, dv("5"))) == (0, 1, 0, 0)
    assert DataValueHistory.objects.get().old_value == 4
    assert counts(run(world.lead, world, dv("5"))) == (0, 0, 1, 0)


def test_import_by_code(world: Any, setup: Any) -> None:
    summary = run(
        world.lead, world, dv("7", dataElement="MTG", orgUnit="KE-NAI-KIB"), schemes=dx.Schemes.parse("CODE")
    )
    assert counts(summary) == (1, 0, 0, 0), summary
    # A UID is not a code: with idScheme=CODE it does not resolve.
    summary = run(world.lead, world, dv("7"), schemes=dx.Schemes.parse("CODE"))
    assert summary["status"] == "ERROR" and summary["conflicts"][0]["object"] == "deMeeting01"


def test_mixed_schemes(world: Any, setup: Any) -> None:
    schemes = dx.Schemes.parse("UID", data_element="CODE")
    assert counts(run(world.lead, world, dv("3", dataElement="MTG"), schemes=schemes)) == (1, 0, 0, 0)


def test_set_level_period_and_org_unit(world: Any, setup: Any) -> None:
    payload = {
        "period": "202604",
        "orgUnit": "ouke-nai-ki",
        "dataValues": [{"dataElement": "deMeeting01", "value": 1}],
    }
    assert counts(run(world.lead, world, payload=payload)) == (1, 0, 0, 0)


def test_weeks_without_leading_zero_and_period_mapping(world: Any, setup: Any) -> None:
    assert counts(run(world.lead, world, dv("1", dataElement="deWeekly001", period="2026W5"))) == (1, 0, 0, 0)
    assert DataValue.objects.get().period.code == "2026W05"
    Dhis2Mapping.objects.create(collective=world.alpha, kind="period", dhis2_id="2026S1", code="202603")
    assert counts(run(world.lead, world, dv("1", period="2026S1"))) == (1, 0, 0, 0)
    assert DataValue.objects.filter(period__code="202603").exists()


BAD = [
    # (value overrides, conflict property, error code)
    ({"dataElement": "nope"}, "dataElement", "unknown_data_element"),
    ({"dataElement": ""}, "dataElement", "required"),
    ({"orgUnit": "nowhere"}, "orgUnit", "unknown_org_unit"),
    ({"orgUnit": None}, "orgUnit", "required"),
    ({"period": "2026M13"}, "period", "invalid_period"),
    ({"period": "202613"}, "period", "invalid_period"),
    ({"period": "20260105"}, "period", "invalid_period"),
    ({"period": ""}, "period", "required"),
    ({"period": "202601", "dataElement": "deWeekly001"}, "period", "wrong_period_kind"),
    ({"period": "202612"}, "period", "future_period"),
    ({"value": "many"}, "value", "invalid_value"),
    ({"value": "2.5"}, "value", "invalid_value"),
    ({"value": "-1"}, "value", "out_of_range"),
    ({"categoryOptionCombo": "cocUnknown1"}, "categoryOptionCombo", "unknown_combo"),
    ({"dataElement": "deMembers01"}, "categoryOptionCombo", "required"),
    ({"categoryOptionCombo": "cocF1524xxx"}, "categoryOptionCombo", "unexpected_option"),
    ({"attributeOptionCombo": "aocPartner1"}, "attributeOptionCombo", "unknown_attribute_combo"),
    ({"orgUnit": "ouke-cst-mo"}, "orgUnit", "no_group"),  # out of the lead's reach
    ({"value": "x" * 501, "dataElement": "deNotes0001"}, "value", "too_long"),
]


@pytest.mark.parametrize(("over", "prop", "code"), BAD)
def test_bad_values_are_conflicts(world: Any, setup: Any, over: dict[str, Any], prop: str, code: str) -> None:
    summary = run(world.lead, world, dv("4", period="202603"), dv(**({"value": "4"} | over)))
    assert summary["status"] == "WARNING", summary
    assert counts(summary) == (1, 0, 1, 0)
    [conflict] = summary["conflicts"]
    assert (conflict["property"], conflict["errorCode"], conflict["indexes"]) == (prop, code, [1]), conflict
    assert conflict["value"] and conflict["object"]


def test_conflicts_grouped_by_object(world: Any, setup: Any) -> None:
    summary = run(
        world.lead, world, *[dv("1", dataElement="unknownDE01", period=f"20260{m}") for m in (1, 2, 3)]
    )
    assert summary["status"] == "ERROR" and counts(summary) == (0, 0, 3, 0)
    assert [(c["object"], c["indexes"]) for c in summary["conflicts"]] == [("unknownDE01", [0, 1, 2])]


def test_value_not_an_object(world: Any, setup: Any) -> None:
    summary = run(world.lead, world, "oops", dv("1"))
    assert counts(summary) == (1, 0, 1, 0) and summary["conflicts"][0]["object"] == "dataValues[0]"


@pytest.mark.parametrize("text", ["{", "[]", '{"dataValues": 3}', '{"values": []}', "null", b"\xff\xfe"])
def test_malformed_documents(text: Any) -> None:
    with pytest.raises(DomainError):
        dx.parse_payload(text)


def test_locked_period_is_a_conflict(world: Any, setup: Any) -> None:
    period = make_period(world.alpha, "202604")
    Approval.objects.create(
        collective=world.alpha,
        group=world.region_a,
        period=period,
        approved_by=world.coordinator_a,
        approved_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC),
    )
    summary = run(world.lead, world, dv("4"))
    assert summary["conflicts"][0]["errorCode"] == "approved_locked" and not DataValue.objects.exists()
    assert counts(run(world.admin, world, dv("4"))) == (1, 0, 0, 0)  # admins write above the lock


def test_strategies(world: Any, setup: Any) -> None:
    run(world.lead, world, dv("4"))
    summary = run(world.lead, world, dv("9"), dv("3", period="202603"), strategy="CREATE")
    assert counts(summary) == (1, 0, 1, 0) and DataValue.objects.get(period__code="202604").value == 4
    summary = run(world.lead, world, dv("9"), dv("3", period="202602"), strategy="UPDATE")
    assert counts(summary) == (0, 1, 1, 0) and not DataValue.objects.filter(period__code="202602").exists()
    with pytest.raises(DomainError):
        run(world.lead, world, dv("9"), strategy="REPLACE")


def test_dry_run_writes_nothing(world: Any, setup: Any) -> None:
    summary = run(world.lead, world, dv("4"), dry_run=True)
    assert counts(summary) == (1, 0, 0, 0) and summary["importOptions"]["dryRun"] is True
    assert not DataValue.objects.exists()


def test_blank_or_deleted_value_deletes(world: Any, setup: Any) -> None:
    run(world.lead, world, dv("4"), dv("5", period="202603"))
    summary = run(world.lead, world, dv(None), dv("5", period="202603", deleted=True))
    assert counts(summary) == (0, 0, 0, 2)
    assert not DataValue.objects.exists()


def test_members_and_strangers_cannot_import(world: Any, setup: Any) -> None:
    for user in (world.member, world.beta_admin):
        with pytest.raises(NotFound):
            run(user, world, dv("4"))


def _mapped_world(world: Any, setup: Any) -> None:
    april = make_period(world.alpha, "202604")
    make_value(setup["meetings"], world.kibera, april, 4, comment="rain")
    make_value(setup["meetings"], world.mombasa, april, 6)
    make_value(setup["meetings"], world.region_a, april, 1)


def test_export_scoped_to_the_callers_subtree(world: Any, setup: Any) -> None:
    _mapped_world(world, setup)

    def units(user: Any, **kw: Any) -> list[str]:
        export = dx.dhis2_export(viewer=user, collective=world.alpha, **kw)
        return sorted(v["orgUnit"] for v in export.payload["dataValues"])

    assert units(world.admin) == ["ouke-cst-mo", "ouke-nai", "ouke-nai-ki"]
    assert units(world.coordinator_a) == ["ouke-nai", "ouke-nai-ki"]
    assert units(world.coordinator_b) == ["ouke-cst-mo"]
    assert units(world.lead) == ["ouke-nai-ki"]
    assert units(world.admin, org_unit=world.region_a) == ["ouke-nai"]
    assert units(world.admin, org_unit=world.region_a, children=True) == ["ouke-nai", "ouke-nai-ki"]
    for user in (world.member, world.beta_admin):
        with pytest.raises(NotFound):
            units(user)


def test_export_shape_and_unmapped(world: Any, setup: Any) -> None:
    _mapped_world(world, setup)
    Dhis2Mapping.objects.filter(code="ke-cst-mom").delete()
    export = dx.dhis2_export(viewer=world.admin, collective=world.alpha, period_codes=["202604"])
    assert export.unmapped == 1 and export.payload["period"] == "202604"
    first = next(v for v in export.payload["dataValues"] if v["orgUnit"] == "ouke-nai-ki")
    assert first["dataElement"] == "deMeeting01" and first["value"] == "4" and first["comment"] == "rain"
    assert first["categoryOptionCombo"] == dx.DEFAULT_COMBO_UID and first["followup"] is False
    by_code = dx.dhis2_export(viewer=world.admin, collective=world.alpha, schemes=dx.Schemes.parse("CODE"))
    assert {v["dataElement"] for v in by_code.payload["dataValues"]} == {"MTG"}


def test_round_trip_is_all_ignored(world: Any, setup: Any) -> None:
    run(
        world.admin,
        world,
        dv("4", comment="first"),
        dv("2", dataElement="deMembers01", categoryOptionCombo="cocF1524xxx"),
        dv("1", dataElement="deWeekly001", period="2026W5"),
        dv("long text", dataElement="deNotes0001"),
    )
    export = dx.dhis2_export(viewer=world.admin, collective=world.alpha)
    assert len(export.payload["dataValues"]) == 4 and export.unmapped == 0
    before = list(DataValue.objects.order_by("id").values_list("value", "text", "comment", "updated_at"))
    summary = run(world.admin, world, payload=json.loads(json.dumps(export.payload)))
    assert summary["status"] == "SUCCESS" and counts(summary) == (0, 0, 4, 0), summary
    assert (
        list(DataValue.objects.order_by("id").values_list("value", "text", "comment", "updated_at")) == before
    )


def test_generate_mappings(world: Any) -> None:
    make_sex_age(world.alpha)
    make_indicator(world.alpha, code="meetings")
    created = dx.dhis2_mappings_generate(actor=world.admin, collective=world.alpha)
    assert created["indicator"] == 1 and created["option"] == 6 and created["group"] >= 6
    again = dx.dhis2_mappings_generate(actor=world.admin, collective=world.alpha)
    assert not any(again.values())
    uid = Dhis2Mapping.objects.get(kind="indicator").dhis2_id
    assert len(uid) == 11 and uid[0].isalpha() and uid == dx.make_uid(world.alpha.pk, "indicator", "meetings")
    with pytest.raises(DomainError):
        dx.dhis2_mappings_generate(actor=world.coordinator_a, collective=world.alpha)


def test_mapping_services_check_references(world: Any) -> None:
    make_indicator(world.alpha, code="meetings")
    mapping = dx.dhis2_mapping_create(
        actor=world.admin, collective=world.alpha, kind="indicator", code="meetings", dhis2_id="abc"
    )
    for kwargs, field in [
        ({"kind": "indicator", "code": "nothing", "dhis2_id": "x"}, "code"),
        ({"kind": "indicator", "code": "meetings", "dhis2_id": "y"}, "code"),
        ({"kind": "group", "code": "ke", "dhis2_id": "", "dhis2_code": ""}, "dhis2_id"),
        ({"kind": "period", "code": "2026-13", "dhis2_id": "2026S2"}, "code"),
        ({"kind": "planet", "code": "x", "dhis2_id": "x"}, "kind"),
    ]:
        with pytest.raises(DomainError) as error:
            dx.dhis2_mapping_create(actor=world.admin, collective=world.alpha, **kwargs)
        assert error.value.problems[0].field == field, kwargs
    with pytest.raises(DomainError):
        dx.dhis2_mapping_create(
            actor=world.coordinator_a, collective=world.alpha, kind="group", code="ke", dhis2_id="k"
        )
    dx.dhis2_mapping_update(actor=world.admin, mapping=mapping, dhis2_code="MTG")
    assert Dhis2Mapping.objects.get().dhis2_code == "MTG"
    dx.dhis2_mapping_delete(actor=world.admin, mapping=mapping)
    assert not Dhis2Mapping.objects.exists()


def test_demo_mapping_then_export_import_round_trip(world: Any, setup: Any) -> None:
    """The demo's hook maps everything not mapped yet; with it, an admin's export re-imports unchanged."""
    from minga.measurement import demo_dhis2

    april = make_period(world.alpha, "202604")
    make_value(setup["meetings"], world.backbone, april, 2)  # the backbone group was not mapped
    assert dx.dhis2_export(viewer=world.admin, collective=world.alpha).unmapped == 1
    made = demo_dhis2.populate(collective=world.alpha, actor=world.admin, progress=None)
    assert made["dhis2_mappings"] >= 2
    export = dx.dhis2_export(viewer=world.admin, collective=world.alpha)
    assert export.unmapped == 0 and len(export.payload["dataValues"]) == 1
    assert counts(run(world.admin, world, payload=export.payload)) == (0, 0, 1, 0)


def test_demo_hook_on_the_tiny_demo(db: Any) -> None:
    """On the generated demo: the hook maps the demo's definitions, and the operator's export of a month
    re-imports as all ignored."""
    from django.contrib.auth import get_user_model

    from minga.demo.generate import OPERATOR_EMAIL, demo_collective, generate_demo
    from minga.measurement import demo_dhis2

    generate_demo(size="tiny", seed=7, today=dt.date(2026, 3, 1), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    operator = get_user_model().objects.get(email=OPERATOR_EMAIL)
    # The demo maps its definitions as it is generated; mapping again finds nothing left to map.
    assert Dhis2Mapping.objects.filter(collective=collective).exists()
    made = demo_dhis2.populate(collective=collective, actor=operator, progress=None)
    assert made["dhis2_mappings"] == 0
    export = dx.dhis2_export(viewer=operator, collective=collective, period_codes=["202602"])
    assert export.unmapped == 0 and export.payload["dataValues"]
    summary = dx.dhis2_import(actor=operator, collective=collective, payload=export.payload, dry_run=True)
    assert summary.imported == summary.updated == 0 and summary.ignored == len(export.payload["dataValues"])
