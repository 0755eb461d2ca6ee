"""Forms shared by every app's pages, and the one bridge from a service's `DomainError` to a form.

Forms only parse and check the shape of input; the rules live in the services. When a service refuses,
`add_problems` puts each problem next to the field it is about, so the page explains itself the same way
the API does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from minga.core.errors import DomainError


def add_problems(form: forms.BaseForm, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Attach every problem of `error` to `form`: on its field when the form has one, else on the form.

    `aliases` maps a service's field name to the form's (e.g. {"parent": "new_parent"}); for a problem
    without a field, its code may be mapped too (e.g. {"unique_together": "code"} when the only
    multi-column unique rule of the model is about that field).
    """
    aliases = aliases or {}
    for problem in error.problems:
        key = problem.field if problem.field else problem.code
        name = aliases.get(key, problem.field)
        if name and name in form.fields:
            # add_error would drop the field from cleaned_data; the form is re-rendered anyway.
            form.add_error(name, problem.message)
        else:
            form.add_error(None, problem.message)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for an email address (our backend authenticates by email)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "Email"
        username.widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
        self.error_messages["invalid_login"] = (
            "This email and password do not match an account. Check both and try again."
        )


class SetPasswordForm(forms.Form):
    """Choose a password (invitation acceptance). Strength rules are checked by the service."""

    password = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not only digits, not a common password.",
    )
    password_confirm = forms.CharField(
        label="Repeat the password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("password")
            and data.get("password_confirm")
            and data["password"] != data["password_confirm"]
        ):
            self.add_error("password_confirm", "The two passwords differ.")
        return data
