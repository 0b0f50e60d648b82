"""The cost ledger: what the stack costs each month.

A CostItem is one thing that costs money: a purchase (one-off, amortised over its useful life),
a subscription (recurring, with every price it has had kept as a Price row), or something paid
by use (usage: UsageEntry rows, entered by hand or written each night from the gateway's audit
log for a paid backend). Electricity items cost their average watts (entered, or measured by
the status board's NUT check of the UPS) times the household's price per kWh.

Charges are what was actually paid (entered, or imported from a bank's CSV through an
ImportBatch). Reviews record a baseline run rate; creep is measured against the last one.

Money is Decimal. Every amount is kept as written, with its currency and the rate the owner
gave (household units per one unit of that currency); `household_amount` converts. Monthly
figures are computed by figures.py and rounded half-up to cents only when shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

NOTES_LIMIT = 20_000
CURRENCY_WORDS = "Write a three-letter currency code, like USD, EUR or GBP."
currency_code = RegexValidator(r"^[A-Z]{3}\Z", CURRENCY_WORDS, code="currency")
ONE = Decimal(1)

# The days the ledger accepts (a start, a price change, a charge, a usage entry); an end may be
# planned further ahead. A year mistyped as 0001 or 9999 would otherwise make the overview count
# every month since (figures.months) and the import accept it. Shared by the forms, the config
# file, the importer's preview (its dates) and the month parameters of the pages and reports.
EARLIEST_DAY = date(1990, 1, 1)
YEARS_AHEAD = 10
END_YEARS_AHEAD = 50


def latest_day(years: int = YEARS_AHEAD, today: date | None = None) -> date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year + years, day=28)


def day_problem(day: date | None, *, years: int = YEARS_AHEAD) -> str:
    """Words for a day outside the ledger's range (empty when it is inside, or not given)."""
    if day is None:
        return ""
    latest = latest_day(years)
    if EARLIEST_DAY <= day <= latest:
        return ""
    return f"Write a date from {EARLIEST_DAY:%-d %B %Y} to {latest:%-d %B %Y}, like 2025-03-14."


def _days_clean(instance: models.Model, **years_by_field: int) -> dict[str, str]:
    return {
        name: words
        for name, years in years_by_field.items()
        if (words := day_problem(getattr(instance, name), years=years))
    }


class Category(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    SUBSCRIPTION = "subscription", "Subscription"
    CLOUD_API = "cloud_api", "Cloud API"
    ELECTRICITY = "electricity", "Electricity"
    DOMAIN = "domain", "Domain"
    OTHER = "other", "Other"


class Kind(models.TextChoices):
    ONE_OFF = "one_off", "One-off purchase"
    RECURRING = "recurring", "Recurring"
    USAGE = "usage", "Paid by use"


class Period(models.TextChoices):
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"
    YEARLY = "yearly", "Every year"


class Money(models.Model):
    """An amount as written, in its currency, with the rate to the household's currency."""

    amount = models.DecimalField(max_digits=14, decimal_places=4)
    currency = models.CharField(max_length=3, validators=[currency_code])  # set by the services
    rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        default=ONE,
        validators=[MinValueValidator(Decimal("0.00000001"), "The exchange rate must be more than 0.")],
        help_text="Household currency per one unit of this currency; 1 when it is the household's.",
    )

    class Meta:
        abstract = True

    @property
    def household_amount(self) -> Decimal:
        return self.amount * self.rate


class LedgerSettings(models.Model):
    """One row: the household's currency, electricity tariff, creep threshold and the cloud
    alternative the run rate is compared with. In the config file as `ledger:`."""

    currency = models.CharField(max_length=3, default="USD", validators=[currency_code])
    kwh_price = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.3000"),
        validators=[MinValueValidator(Decimal(0), "The price per kWh cannot be negative.")],
        help_text="What one kWh of electricity costs, in the household's currency.",
    )
    creep_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(Decimal("0.01"), "The creep threshold must be more than 0%%.")],
        help_text="Alert when the monthly run rate grows more than this since the last review.",
    )
    cloud_alternative = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0), "The cloud alternative cannot cost less than nothing.")],
        help_text="What the same service would cost a month from a cloud provider.",
    )
    cloud_alternative_note = models.CharField(
        max_length=300, blank=True, help_text="What that alternative is, like “two ChatGPT Plus seats and 2 TB”."
    )

    def __str__(self) -> str:
        return f"ledger settings ({self.currency})"

    @classmethod
    def load(cls) -> LedgerSettings:
        """The one row, made with the defaults on first need. Two first requests at once are
        safe: get_or_create inserts in a savepoint and, when the other insert won (an
        IntegrityError on pk 1), reads the row it lost to (tests/ledger/test_services.py)."""
        return cls.objects.get_or_create(pk=1)[0]


