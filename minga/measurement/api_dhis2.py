"""DHIS2 interoperability in the API: dataValueSets in and out (mounted under /api/v1/)."""

from ninja import Router

router = Router(tags=["measurement: DHIS2"])
