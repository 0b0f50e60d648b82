from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.validators import DecimalValidator, EmailValidator, MaxLengthValidator
        from django.utils.module_loading import autodiscover_modules
        from django.utils.translation import ngettext_lazy

        # "Ensure this value has at most 200 characters (it has 230)." reads like a compiler;
        # every length limit (model fields, forms, the configuration file) says it this way
        # instead. One class attribute, so no form or section can be missed.
        MaxLengthValidator.message = ngettext_lazy(
            "Too long: at most %(limit_value)d character (this has %(show_value)d).",
            "Too long: at most %(limit_value)d characters (this has %(show_value)d).",
            "limit_value",
        )
        EmailValidator.message = "Write an email address, like sam@example.com."
        # Decimal fields (money, watts, the price per kWh) say it the same way.
        DecimalValidator.messages = {
            **DecimalValidator.messages,
            "max_digits": "Too large: at most %(max)s digits in all.",
            "max_decimal_places": "Too many decimals: at most %(max)s after the point.",
            "max_whole_digits": "Too large: at most %(max)s digits before the point.",
        }

        # Each app's panels.py registers what it adds to the shared pages (apps/core/panels.py).
        autodiscover_modules("panels")
