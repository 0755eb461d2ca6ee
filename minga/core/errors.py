"""Errors are data: a code, a location and a plain-language message.

Services raise `DomainError`; the web UI, the JSON API and import reports all render its problems the
same way, so a rule explains itself identically everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DomainError(Exception):
    """A request that breaks a rule. Carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, code: str, message: str, *, field: str | None = None) -> DomainError:
        return cls([Problem(code=code, message=message, field=field)])

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> DomainError:
        problems: list[Problem] = []
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                for item in errors:
                    message = " ".join(item.messages)
                    problems.append(
                        Problem(
                            code=item.code or "invalid",
                            message=message,
                            field=_unique_field(item) if field == NON_FIELD_ERRORS else field,
                        )
                    )
        else:
            for item in error.error_list:
                problems.append(Problem(code=item.code or "invalid", message=" ".join(item.messages)))
        return cls(problems)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [p.as_dict() for p in self.problems]


def full_clean(instance: Any, *, exclude: list[str] | None = None) -> None:
    """Run the model's own validation (`full_clean`) and raise what it finds as a DomainError, so a
    service reports a model rule like any other: a code, a field and a message."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise DomainError.from_validation_error(error) from error


def _unique_field(item: ValidationError) -> str | None:
    """A "(collective, code) already exists" error is about `code`: name it, so forms and the API can
    point at the field. Uniqueness over several fields of the row itself stays a whole-row problem."""
    if item.code != "unique_together" or not isinstance(item.params, dict):
        return None
    fields = [f for f in item.params.get("unique_check", ()) if f != "collective"]
    return fields[0] if len(fields) == 1 else None


class NotFound(Exception):
    """Raised by access functions for objects that are missing *or* not visible: callers can't tell."""
