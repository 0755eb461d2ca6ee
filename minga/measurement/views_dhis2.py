"""The DHIS2 page of a collective (/c/<slug>/measurement/dhis2/): the code mapping (admins maintain it),
a `dataValueSets` upload checked by a dry run first (summary → confirm), and an export download.

Who sees it: the people who report for the collective (admins, coordinators, leads); others get a 404.
The upload waits in the session between the dry run and the confirmation, keyed by its digest, so the
confirmed import is exactly the file that was checked.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from minga.architecture.access import access_collective
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective
from minga.measurement import dhis2_exchange as dx
from minga.measurement import services
from minga.measurement.models import Indicator, IndicatorSet
from minga.measurement.models_dhis2 import Dhis2Kind

MAX_UPLOAD = 20 * 1024 * 1024
SESSION_KEY = "measurement_dhis2_upload"
PAGE_SIZE = 50


def _reporting_collective(request: HttpRequest, slug: str) -> Collective:
    collective = access_collective(request.user, slug)
    if not services.may_report(request.user, collective):
        raise NotFound("collective")
    return collective


def _page(request: HttpRequest, collective: Collective, **extra: Any) -> HttpResponse:
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()
    mappings = dx.mappings_for(request.user, collective, kind if kind in Dhis2Kind.values else "", search)
    page = Paginator(mappings.order_by("kind", "code", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "collective": collective,
        "nav": "measurement",
        "page_obj": page,
        "kinds": Dhis2Kind.choices,
        "kind": kind,
        "q": search,
        "may_define": services.may_define(request.user, collective),
        "strategies": dx.STRATEGIES,
        "schemes": dx.ID_SCHEMES,
        "indicator_sets": IndicatorSet.objects.filter(collective=collective).order_by("name"),
        "indicators": Indicator.objects.visible_to(request.user)
        .filter(collective=collective)
        .order_by("name"),
        "form": {},
        "errors": [],
        **extra,
    }
    return render(
        request, "measurement/dhis2/index.html", context, status=200 if not extra.get("errors") else 422
    )


@require_GET
def dhis2_index(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _reporting_collective(request, slug))


@require_POST
def dhis2_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1 (a file): a dry run and its summary, with a button to confirm. Step 2 (`confirm`, the
    digest): the same file, imported for real."""
    collective = _reporting_collective(request, slug)
    strategy = request.POST.get("strategy", dx.CREATE_AND_UPDATE)
    scheme = request.POST.get("id_scheme", dx.UID)
    confirm = request.POST.get("confirm", "")
    try:
        if confirm:
            stored = request.session.get(SESSION_KEY) or {}
            if stored.get("digest") != confirm or stored.get("collective") != collective.pk:
                raise DomainError.single(
                    "expired", "That upload is no longer waiting: upload the file again.", field="file"
                )
            text, name = stored["text"], stored["name"]
            strategy, scheme = stored["strategy"], stored["scheme"]
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError.single("required", "Choose a dataValueSets JSON file.", field="file")
            if upload.size and upload.size > MAX_UPLOAD:
                raise DomainError.single("too_large", "Upload at most 20 MB at a time.", field="file")
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise DomainError.single(
                    "invalid_json", "The file is not UTF-8 JSON.", field="file"
                ) from None
            name = upload.name or "upload.json"
        payload = dx.parse_payload(text)
        summary = dx.dhis2_import(
            actor=request.user,
            collective=collective,
            payload=payload,
            dry_run=not confirm,
            strategy=strategy,
            schemes=dx.Schemes.parse(scheme),
        )
    except DomainError as error:
        return _page(request, collective, errors=error.problems)
    digest = ""
    if confirm:
        request.session.pop(SESSION_KEY, None)
        result = summary.as_dict()["importCount"]
        messages.success(
            request,
            f"Imported {name}: {result['imported']} new, {result['updated']} updated, "
            f"{result['ignored']} ignored, {result['deleted']} deleted.",
        )
    else:
        digest = hashlib.sha256(text.encode()).hexdigest()
        request.session[SESSION_KEY] = {
            "digest": digest,
            "collective": collective.pk,
            "text": text,
            "name": name,
            "strategy": strategy,
            "scheme": scheme,
        }
    return render(
        request,
        "measurement/dhis2/summary.html",
        {
            "collective": collective,
            "nav": "measurement",
            "summary": summary.as_dict(),
            "name": name,
            "confirmed": bool(confirm),
            "digest": digest,
            "values": len(payload["dataValues"]),
        },
    )


