"""What every API router shares: authentication, the error shape, cursor pagination, idempotent writes
and the locally served docs page. Handlers import from here; `minga/api.py` wires it into the NinjaAPI."""

from minga.core.api_support.auth import ApiAuth, ApiRequest, ReadOnlyApiAuth, api_user
from minga.core.api_support.errors import ERROR_RESPONSES, Conflict, ErrorsOut, install_error_handlers
from minga.core.api_support.idempotency import idempotent, is_idempotent
from minga.core.api_support.pagination import Page, PageParams, paginate
from minga.core.api_support.references import fields_as, reference, references

__all__ = [
    "ERROR_RESPONSES",
    "ApiAuth",
    "ApiRequest",
    "Conflict",
    "ErrorsOut",
    "Page",
    "PageParams",
    "ReadOnlyApiAuth",
    "api_user",
    "fields_as",
    "idempotent",
    "install_error_handlers",
    "is_idempotent",
    "paginate",
    "reference",
    "references",
]
