"""Pages of collective activities: the list with filters, the month calendar, the activity page and its
forms, the five areas side by side, and campaigns. Institutions, outcomes and stories are in
`views_evidence.py`.

Views parse, call an access function, a selector or a service, and render; `NotFound` becomes a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from minga.activities import selectors, services
from minga.activities.access import access_activity, access_campaign
from minga.activities.forms import ActivityFilterForm, ActivityForm, CampaignForm, SignupForm
from minga.activities.models import Activity, ActivityType, Area, Attendance
from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group
from minga.core.charts import render_svg
from minga.core.errors import DomainError
from minga.core.forms import add_problems
from minga.core.models import Collective
from minga.learning.models import Practice, Resource

GROUP_CHOICES_LIMIT = 500


def _visible_groups(user: Any, collective: Collective) -> list[Group]:
    return list(
        Group.objects.visible_to(user)
        .filter(collective=collective)
        .only("id", "name")
        .order_by("name")[:GROUP_CHOICES_LIMIT]
    )


def _owner_groups(user: Any, collective: Collective) -> list[Group]:
    """Groups `user` may record activities for (lead, coordinator subtree, admin)."""
    return list(
        Group.objects.editable_by(user)
        .filter(collective=collective)
        .only("id", "name")
        .order_by("name")[:GROUP_CHOICES_LIMIT]
    )


def _types(collective: Collective) -> list[ActivityType]:
    # Read for an accessed collective (configuration vocabulary).
    return list(ActivityType.objects.filter(collective=collective).order_by("order", "name"))


def _filters(
    request: HttpRequest, collective: Collective
) -> tuple[ActivityFilterForm, selectors.ActivityFilters]:
    user = request.user
    form = ActivityFilterForm(request.GET, types=_types(collective), groups=_visible_groups(user, collective))
    group_id = form.value("group")
    group = (
        Group.objects.visible_to(user).filter(collective=collective, pk=group_id).first()
        if group_id
        else None
    )
    filters = selectors.ActivityFilters(
        q=(form.value("q") or "").strip(),
        area=form.value("area") or "",
        status=form.value("status") or "",
        type=form.value("type"),
        group=group,
        starts_from=form.value("starts_from"),
        starts_until=form.value("starts_until"),
    )
    return form, filters


def _page(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _may_record(user: Any, collective: Collective) -> bool:
    return Group.objects.editable_by(user).filter(collective=collective).exists()


def form_page(
    request: HttpRequest, collective: Any, form: Any, *, title: str, cancel: str, intro: str = ""
) -> HttpResponse:
    """A form on its own page (new institution, outcome, story…): 422 when it came back with errors."""
    return render(
        request,
        "activities/simple_form.html",
        {
            "collective": collective,
            "nav": "activities",
            "form": form,
            "title": title,
            "intro": intro,
            "cancel": cancel,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@require_GET
def activity_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    form, filters = _filters(request, collective)
    page = _page(request.GET.get("page"))
    rows, has_next = selectors.activity_page(request.user, collective, filters, page=page)
    return render(
        request,
        "activities/activity_list.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "list",
            "form": form,
            "activities": rows,
            "page": page,
            "has_next": has_next,
            "can_create": _may_record(request.user, collective),
        },
    )


@require_GET
def activity_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    form, filters = _filters(request, collective)
    today = timezone.localdate()
    try:
        first = dt.date.fromisoformat(f"{request.GET.get('month', '')}-01")
    except ValueError:
        first = today.replace(day=1)
    weeks = selectors.activity_calendar(request.user, collective, first.year, first.month, filters)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "activities/activity_calendar.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "calendar",
            "form": form,
            "weeks": weeks,
            "month": first,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "today": today,
        },
    )


@require_GET
def activity_detail(request: HttpRequest, slug: str, activity_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    activity = access_activity(user, activity_id, collective=collective)
    visible = Group.objects.visible_to(user)
    can_edit = Activity.objects.editable_by(user).filter(pk=activity.pk).exists()
    return render(
        request,
        "activities/activity_detail.html",
        {
            "collective": collective,
            "nav": "activities",
            "activity": activity,
            "participants": list(activity.participants.filter(pk__in=visible.values("id")).order_by("name")),
            "attendance": list(
                Attendance.objects.visible_to(user).filter(activity=activity).select_related("person")
            ),
            "campaign": getattr(activity, "campaign", None),
            "engagements": list(activity.engagements.visible_to(user).select_related("institution")),
            "outcomes": list(activity.contributed_outcomes.visible_to(user)),
            "stories": list(activity.stories.visible_to(user)),
            "indicators": list(activity.indicators.visible_to(user)),
            "practices": list(Practice.objects.visible_to(user).filter(collective_activities=activity)),
            "resources": list(Resource.objects.visible_to(user).filter(collective_activities=activity)),
            "can_edit": can_edit,
            "can_campaign": can_edit and activity.area == Area.MOVEMENT,
        },
    )


def _activity_form(
    request: HttpRequest, collective: Collective, *, initial: dict[str, Any] | None = None
) -> ActivityForm:
    user = request.user
    return ActivityForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        types=_types(collective),
        owners=_owner_groups(user, collective),
        groups=_visible_groups(user, collective),
    )


def _activity_fields(form: ActivityForm, collective: Collective) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("group")
    data.pop("participants")
    type_id = data.pop("type")
    data["type"] = ActivityType.objects.filter(collective=collective, pk=type_id).first() if type_id else None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    area = request.GET.get("area", "")
    form = _activity_form(
        request,
        collective,
        initial={
            "area": area if area in Area.values else "",
            "starts_on": timezone.localdate(),
            "status": "planned",
            "visibility": "public",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = access_group(user, form.cleaned_data["group"], collective=collective)
            participants = list(
                Group.objects.visible_to(user).filter(
                    collective=collective, pk__in=form.cleaned_data["participants"]
                )
            )
            activity = services.activity_create(
                actor=user,
                collective=collective,
                group=group,
                participants=participants,
                **_activity_fields(form, collective),
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Activity recorded.")
            return redirect("activities:activity_detail", collective.slug, activity.pk)
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "activities/activity_form.html",
        {"collective": collective, "nav": "activities", "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, slug: str, activity_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    activity = access_activity(user, activity_id, for_edit=True, collective=collective)
    initial = {name: getattr(activity, name) for name in services.ACTIVITY_FIELDS if name != "type"}
    initial.update(
        type=activity.type_id,
        group=activity.group_id,
        participants=list(activity.participants.values_list("id", flat=True)),
    )
    form = _activity_form(request, collective, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group = access_group(user, form.cleaned_data["group"], collective=collective)
            participants = list(
                Group.objects.visible_to(user).filter(
                    collective=collective, pk__in=form.cleaned_data["participants"]
                )
            )
            services.activity_update(
                actor=user,
                activity=activity,
                group=group,
                participants=participants,
                **_activity_fields(form, collective),
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("activities:activity_detail", collective.slug, activity.pk)
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "activities/activity_form.html",
        {"collective": collective, "nav": "activities", "form": form, "activity": activity},
        status=status,
    )


# --- the five areas -------------------------------------------------------------------------------


@require_GET
def areas(request: HttpRequest, slug: str) -> HttpResponse:
    """The five areas side by side for the collective, or for the subtree of `?group=`."""
    user = request.user
    collective = access_collective(user, slug)
    group = None
    group_id = request.GET.get("group")
    if group_id and group_id.isdigit():
        group = access_group(user, int(group_id), collective=collective)
    overview = selectors.areas_overview(user, collective, group=group, today=timezone.localdate())
    chart = (
        render_svg(selectors.momentum_chart_spec(overview))
        if any(m["activities"] for m in overview.momentum)
        else ""
    )
    return render(
        request,
        "activities/areas.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "areas",
            "overview": overview,
            "group": group,
            "ancestors": list(
                Group.objects.visible_to(user).filter(pk__in=group.ancestor_ids).order_by("depth")
            )
            if group
            else [],
            "chart": chart,
            "areas": [(a, selectors.AREA_SHORT[Area(a)]) for a in Area.values],
        },
    )


# --- campaigns ------------------------------------------------------------------------------------


@require_GET
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    from django.db.models import Sum

    from minga.activities.models import Campaign

    collective = access_collective(request.user, slug)
    campaigns = list(
        Campaign.objects.visible_to(request.user)
        .filter(activity__collective=collective)
        .select_related("activity", "activity__group")
        .annotate(total=Sum("signups__count"))
        .order_by("-activity__starts_on")[:200]
    )
    for c in campaigns:
        c.percent = min(100, round(100 * (c.total or 0) / c.goal)) if c.goal else 0
    return render(
        request,
        "activities/campaign_list.html",
        {"collective": collective, "nav": "activities", "sub": "campaigns", "campaigns": campaigns},
    )


@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    campaign = access_campaign(user, campaign_id)
    if campaign.activity.collective_id != collective.pk:
        return redirect("activities:activity_list", collective.slug)
    owners = _owner_groups(user, collective) if user.is_authenticated else []
    form = SignupForm(request.POST if request.method == "POST" else None, groups=owners) if owners else None
    if request.method == "POST":
        if form is None:
            return redirect("login")
        if form.is_valid():
            try:
                group = access_group(user, form.cleaned_data["group"], collective=collective)
                services.signup_record(
                    actor=user,
                    campaign=campaign,
                    group=group,
                    count=form.cleaned_data["count"],
                    signed_on=form.cleaned_data["signed_on"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                add_problems(form, error)
            else:
                messages.success(request, "Sign-ups added.")
                return redirect("activities:campaign_detail", collective.slug, campaign.pk)
    progress = selectors.campaign_progress(user, campaign)
    chart = render_svg(selectors.campaign_chart_spec(progress)) if len(progress.momentum) > 1 else ""
    status = 422 if form is not None and form.is_bound and form.errors else 200
    return render(
        request,
        "activities/campaign_detail.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "campaigns",
            "campaign": campaign,
            "progress": progress,
            "chart": chart,
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest, slug: str, activity_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    activity = access_activity(user, activity_id, for_edit=True, collective=collective)
    form = CampaignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=user, activity=activity, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error)
        else:
            return redirect("activities:campaign_detail", collective.slug, campaign.pk)
    return form_page(
        request,
        collective,
        form,
        title=f"Make “{activity.title}” a campaign",
        cancel=reverse("activities:activity_detail", args=[collective.slug, activity.pk]),
    )
