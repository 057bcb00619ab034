"""Forms for the customer-service desk. Field names are CDP's own field names.

Each edit form knows the record it was rendered from (`initial`), so `cdp_changes()` gives
exactly the fields the user changed — the body of a PATCH — and `modifiedAt` travels in a
hidden field so the service can tell whether CDP's copy changed meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.cdp.vocabulary import EXTENSION_KEY_MAX_LENGTH, REF_PATTERN
from orders.ext_forms import KEY_PATTERN
from orders.search_terms import BOX_KINDS, GUEST_REF, REFERENCE_ID, Term, search_terms
from orders.selectors import AuditFilters, Outcome
from orders.templatetags.audit import resource_label
from orders.widget_html import WidgetHtmlRenderer

ORDER_STATUSES = [
    "BROWSED",
    "CANCELLED",
    "CONFIRMED",
    "DECLINED",
    "PARTIALY_CONFIRMED",
    "PARTIALY_REFUNDED",
    "PAYMENT_PENDING",
    "PENDING",
    "PURCHASED",
    "REFUNDED",
    "RESERVED",
    "SEARCHED",
    "UNKNOWN",
]
CHANNELS = [
    "WEB",
    "MOBILE_WEB",
    "MOBILE_APP",
    "CALL_CENTER",
    "AIRPORT_KIOSK",
    "BRANCH",
    "KIOSK",
    "OFFLINE",
    "GDS",
    "OTA",
    "OTHER",
]
GENDERS = ["male", "female", "unknown"]
RESERVED_ITEM_TYPES = {
    "FLIGHT",
    "HOTEL",
    "MORTGAGE",
    "MORTGAGE_APPLICATION",
    "LOAN_APPLICATION",
    "PERSONAL_LOAN",
    "RAIL",
}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
UUID_RE = re.compile(f"^{REF_PATTERN}$")
PAGE_SIZES = [10, 25, 50, 100]
# Fields the forms carry that are not CDP data.
CONTROL_FIELDS = {"modifiedAt"}


def choices(values: list[str], blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank), *((value, value) for value in values)]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LinesField(forms.CharField):
    """An editable list: one value per line (commas also separate values)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, item_validator: Any = None, split_commas: bool = True, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.item_validator = item_validator
        self.split_commas = split_commas

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        text = super().to_python(value) or ""
        separators = r"[\n,]" if self.split_commas else r"\n"
        return [part.strip() for part in re.split(separators, text) if part.strip()]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        for item in value:
            if self.item_validator:
                self.item_validator(item)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class CdpForm(forms.Form):
    """Base of the edit forms: knows which fields are optional and builds PATCH bodies."""

    modifiedAt = forms.CharField(widget=forms.HiddenInput, required=False)

    read_only_on_edit: tuple[str, ...] = ()

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self._keep_unknown_choices()
        if editing:
            for name in self.read_only_on_edit:
                self.fields[name].disabled = True
                self.fields[name].required = False  # never sent; CDP's stored value stands
                self.fields[name].help_text = "CDP does not allow this to change."
            # Each field carries the value it was rendered with, so `changed_data` is what
            # this user changed even when CDP's copy changed meanwhile.
            # Read-only fields carry theirs too, so a re-render needs no second read of CDP.
            for name, field in self.fields.items():
                if name not in CONTROL_FIELDS:
                    field.show_hidden_initial = True

    @classmethod
    def shown_initial(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The read-only fields' values as the posted form showed them (its hidden initials).

        A list's shown value comes along too, so one set outside cdpadmin stays a choice.
        """
        shown = {name: data.get(f"initial-{name}", "") for name in cls.read_only_on_edit}
        for name, field in cls.base_fields.items():
            if type(field) is forms.ChoiceField and f"initial-{name}" in data:
                shown.setdefault(name, data.get(f"initial-{name}"))
        return shown

    def _keep_unknown_choices(self) -> None:
        """Offer a value CDP holds that is not among a list's choices, as it is.

        Another system may have set, say, a status this form does not list. Without this,
        the select would show (and an untouched save would send) the first choice instead.
        """
        for name, field in self.fields.items():
            current = self.initial.get(name)
            if not isinstance(field, forms.ChoiceField) or not isinstance(current, str):
                continue
            choices = list(cast(Iterable[tuple[Any, Any]], field.choices))
            if current and current not in {str(value) for value, _ in choices}:
                field.choices = [*choices, (current, f"{current} (set outside cdpadmin)")]

    def clean_modifiedAt(self) -> datetime | None:
        raw = self.cleaned_data.get("modifiedAt") or ""
        return parse_datetime(raw) if raw else None

    def cdp_value(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if value in ("", None, []) and not self.fields[name].required:
            return None if not isinstance(self.fields[name], LinesField) else []
        return value

    def cdp_changes(self) -> dict[str, Any]:
        """The PATCH body: the fields the user changed from the values the form showed."""
        names = [
            name
            for name in self.changed_data
            if name not in CONTROL_FIELDS and not self.fields[name].disabled
        ]
        return {name: self.cdp_value(name) for name in names}

    def cdp_body(self) -> dict[str, Any]:
        """Every field with a value: the body of a create or a full replace."""
        body = {}
        for name in self.fields:
            if name in CONTROL_FIELDS or self.fields[name].disabled:
                continue
            value = self.cdp_value(name)
            if value not in (None, []):
                body[name] = value
        return body


def clean_code(value: str, pattern: re.Pattern[str], what: str) -> str:
    value = (value or "").strip().upper()
    if value and not pattern.match(value):
        raise ValidationError(f"Enter a {what}.")
    return value


class OrderForm(CdpForm):
    referenceId = forms.CharField(
        label="Reference ID", max_length=255, help_text="The order number, e.g. a PNR."
    )
    orderedAt = forms.DateTimeField(label="Ordered at", widget=DateTimeLocalInput())
    currencyCode = forms.CharField(label="Currency", max_length=3, help_text="ISO 4217, e.g. EUR.")
    price = forms.DecimalField(max_digits=14, decimal_places=4)
    status = forms.ChoiceField(choices=choices(ORDER_STATUSES), required=False)
    channel = forms.ChoiceField(choices=choices(CHANNELS), required=False)
    paymentType = forms.CharField(label="Payment type", max_length=64, required=False)
    cardType = forms.CharField(label="Card type", max_length=64, required=False)
    pointOfSale = forms.CharField(label="Point of sale", max_length=255, required=False)

    read_only_on_edit = ("referenceId", "orderedAt")

    def clean_currencyCode(self) -> str:
        return clean_code(self.cleaned_data["currencyCode"], CURRENCY_RE, "3-letter currency code")

    def clean_referenceId(self) -> str:
        return str(self.cleaned_data["referenceId"]).strip()


class OrderItemForm(CdpForm):
    name = forms.CharField(max_length=128)
    type = forms.CharField(max_length=64, help_text="Free text, e.g. Flight Item, BAG, SEAT.")
    status = forms.CharField(max_length=64, help_text="e.g. CONFIRMED.")
    price = forms.DecimalField(max_digits=14, decimal_places=4)
    currencyCode = forms.CharField(label="Currency", max_length=3)
    quantity = forms.IntegerField(min_value=0, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    productId = forms.CharField(label="Product ID", max_length=128, required=False)
    referenceId = forms.CharField(label="Reference ID", max_length=128, required=False)
    originalPrice = forms.DecimalField(
        label="Original price", max_digits=14, decimal_places=4, required=False
    )
    originalCurrencyCode = forms.CharField(label="Original currency", max_length=3, required=False)
    vendor = forms.CharField(max_length=128, required=False)
    language = forms.CharField(max_length=2, required=False, help_text="2 letters, e.g. EN.")
    channel = forms.ChoiceField(choices=choices(CHANNELS), required=False)

    def clean_type(self) -> str:
        value = str(self.cleaned_data["type"]).strip()
        if value.upper() in RESERVED_ITEM_TYPES:
            raise ValidationError(
                f"CDP reserves the type “{value}” for other order models; choose another type."
            )
        return value

    def clean_currencyCode(self) -> str:
        return clean_code(self.cleaned_data["currencyCode"], CURRENCY_RE, "3-letter currency code")

    def clean_originalCurrencyCode(self) -> str:
        return clean_code(
            self.cleaned_data["originalCurrencyCode"], CURRENCY_RE, "3-letter currency code"
        )

    def clean_language(self) -> str:
        return clean_code(self.cleaned_data["language"], re.compile(r"^[A-Z]{2}$"), "2-letter code")


def validate_identifier_line(line: str) -> None:
    provider, sep, ident = line.partition(":")
    if not sep or not provider.strip() or not ident.strip():
        raise ValidationError(f"“{line}” is not “provider: id”.")


class PersonForm(CdpForm):
    title = forms.CharField(max_length=32, required=False)
    firstName = forms.CharField(label="First name", max_length=128, required=False)
    lastName = forms.CharField(label="Last name", max_length=128, required=False)
    gender = forms.ChoiceField(choices=choices(GENDERS), required=False)
    dateOfBirth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    emails = LinesField(item_validator=EmailValidator(), help_text="One per line.")
    phoneNumbers = LinesField(label="Phone numbers", help_text="One per line.")
    nationality = forms.CharField(max_length=64, required=False)
    passportNumber = forms.CharField(label="Passport number", max_length=64, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="ISO 3166, e.g. IE.")
    identifiers = LinesField(
        item_validator=validate_identifier_line,
        split_commas=False,
        help_text="One per line, as provider: id (e.g. ProfileSystem: B7524AE6).",
    )

    def clean_country(self) -> str:
        return clean_code(self.cleaned_data["country"], COUNTRY_RE, "2-letter country code")

    def clean_dateOfBirth(self) -> Any:
        value = self.cleaned_data["dateOfBirth"]
        if value and value >= timezone.localdate():
            raise ValidationError("The date of birth must be in the past.")
        return value

    def cdp_value(self, name: str) -> Any:
        value = super().cdp_value(name)
        if name == "dateOfBirth" and value:
            return datetime.combine(value, time(0, 0), tzinfo=UTC)
        if name == "identifiers":
            pairs = (line.partition(":") for line in value)
            return [{"provider": p.strip(), "id": i.strip()} for p, _, i in pairs]
        return value


class ContactForm(PersonForm):
    street = LinesField(help_text="One line of the address per line.", split_commas=False)
    city = forms.CharField(max_length=128, required=False)
    state = forms.CharField(max_length=64, required=False)


class ConsumerForm(PersonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # CDP asks for a consumer's names (reference §12.1).
        self.fields["firstName"].required = True
        self.fields["lastName"].required = True


def initial_from_record(record: Any, form_class: type[CdpForm]) -> dict[str, Any]:
    """Form initial values from a CDP record's JSON (CDP field names match the form's)."""
    data = record.to_api()
    initial: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():
        if name == "modifiedAt":
            initial[name] = record.modified_at.isoformat() if record.modified_at else ""
            continue
        value = getattr(record, _snake(name), data.get(name))
        if name == "identifiers":
            value = [f"{i.provider}: {i.id}" for i in value or ()]
        elif isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
            value = timezone.localtime(value).date() if value else None
        initial[name] = (
            value if value is not None else ("" if not isinstance(field, LinesField) else [])
        )
    return initial


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class SearchForm(forms.Form):
    """One box for a referenceId, an order ref or a guest ref (read by `search_terms`)."""

    q = forms.CharField(label="referenceId, order ref or guest ref", max_length=255, required=False)
    referenceId = forms.CharField(max_length=255, required=False)
    guestRef = forms.CharField(max_length=36, required=False)
    offset = forms.IntegerField(min_value=0, required=False)
    limit = forms.TypedChoiceField(
        choices=[(size, size) for size in PAGE_SIZES], coerce=int, required=False
    )

    def clean_guestRef(self) -> str:
        value = str(self.cleaned_data["guestRef"]).strip().lower()
        if value and not UUID_RE.match(value):
            raise ValidationError(
                "A guest ref is a UUID, e.g. 3b5cb55e-c616-424a-991c-a241d0024896."
            )
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("referenceId") and data.get("guestRef"):
            raise ValidationError("Search by referenceId or by guest ref, not both.")
        data["offset"] = data.get("offset") or 0
        data["limit"] = data.get("limit") or PAGE_SIZES[0]
        return data

    @property
    def terms(self) -> list[Term]:
        """What to search for, in order; an explicit field (from a page link) is taken as is."""
        if not self.is_valid():
            return []
        if self.cleaned_data.get("guestRef"):
            return search_terms(self.cleaned_data["guestRef"], kinds=(GUEST_REF,))
        if self.cleaned_data.get("referenceId"):
            return search_terms(self.cleaned_data["referenceId"], kinds=(REFERENCE_ID,))
        return search_terms(self.cleaned_data.get("q") or "")


class FindForm(forms.Form):
    """The search box, sent by POST so an email or phone number never lands in a URL."""

    q = forms.CharField(label="Find", max_length=255)
    kind = forms.ChoiceField(
        label="Search as", choices=list(BOX_KINDS.items()), initial="auto", required=False
    )
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or "auto"


class LookupValueForm(forms.Form):
    """A value a reviewer types to find its lookups; only its HMAC leaves the view."""

    default_renderer = WidgetHtmlRenderer

    value = forms.CharField(label="Looked-up value", max_length=255)
    kind = forms.ChoiceField(
        label="which is an",
        choices=[("auto", "Work it out"), ("email", "Email address"), ("phone", "Phone number")]
        + [("identifier", "Identifier (provider:id)")],
        initial="auto",
        required=False,
    )


class LookupForm(forms.Form):
    values = LinesField(
        label="referenceIds, order refs or guest refs",
        required=True,
        max_length=20000,
        help_text="One per line, or separated by commas. At most 500.",
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    def clean_values(self) -> list[str]:
        values = list(dict.fromkeys(self.cleaned_data["values"]))
        if len(values) > 500:
            raise ValidationError(f"That is {len(values)} values; look up at most 500 at a time.")
        return values


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


AUDIT_RESOURCE_TYPES = (
    "order",
    "order_item",
    "contact",
    "consumer",
    "order_extension",
    "order_item_extension",
)


class AuditFilterForm(forms.Form):
    """The list's filters, as URL parameters; an invalid one is reported and left out."""

    # Shown on every audit page: its widgets are written in Python, not through templates.
    default_renderer = WidgetHtmlRenderer

    user = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=64)
    resource_type = forms.ChoiceField(
        required=False,
        choices=[("", "any")] + [(name, resource_label(name)) for name in AUDIT_RESOURCE_TYPES],
    )
    order_ref = forms.RegexField(required=False, regex=UUID_RE)
    key = forms.RegexField(
        required=False, regex=f"^{KEY_PATTERN}$", max_length=EXTENSION_KEY_MAX_LENGTH
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *Outcome.CHOICES])
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    lookups = forms.BooleanField(required=False, label="guest lookups only")
    # Set by the "find lookups of a value" form: the value's HMAC, never the value.
    lookup_hmac = forms.RegexField(required=False, regex="^[0-9a-f]{64}$", widget=forms.HiddenInput)

    def filters(self) -> AuditFilters:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value}
        return AuditFilters(
            username=data.get("user", ""),
            action=data.get("action", ""),
            resource_type=data.get("resource_type", ""),
            order_ref=data.get("order_ref", "").lower(),
            key=data.get("key", ""),
            outcome=data.get("outcome", ""),
            since=data.get("since"),
            until=data.get("until"),
            lookups=bool(data.get("lookups")),
            lookup_hmac=data.get("lookup_hmac", ""),
        )