@require_GET
def dhis2_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Download the values you report for as `dataValueSets` JSON."""
    collective = _reporting_collective(request, slug)
    schemes = dx.Schemes.parse(request.GET.get("id_scheme") or dx.UID)
    table = dx.MappingTable.load(collective)
    try:
        org_unit = None
        if request.GET.get("org_unit"):
            org_unit = dx.find_group(
                request.user, collective, request.GET["org_unit"], table, schemes.org_unit
            )
        periods_given = [p.strip() for p in request.GET.get("period", "").split(",") if p.strip()]
        data_set = request.GET.get("data_set", "")
        indicator = request.GET.get("indicator", "")
        indicator_ids = dx.find_indicators(
            collective,
            table,
            schemes.data_element,
            elements=[indicator] if indicator else [],
            data_set=data_set,
        )
        export = dx.dhis2_export(
            viewer=request.user,
            collective=collective,
            indicator_ids=indicator_ids,
            period_codes=periods_given,
            org_unit=org_unit,
            children=request.GET.get("children") == "on",
            schemes=schemes,
            data_set=data_set,
        )
    except NotFound:
        return _page(
            request,
            collective,
            errors=[DomainError.single("unknown_reference", "No such group.").problems[0]],
        )
    except DomainError as error:
        return _page(request, collective, errors=error.problems)
    response = HttpResponse(
        json.dumps(export.payload, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{collective.slug}-dataValueSets.json"'
    response["X-Minga-Unmapped"] = str(export.unmapped)
    return response


def _back(collective: Collective) -> HttpResponse:
    return redirect(reverse("measurement:dhis2", args=[collective.slug]))


@require_POST
def dhis2_mapping_add(request: HttpRequest, slug: str) -> HttpResponse:
    collective = _reporting_collective(request, slug)
    form = {k: request.POST.get(k, "").strip() for k in ("kind", "code", "dhis2_id", "dhis2_code", "name")}
    try:
        dx.dhis2_mapping_create(actor=request.user, collective=collective, **form)
    except DomainError as error:
        return _page(request, collective, errors=error.problems, form=form)
    messages.success(request, f"Mapped {form['kind']} {form['code']}.")
    return _back(collective)


@require_POST
def dhis2_mapping_delete(request: HttpRequest, slug: str, mapping_id: int) -> HttpResponse:
    collective = _reporting_collective(request, slug)
    mapping = dx.access_mapping(request.user, mapping_id, for_edit=True)
    if mapping.collective.pk != collective.pk:
        raise NotFound("mapping")
    dx.dhis2_mapping_delete(actor=request.user, mapping=mapping)
    messages.success(request, f"Removed the mapping of {mapping.kind} {mapping.code}.")
    return _back(collective)


@require_POST
def dhis2_mapping_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """A CSV of mappings (kind, code, dhis2_id, dhis2_code, name), created or updated by (kind, code)."""
    collective = _reporting_collective(request, slug)
    upload = request.FILES.get("mappings")
    try:
        if upload is None:
            raise DomainError.single("required", "Choose a CSV file of mappings.", field="mappings")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError.single("invalid", "The file is not UTF-8 text.", field="mappings") from None
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"kind", "code"} <= {f.strip().lower() for f in reader.fieldnames}:
            raise DomainError.single(
                "invalid",
                "The first line names the columns: kind,code,dhis2_id,dhis2_code,name.",
                field="mappings",
            )
        rows = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
        result = dx.dhis2_mappings_upsert(actor=request.user, collective=collective, rows=rows)
    except DomainError as error:
        return _page(request, collective, errors=error.problems)
    if result.rejected:
        messages.warning(
            request,
            f"{len({p.row for p in result.rejected})} rows refused: "
            + "; ".join(f"line {(p.row or 0) + 2}: {p.message}" for p in result.rejected[:10]),
        )
    messages.success(
        request, f"Mappings: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
    )
    return _back(collective)


@require_POST
def dhis2_mapping_generate(request: HttpRequest, slug: str) -> HttpResponse:
    collective = _reporting_collective(request, slug)
    try:
        counts = dx.dhis2_mappings_generate(actor=request.user, collective=collective)
    except DomainError as error:
        return _page(request, collective, errors=error.problems)
    made = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "nothing new"
    messages.success(request, f"Generated mappings: {made}.")
    return _back(collective)
