"""datavalues_upsert and the definitions, approvals and targets services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from minga.measurement import services
from minga.measurement.ingest import ValueIn, parse_value
from minga.measurement.models import DataValue, DataValueHistory, ValueType
from tests.factories.architecture import kind
from tests.factories.measurement import make_indicator, make_period, make_sex_age

TODAY = dt.date(2026, 5, 15)


def upsert(actor: Any, world: Any, values: list[ValueIn], **kw: Any) -> Any:
    return services.datavalues_upsert(actor=actor, collective=world.alpha, values=values, today=TODAY, **kw)


def v(indicator: str, group: str, period: str, value: Any, option: str = "", location: int = 0) -> ValueIn:
    return ValueIn(
        indicator=indicator, group=group, period=period, value=value, option=option, location=location
    )


@pytest.fixture
def meetings(world: Any) -> Any:
    return make_indicator(world.alpha, code="meetings", min_value=0, max_value=100)


def codes(outcome: Any) -> list[str]:
    return [p.code for _, problems in outcome.rejected for p in problems]


def test_create_update_unchanged_and_history(world: Any, meetings: Any) -> None:
    first = upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", "4")])
    assert (first.created, first.updated, first.unchanged, first.rejected) == (1, 0, 0, [])
    again = upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", 4)])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", "5")])
    assert changed.updated == 1
    stored = DataValue.objects.get()
    assert stored.value == 5 and stored.entered_by == world.lead and stored.period.code == "202604"
    history = DataValueHistory.objects.get()
    assert (history.old_value, history.new_value, history.changed_by) == (4, 5, world.lead)
    assert AuditEntry.objects.filter(action="datavalues.upsert").count() == 2


def test_blank_value_deletes_and_keeps_history(world: Any, meetings: Any) -> None:
    upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", 3)])
    outcome = upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", "")])
    assert outcome.deleted == 1 and not DataValue.objects.exists()
    assert DataValueHistory.objects.get().deleted


def test_dry_run_writes_nothing(world: Any, meetings: Any) -> None:
    outcome = upsert(world.admin, world, [v("meetings", "ke-nai-kib", "202604", 3)], dry_run=True)
    assert outcome.created == 1
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("abc", "invalid_value"),
        ("1.5", "invalid_value"),
        ("-1", "out_of_range"),
        ("101", "out_of_range"),
        ("nan", "invalid_value"),
    ],
)
def test_bad_values_are_rejected_with_reason(world: Any, meetings: Any, value: str, code: str) -> None:
    outcome = upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", value, location=7)])
    assert codes(outcome) == [code]
    assert outcome.rejected[0][0] == 7
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (v("nope", "ke-nai-kib", "202604", 1), "unknown_indicator"),
        (v("meetings", "nope", "202604", 1), "no_group"),
        (v("meetings", "ke-nai-kib", "2026-13", 1), "invalid_period"),
        (v("meetings", "ke-nai-kib", "2026Q1", 1), "wrong_period_kind"),
        (v("meetings", "ke-nai-kib", "202612", 1), "future_period"),
        (v("meetings", "ke-nai-kib", "202604", 1, option="f.0-14"), "unexpected_option"),
        (v("", "ke-nai-kib", "202604", 1), "required"),
    ],
)
def test_bad_references_are_rejected(world: Any, meetings: Any, item: ValueIn, code: str) -> None:
    outcome = upsert(world.admin, world, [item])
    assert code in codes(outcome)


def test_valid_values_are_written_beside_rejected_ones(world: Any, meetings: Any) -> None:
    outcome = upsert(
        world.admin,
        world,
        [
            v("meetings", "ke-nai-kib", "202604", 1, location=0),
            v("meetings", "ke-nai-kib", "202604", "x", location=1),
        ],
    )
    # The second one has the same key and a bad value: it is refused for its value.
    assert outcome.created == 1 and codes(outcome) == ["invalid_value"]


def test_duplicate_key_in_batch(world: Any, meetings: Any) -> None:
    outcome = upsert(
        world.admin,
        world,
        [
            v("meetings", "ke-nai-kib", "202604", 1, location=0),
            v("meetings", "ke-nai-kib", "202604", 2, location=1),
        ],
    )
    assert outcome.created == 1 and codes(outcome) == ["duplicate_in_batch"]


def test_lead_writes_only_their_group(world: Any, meetings: Any) -> None:
    outcome = upsert(
        world.lead, world, [v("meetings", "ke-cst-mom", "202604", 1), v("meetings", "ke-nai", "202604", 1)]
    )
    assert codes(outcome) == ["no_group", "no_group"]


def test_coordinator_writes_their_subtree_only(world: Any, meetings: Any) -> None:
    outcome = upsert(
        world.coordinator_a,
        world,
        [v("meetings", "ke-nai-kib", "202604", 1), v("meetings", "ke-cst-mom", "202604", 1)],
    )
    assert outcome.created == 1 and codes(outcome) == ["no_group"]


def test_member_and_other_collective_cannot_write(world: Any, meetings: Any) -> None:
    for actor in (world.member, world.beta_admin, None):
        outcome = upsert(actor, world, [v("meetings", "ke-nai-kib", "202604", 1)])
        assert codes(outcome) == ["no_group"]


def test_disaggregated_values(world: Any) -> None:
    make_indicator(world.alpha, code="enrolled", disaggregation=make_sex_age(world.alpha))
    outcome = upsert(
        world.lead,
        world,
        [
            v("enrolled", "ke-nai-kib", "202604", 3, option="f.0-14"),
            v("enrolled", "ke-nai-kib", "202604", 4, option="M.0-14"),
            v("enrolled", "ke-nai-kib", "202604", 4, option=""),
            v("enrolled", "ke-nai-kib", "202604", 4, option="x.1"),
        ],
    )
    assert outcome.created == 2
    assert codes(outcome) == ["required", "unknown_option"]
    assert list(DataValue.objects.order_by("value").values_list("value", flat=True)) == [3, 4]


def test_required_indicator_refuses_blank(world: Any) -> None:
    make_indicator(world.alpha, code="members", required=True)
    outcome = upsert(world.lead, world, [v("members", "ke-nai-kib", "202604", "")])
    assert codes(outcome) == ["required"]


def test_kind_and_active_dates(world: Any) -> None:
    make_indicator(world.alpha, code="regional", kinds=[kind(world.alpha, "region")])
    make_indicator(world.alpha, code="old", active_until=dt.date(2025, 12, 31))
    outcome = upsert(
        world.admin, world, [v("regional", "ke-nai-kib", "202604", 1), v("old", "ke-nai-kib", "202604", 1)]
    )
    assert codes(outcome) == ["kind_not_reporting", "inactive_indicator"]


def test_closed_period_refuses_all_but_admins(world: Any, meetings: Any) -> None:
    make_period(world.alpha, "202603", closes_on=dt.date(2026, 4, 10))
    assert codes(upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202603", 1)])) == ["period_closed"]
    assert upsert(world.admin, world, [v("meetings", "ke-nai-kib", "202603", 1)]).created == 1


def test_approval_locks_lower_levels_and_admin_unlocks(world: Any, meetings: Any) -> None:
    upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", 1)])
    period = make_period(world.alpha, "202604")
    approval = services.approval_approve(actor=world.coordinator_a, group=world.region_a, period=period)
    assert codes(upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", 2)])) == ["approved_locked"]
    assert codes(upsert(world.coordinator_a, world, [v("meetings", "ke-nai-kib", "202604", 2)])) == [
        "approved_locked"
    ]
    # Another period is not locked; the admin is above every level.
    assert upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202603", 2)]).created == 1
    assert upsert(world.admin, world, [v("meetings", "ke-nai-kib", "202604", 2)]).updated == 1
    with pytest.raises(NotFound):
        services.approval_unlock(actor=world.coordinator_a, approval=approval, reason="typo")
    with pytest.raises(DomainError) as error:
        services.approval_unlock(actor=world.admin, approval=approval, reason=" ")
    assert error.value.problems[0].code == "required"
    services.approval_unlock(actor=world.admin, approval=approval, reason="The lead found a typo.")
    assert upsert(world.lead, world, [v("meetings", "ke-nai-kib", "202604", 3)]).updated == 1


def test_approval_rules(world: Any) -> None:
    period = make_period(world.alpha, "202604")
    with pytest.raises(NotFound):
        services.approval_approve(actor=world.lead, group=world.kibera, period=period)
    with pytest.raises(NotFound):
        services.approval_approve(actor=world.coordinator_b, group=world.region_a, period=period)
    services.approval_approve(actor=world.admin, group=world.kenya, period=period)
    with pytest.raises(DomainError) as error:
        services.approval_approve(actor=world.coordinator_a, group=world.region_a, period=period)
    assert error.value.problems[0].code == "already_approved"


def test_validation_rule_warns_on_entry(world: Any) -> None:
    girls = make_indicator(world.alpha, code="girls")
    children = make_indicator(world.alpha, code="children")
    services.validation_rule_create(
        actor=world.admin,
        collective=world.alpha,
        name="Girls within children",
        left=girls,
        operator="<=",
        right=children,
    )
    outcome = upsert(
        world.lead, world, [v("girls", "ke-nai-kib", "202604", 9), v("children", "ke-nai-kib", "202604", 5)]
    )
    assert outcome.created == 2
    assert [w.code for w in outcome.warnings] == ["rule_broken"]
    fixed = upsert(world.lead, world, [v("children", "ke-nai-kib", "202604", 12)])
    assert fixed.warnings == []


def test_batch_limit(world: Any, meetings: Any) -> None:
    with pytest.raises(DomainError) as error:
        upsert(world.admin, world, [v("meetings", "ke-nai-kib", "202604", 1)] * 10_001)
    assert error.value.problems[0].code == "batch_too_large"


@pytest.mark.parametrize(
    ("raw", "value_type", "expected"),
    [
        ("1,250", ValueType.INTEGER, 1250.0),
        ("2,5", ValueType.NUMBER, 2.5),
        ("yes", ValueType.YES_NO, 1.0),
        (False, ValueType.YES_NO, 0.0),
        ("55.5", ValueType.PERCENTAGE, 55.5),
    ],
)
def test_parse_value(raw: Any, value_type: str, expected: float) -> None:
    assert parse_value(raw, value_type)[0] == expected


def test_indicator_definitions_are_for_admins(world: Any) -> None:
    with pytest.raises(DomainError):
        services.indicator_create(actor=world.coordinator_a, collective=world.alpha, code="x", name="X")
    dis = services.disaggregation_create(
        actor=world.admin,
        collective=world.alpha,
        code="sex",
        name="Sex",
        categories=[{"code": "sex", "options": [["f", "Female"], ["m", "Male"]]}],
    )
    indicator = services.indicator_create(
        actor=world.admin, collective=world.alpha, code="x", name="X", disaggregation=dis, unit="people"
    )
    assert [o.code for o in dis.options.all()] == ["f", "m"]
    with pytest.raises(DomainError) as error:
        services.indicator_create(actor=world.admin, collective=world.alpha, code="x", name="X again")
    assert error.value.problems[0].code == "duplicate_code"
    services.indicator_update(actor=world.admin, indicator=indicator, name="Renamed")
    assert AuditEntry.objects.filter(action="indicator.update").exists()
