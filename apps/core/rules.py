"""The small rules that several entities share, written once.

Model fields carry them as validators, so an entity's Settings form (a ModelForm, which runs
the model's full_clean) and its configuration-file section (config.model_errors) judge a value
by the same rule and say the same words. Rules a single entity owns stay on its model.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator

# A secret is referenced by the name of the environment variable holding it (`url_env`,
# `api_key_env`, `password_env`), never written in a form or the file.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_name_problem(value: Any, what: str = "URL") -> str | None:
    """Why `value` is not an environment variable's name, in words (None when it is one);
    `what` the variable holds ("URL", "key") names what was pasted in its place."""
    if not isinstance(value, str):
        return "must be the name of an environment variable, like HOMEOPS_DISCORD_URL"
    if "://" in value or "/" in value:
        return f"name the environment variable that holds the {what} (like HOMEOPS_DISCORD_URL), not the {what} itself"
    if not ENV_NAME.fullmatch(value):
        return "letters, digits and _ only, not starting with a digit (an environment variable's name)"
    return None


def validate_env_name(value: str) -> None:
    """Model-field validator: blank is left to the field's own `blank` rule."""
    if value and (problem := env_name_problem(value, "secret")):
        raise ValidationError(problem, code="env_name")


# Names that appear in addresses (/ping/<name>, /v1 aliases, ...).
ADDRESS_NAME = r"\A[A-Za-z0-9_-]+\Z"


def address_name_saying(message: str) -> RegexValidator:
    """The address-name rule in an entity's own words ("Use letters, ... like studio")."""
    return RegexValidator(ADDRESS_NAME, message, code="address_name")


address_name = address_name_saying("letters, digits, - and _ only (it is used in addresses)")


def _plain(number: float) -> str:
    """31622400, not 3.16224e+07 as :g would write it; 0.5 stays 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def between(low: float, high: float, unit: str = "", words: str = "") -> list[Any]:
    """Validators for a bounded number, with one message for both ends:
    "must be from 5 to 86400 seconds", or the field's own `words` (which should name the bounds)."""
    words = words or f"must be from {_plain(low)} to {_plain(high)}" + (f" {unit}" if unit else "")
    return [MinValueValidator(low, message=words), MaxValueValidator(high, message=words)]


def whole_between(low: int, high: int, words: str = "") -> list[Any]:
    """Validators for a bounded count, with one message for both ends and thousands marked:
    "must be a whole number from 1 to 1,000,000", or the field's own `words`."""
    words = words or f"must be a whole number from {low:,} to {high:,}"
    return [MinValueValidator(low, message=words), MaxValueValidator(high, message=words)]


def number_words(words: str) -> dict[str, str]:
    """A number field's error_messages: empty, or not a number, said in one sentence that says
    what to write ("Write how many seconds between checks, from 5 to 86400, like 60.")."""
    return {"blank": words, "null": words, "invalid": words}


def number_problem(value: Any, *, whole: bool = False) -> str | None:
    """A YAML value that is not a number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a whole number" if whole else "must be a number"
    if whole and isinstance(value, float) and not value.is_integer():
        return "must be a whole number"
    return None