class CostItem(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        error_messages={
            "blank": "Give the cost a name, like “Mac Studio” or “Domain name”.",
            "unique": "Another cost already has this name: choose another, or edit that one.",
        },
    )
    vendor = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RECURRING)
    period = models.CharField(
        max_length=16, choices=Period.choices, default=Period.MONTHLY, help_text="Recurring costs only."
    )
    start = models.DateField(help_text="Bought on, or the first day it was paid for.")
    end = models.DateField(null=True, blank=True, help_text="Cancelled or sold on; empty while it lasts.")
    life_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "The useful life is at least one month.")],
        help_text="One-off purchases: months to spread the price over, like 60 for five years.",
    )
    host = models.ForeignKey("status.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_items")
    # Electricity: an average draw entered here, or measured by a NUT check (electricity.py).
    watts = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0), "Watts cannot be negative.")],
        help_text="Electricity: the average draw in watts. Empty: measured from the UPS.",
    )
    ups = models.ForeignKey(
        "status.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": "nut"},
        help_text="Electricity: the UPS's NUT check that measures the draw, when no watts are entered.",
    )
    # Cloud API usage written each night from the audit log (tokens.py); one item per backend.
    backend = models.OneToOneField(
        "gateway.Backend", null=True, blank=True, on_delete=models.SET_NULL, related_name="cost_item"
    )
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(NOTES_LIMIT)])
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = _days_clean(self, start=YEARS_AHEAD, end=END_YEARS_AHEAD)
        if self.end and self.start and self.end < self.start:
            errors.setdefault("end", "The end date is before the start date.")
        if self.kind == Kind.ONE_OFF and not self.life_months:
            errors["life_months"] = "Give a one-off purchase its useful life in months, like 60 for five years."
        if self.category == Category.ELECTRICITY and self.kind != Kind.USAGE and self.watts is None and not self.ups_id:
            errors["watts"] = "Give electricity its average watts, or choose the UPS that measures them."
        if errors:
            raise ValidationError(errors)


class Price(Money):
    """What an item costs from a day on: a one-off's purchase price (one row), a recurring
    item's price history (a row per change, never edited away)."""

    item = models.ForeignKey(CostItem, on_delete=models.CASCADE, related_name="prices")
    since = models.DateField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "since"]
        constraints = [models.UniqueConstraint(fields=["item", "since"], name="price_once_a_day")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.amount} {self.currency} from {self.since}"

    def clean(self) -> None:
        if errors := _days_clean(self, since=YEARS_AHEAD):
            raise ValidationError(errors)


class UsageEntry(Money):
    """What a usage item cost on a day (by hand: the month's bill on any day of it)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered"
        TOKENS = "tokens", "Gateway tokens"

    item = models.ForeignKey(CostItem, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["item", "day"]
        # tokens.py upserts one row per backend item and day, so a rerun replaces, never adds.
        constraints = [
            models.UniqueConstraint(fields=["item", "day"], condition=Q(source="tokens"), name="token_usage_once")
        ]
        indexes = [models.Index(fields=["day"], name="usage_by_day")]  # the month's figures

    def __str__(self) -> str:
        return f"{self.item_id} {self.day} {self.amount}"

    def clean(self) -> None:
        if errors := _days_clean(self, day=YEARS_AHEAD):
            raise ValidationError(errors)


class ImportBatch(models.Model):
    """One uploaded bank or card export, kept until confirmed (then its charges point at it)
    or pruned as a stale draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not saved yet"
        SAVED = "saved", "Saved"

    created = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255)
    content = models.TextField()  # decoded text, bounded by csv_import's size limit
    encoding = models.CharField(max_length=32, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # column choices, date and number formats
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    saved_rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class Charge(Money):
    """An amount actually paid. `item` may be empty for an imported line nobody has matched."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered"
        IMPORT = "import", "Imported"

    item = models.ForeignKey(CostItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="charges")
    day = models.DateField()
    description = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="charges")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-pk"]
        indexes = [models.Index(fields=["day"], name="charge_by_day")]  # a month's charges, duplicates

    def __str__(self) -> str:
        return f"{self.day} {self.amount} {self.currency} {self.description}"

    def clean(self) -> None:
        if errors := _days_clean(self, day=YEARS_AHEAD):
            raise ValidationError(errors)


class Review(models.Model):
    """A reviewed baseline: the quarterly bill review (walks every recurring item) or an
    acknowledgement of a creep alert. Creep is measured against the newest one."""

    class Kind(models.TextChoices):
        BILLS = "bills", "Quarterly bill review"
        ACKNOWLEDGED = "acknowledged", "Creep acknowledged"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BILLS)
    created = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The monthly run rate, household currency: a sum of many amounts, so wider than one (Money.amount).
    baseline = models.DecimalField(max_digits=20, decimal_places=4)
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(NOTES_LIMIT)])

    class Meta:
        ordering = ["-created", "-pk"]
        get_latest_by = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created:%Y-%m-%d}: {self.baseline}"


class ReviewItem(models.Model):
    """What the bill review decided for one recurring item."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Keep"
        CANCEL = "cancel", "Cancel"
        PRICE_CHANGED = "price_changed", "Price changed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(CostItem, null=True, on_delete=models.SET_NULL, related_name="+")
    item_name = models.CharField(max_length=100)  # kept when the item is deleted
    decision = models.CharField(max_length=16, choices=Decision.choices)
    new_amount = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["review", "item_name"]

    def __str__(self) -> str:
        return f"{self.item_name}: {self.decision}"


class CreepAlert(models.Model):
    """Something that made the bill grow since the last review. Open (reviewed is None) ones
    show as the dashboard badge; `key` makes the same finding alert once."""

    class Reason(models.TextChoices):
        GROWTH = "growth", "Run rate grew"
        NEW_ITEM = "new_item", "New recurring cost"
        PRICE_CHANGE = "price_change", "Price changed"

    created = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    key = models.CharField(max_length=100)  # "growth", "new_item:12", "price:34"
    message = models.CharField(max_length=300)
    run_rate = models.DecimalField(max_digits=20, decimal_places=4)  # as wide as Review.baseline
    baseline = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    reviewed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(reviewed__isnull=True), name="creep_open_once")
        ]

    def __str__(self) -> str:
        return self.message
