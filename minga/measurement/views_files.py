"""Spreadsheets of data values in the wide layout (`bulk_wide`): the page listing a blank template per
indicator set, the upload and the wide exports, and the template download. For the people who report
(`services.may_report`); a 404 for everybody else.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from minga.architecture.access import access_collective
from minga.core.bulk import formats
from minga.core.bulk.template_files import template_csv, template_xlsx
from minga.core.errors import NotFound
from minga.core.models import Collective
from minga.measurement import services
from minga.measurement.bulk_wide import KIND, set_template_type
from minga.measurement.models import IndicatorSet


def _reporter(request: HttpRequest, slug: str) -> Collective:
    collective = access_collective(request.user, slug)
    if not services.may_report(request.user, collective):
        raise NotFound("page")
    return collective


@require_GET
def files(request: HttpRequest, slug: str) -> HttpResponse:
    """The forms as spreadsheets: a template of each, the upload, the wide exports."""
    collective = _reporter(request, slug)
    sets = (
        IndicatorSet.objects.visible_to(request.user)
        .filter(collective=collective)
        .prefetch_related("items__indicator")
        .order_by("name", "id")
    )
    context = {"collective": collective, "sets": sets, "kind": KIND, "nav": "measurement"}
    return render(request, "measurement/files.html", context)


@require_GET
def set_template(request: HttpRequest, slug: str, set_id: int, fmt: str) -> HttpResponse:
    """A blank wide file for one form: group, period, then one column per indicator (and option)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("format")
    collective = _reporter(request, slug)
    indicator_set = (
        IndicatorSet.objects.visible_to(request.user).filter(collective=collective, pk=set_id).first()
    )
    if indicator_set is None:
        raise NotFound("indicator set")
    record_type = set_template_type(indicator_set)
    content = template_xlsx(record_type) if fmt == "xlsx" else template_csv(record_type)
    response = HttpResponse(content, content_type=formats.CONTENT_TYPES[fmt])
    name = f"{collective.slug}-{indicator_set.code}-template.{fmt}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    return response
