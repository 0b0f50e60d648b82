"""What Settings forms share: a ModelForm field says its model field's own words."""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator

# Form error key <- the model field's error_messages key that means the same.
SAME_MEANING = (("required", "blank"), ("invalid", "invalid"), ("invalid_choice", "invalid_choice"))


def model_words(form: forms.ModelForm) -> None:
    """Give each field the error messages written on its model field (error_messages=..., and
    its bounds' words), in place of Django's form defaults ("This field is required.", "Enter a
    whole number.", "Ensure this value is greater than or equal to 0."). A form checks these
    before the model's full_clean runs, so without this the page would say Django's words where
    the configuration file says the model's. Fields declared on the form keep their own words."""
    for name, field in form.fields.items():
        if name in form.declared_fields:
            continue
        try:
            model_field = form._meta.model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            continue
        # Only the messages the model writes itself, not Django's defaults for the column.
        written = model_field.deconstruct()[3].get("error_messages") or {}
        for form_key, model_key in SAME_MEANING:
            if model_key in written:
                field.error_messages[form_key] = written[model_key]
        if isinstance(field, forms.ModelChoiceField) and "invalid" in written:  # a row that is gone
            field.error_messages["invalid_choice"] = written["invalid"]
        # A form number field checks the column's own bounds (0 for a positive integer) with
        # Django's words; the model's bounds (rules.between) say them in ours.
        for validator in model_field.validators:
            if isinstance(validator, MinValueValidator):
                field.error_messages["min_value"] = str(validator.message)
            elif isinstance(validator, MaxValueValidator):
                field.error_messages["max_value"] = str(validator.message)
