"""Deterministic demo data: travel and retail orders with items, people and extensions.

Everything comes from `random.Random(seed)` and a fixed calendar (orders made between
2026-01-01 and 2026-10-31), so the same seed gives the same data on any day. The first
order is always the documented demo order, referenceId `DEMO-1` (contact Jane Doe,
jane.doe@example.com; two consumers; three items; extensions on the order and the flight).
`seed_lookup_guests` adds the guests a lookup must cope with: two profiles sharing one email
(sam.taylor@example.com) and a visitor guest with no orders (vic.visitor@example.com).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .util import Clock, format_ms, new_ref, to_ms

if TYPE_CHECKING:
    from .state import SandboxState

DEMO_REFERENCE_ID = "DEMO-1"
SHARED_EMAIL = "sam.taylor@example.com"
VISITOR_EMAIL = "vic.visitor@example.com"
# (referenceId, firstName, phone as the source system stores it, loyalty number)
SHARED_EMAIL_GUESTS = (
    ("SHARED-1", "Sam", "+353861000001", "10001"),
    ("SHARED-2", "Samantha", "0861000002", "10002"),
)
START_MS = to_ms(datetime(2026, 1, 1, tzinfo=UTC))
END_MS = to_ms(datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
DAY_MS = 86_400_000

PNR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIRST_NAMES = (  # noqa: SIM905 - a word list reads better than 30 quoted strings
    "Aoife Liam Emma Noah Olivia Lucas Sofia Mateo Mia Hugo Chloe Arjun Yuki Lena Omar "
    "Grace Jack Niamh Sean Isabel Tomas Freya Leo Ava Ines Karl Maya Ravi Zoe Felix"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads better than 25 quoted strings
    "Murphy Kelly Smith Garcia Müller Rossi Dubois Silva Novak Jensen Tanaka Okafor "
    "Byrne Walsh Brennan Costa Schmidt Martin Nowak Larsen Ahmed Patel Kim Lopez Fischer"
).split()
TITLES = {"male": ("Mr", "Dr"), "female": ("Ms", "Mrs", "Dr")}
COUNTRIES = (
    ("IE", "Irish"),
    ("GB", "British"),
    ("FR", "French"),
    ("DE", "German"),
    ("US", "American"),
)
AIRPORTS = ("DUB", "LHR", "JFK", "CDG", "AMS", "FRA", "MAD", "BCN", "FCO", "LIS", "BOS", "LAX")
CITIES = ("London", "Dublin", "Paris", "Berlin", "Madrid", "Amsterdam", "New York")
ANCILLARIES = (
    ("BAG", "Checked bag 23kg", 25, 60),
    ("SEAT", "Extra legroom seat", 12, 45),
    ("MEAL", "Hot meal", 8, 20),
    ("INSURANCE", "Travel insurance", 15, 70),
)
RETAIL = (
    ("Apparel", "Merino sweater", 45, 120),
    ("Electronics", "Noise-cancelling headphones", 90, 350),
    ("Home", "Espresso machine", 120, 480),
    ("Books", "Travel guide", 12, 30),
)
STATUSES = ("PURCHASED",) * 6 + (
    "CONFIRMED",
    "CANCELLED",
    "REFUNDED",
    "PARTIALY_REFUNDED",
    "PENDING",
)
CHANNELS = ("WEB",) * 4 + ("MOBILE_APP", "MOBILE_APP", "MOBILE_WEB", "CALL_CENTER", "OTA", "GDS")


@dataclass
class DemoOrder:
    reference_id: str
    ordered_ms: int
    travel: bool
    guest: int


class _ManualClock(Clock):
    """Hands out historical timestamps from a cursor the seeder moves."""

    def __init__(self) -> None:
        super().__init__()
        self.cursor = 0

    def next_ms(self) -> int:
        self._last = max(self.cursor, self._last + 1)
        return self._last

    @property
    def last(self) -> int:
        return self._last


def _person(rng: random.Random, index: int, *, identity: bool) -> dict[str, Any]:
    gender = rng.choice(("male", "female"))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    country, nationality = rng.choice(COUNTRIES)
    body: dict[str, Any] = {
        "title": rng.choice(TITLES[gender]),
        "firstName": first,
        "lastName": last,
        "gender": gender,
        "dateOfBirth": f"{rng.randint(1950, 2005)}"
        f"-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "nationality": nationality,
        "country": country,
    }
    if identity:
        ascii_last = last.replace("ü", "ue").lower()
        body["emails"] = [f"{first.lower()}.{ascii_last}{index}@example.com"]
        body["phoneNumbers"] = [f"+3538{rng.randint(10_000_000, 99_999_999)}"]
        body["passportNumber"] = "P" + "".join(rng.choices(PNR_ALPHABET, k=7))
        body["identifiers"] = [{"provider": "ProfileSystem", "id": new_ref(rng).upper()}]
    return body


def _jane() -> dict[str, Any]:
    return {
        "title": "Ms",
        "firstName": "Jane",
        "lastName": "Doe",
        "gender": "female",
        "dateOfBirth": "1985-12-24",
        "emails": ["jane.doe@example.com"],
        "phoneNumbers": ["+353161123345"],
        "nationality": "Irish",
        "passportNumber": "PZ4A9565",
        "country": "IE",
        "identifiers": [
            {"provider": "ProfileSystem", "id": "B7524AE6-CF1C-440F-B1A2-0C9D42F5CB41"}
        ],
    }


def _plan(rng: random.Random, count: int) -> list[DemoOrder]:
    """Order headers (referenceId, date, guest), with recycled PNRs far enough apart (§7)."""
    n_guests = max(1, count // 3)
    used: set[str] = {DEMO_REFERENCE_ID}
    plans = [DemoOrder(DEMO_REFERENCE_ID, to_ms(datetime(2026, 3, 14, 9, 30, tzinfo=UTC)), True, 0)]
    while len(plans) < count:
        travel = rng.random() < 0.75
        guest = int(n_guests * rng.random() ** 2)
        ordered_ms = rng.randint(START_MS, END_MS)
        earlier = [p for p in plans[1:] if p.travel]
        if travel and earlier and rng.random() < 0.05:
            # A recycled PNR: same referenceId, months apart, so CDP keeps two orders.
            other = rng.choice(earlier)
            gap = rng.randint(30, 120) * DAY_MS
            ordered_ms = (
                other.ordered_ms + gap
                if other.ordered_ms + gap <= END_MS
                else other.ordered_ms - gap
            )
            plans.append(DemoOrder(other.reference_id, ordered_ms, True, guest))
            continue
        while True:
            if travel:
                reference_id = "".join(rng.choices(PNR_ALPHABET, k=6))
                if rng.random() < 0.3:
                    reference_id += "-1"
            else:
                reference_id = f"ORD-{rng.randint(1_000_000, 9_999_999)}"
            if reference_id not in used:
                break
        used.add(reference_id)
        plans.append(DemoOrder(reference_id, ordered_ms, travel, guest))
    return plans


def _items(
    rng: random.Random, plan: DemoOrder, currency: str, passengers: int
) -> list[dict[str, Any]]:
    if plan.reference_id == DEMO_REFERENCE_ID:
        specs = [
            ("Flight Item", "DUB-JFK Flight", 480.0, "DUB-JFK"),
            ("BAG", "Checked bag 23kg", 35, "BAG23"),
            ("SEAT", "Extra legroom seat", 29.99, "SEAT-XL"),
        ]
        return [
            {
                "name": n,
                "type": t,
                "price": p,
                "currencyCode": currency,
                "status": "CONFIRMED",
                "productId": pid,
                "quantity": passengers if t == "Flight Item" else 1,
                "vendor": "Spinair",
                "language": "EN",
                "channel": "WEB",
            }
            for t, n, p, pid in specs
        ]
    items = []
    if plan.travel:
        origin, destination = rng.sample(AIRPORTS, 2)
        items.append(
            {
                "name": f"{origin}-{destination} Flight",
                "type": "Flight Item",
                "productId": f"{origin}-{destination}",
                "price": round(rng.uniform(40, 600), 2),
                "currencyCode": currency,
                "status": "CONFIRMED",
                "quantity": passengers,
                "vendor": "Spinair",
                "language": "EN",
                "channel": "WEB",
                "referenceId": f"{plan.reference_id}-1",
            }
        )
        catalogue = ANCILLARIES
    else:
        catalogue = RETAIL
    for item_type, name, low, high in rng.sample(
        catalogue, rng.randint(0 if plan.travel else 1, 3)
    ):
        items.append(
            {
                "name": name,
                "type": item_type,
                "price": rng.randint(low, high),
                "currencyCode": currency,
                "status": "CONFIRMED",
                "quantity": 1,
                "vendor": "Spinair" if plan.travel else "Example Store",
            }
        )
    return items


def _order_extension(rng: random.Random) -> dict[str, Any]:
    ext: dict[str, Any] = {
        "loyaltyTier": rng.randint(0, 4),
        "firstTimeOrder": rng.random() < 0.3,
        "discountRate": rng.choice((0.0, 0.05, 0.1, 0.15, 0.2)),
        "storeLocation": rng.choice(CITIES),
    }
    if rng.random() < 0.3:
        ext["totalDiscount"] = f"{rng.randint(5, 30)}%"
    return ext


def _flight_extension(rng: random.Random, item: dict[str, Any]) -> dict[str, Any]:
    origin, _, destination = str(item.get("productId", "DUB-LHR")).partition("-")
    return {
        "tripType": rng.choice(("OW", "RT")),
        "origin": origin,
        "destination": destination,
        "bookingClass": rng.choice("YBMKQ"),
        "refundable": rng.random() < 0.4,
        "checkedBags": rng.randint(0, 2),
        "co2Kg": float(rng.randint(60, 900)),
    }


def seed_demo_orders(state: SandboxState, count: int, seed: int) -> None:
    """Create `count` demo orders in `state` (the caller holds the lock and wiped the store).

    From 3 orders on, the two newest also have the lookup guests (`seed_lookup_guests`).
    """
    rng = random.Random(seed)
    plans = sorted(_plan(rng, count), key=lambda p: p.ordered_ms)
    guests = [_jane()] + [_person(rng, i, identity=True) for i in range(1, max(1, count // 3))]
    real_clock, clock = state.clock, _ManualClock()
    state.clock = clock
    try:
        for plan in plans:
            _create(state, rng, clock, plan, guests)
        if count >= 3:  # the lookup guests join the two newest orders; no order is added
            clock.cursor = END_MS
            newest = sorted(state.orders.values(), key=lambda o: o.ordered_ms)[-2:]
            seed_lookup_guests(state, order_refs=[o.ref for o in newest])
    finally:
        state.clock = real_clock
        real_clock.observe(clock.last)


def _create(
    state: SandboxState,
    rng: random.Random,
    clock: _ManualClock,
    plan: DemoOrder,
    guests: list[dict[str, Any]],
) -> None:
    demo = plan.reference_id == DEMO_REFERENCE_ID
    clock.cursor = plan.ordered_ms + rng.randint(1, 600) * 1000
    currency = "EUR" if demo else rng.choice(("EUR", "EUR", "GBP", "USD"))
    contact = dict(guests[plan.guest])
    if not demo and rng.random() < 0.25:
        contact.pop("identifiers", None)  # matched to the guest by email instead
    consumers = [contact] if demo or rng.random() < 0.7 else []
    extra = 1 if demo else rng.randint(0 if consumers else 1, 3 - len(consumers))
    for _i in range(extra):
        companion = _person(rng, 0, identity=False)
        if demo:
            companion.update(
                title="Mr",
                firstName="John",
                lastName="Doe",
                gender="male",
                dateOfBirth="1983-05-02",
            )
        consumers.append(companion)
    items = _items(rng, plan, currency, len(consumers) if plan.travel else 1)
    payment = rng.choice(("Card", "Card", "Card", "Paypal", "Voucher"))
    fields: dict[str, Any] = {
        "referenceId": plan.reference_id,
        "orderedAt": format_ms(plan.ordered_ms),
        "currencyCode": currency,
        "price": round(sum(i["price"] * i.get("quantity", 1) for i in items), 2),
        "paymentType": "Card" if demo else payment,
        "pointOfSale": "spinair.com" if plan.travel else "shop.example.com",
        "channel": "WEB" if demo else rng.choice(CHANNELS),
        "status": "PURCHASED" if demo else rng.choice(STATUSES),
    }
    if fields["paymentType"] == "Card":
        fields["cardType"] = (
            "Visa" if demo else rng.choice(("Visa", "Mastercard", "American Express"))
        )
    order = state.insert_order(
        state.clean_order_body(fields, partial=False), created_ms=clock.next_ms()
    )
    item_refs = [state.create_item(order.ref, body)["ref"] for body in items]
    state.create_contact(order.ref, contact)
    for n, person in enumerate(consumers):
        linked = item_refs[:1] if plan.travel else []
        linked += [r for k, r in enumerate(item_refs[1:], start=1) if k % len(consumers) == n]
        body = {
            **person,
            "orderItems": {"items": [{"href": f"/v2.1/orderItems/{r}"} for r in linked]},
        }
        state.create_consumer(order.ref, body)
    if demo:
        state.put_order_extension(
            order.ref,
            {
                "loyaltyTier": 2,
                "firstTimeOrder": True,
                "discountRate": 0.15,
                "storeLocation": "London",
            },
        )
        state.put_item_extension(
            item_refs[0],
            {
                "tripType": "RT",
                "origin": "DUB",
                "destination": "JFK",
                "bookingClass": "Y",
                "co2Kg": 9.0,
            },
        )
        return
    if rng.random() < 0.5:
        state.put_order_extension(order.ref, _order_extension(rng))
    if plan.travel and rng.random() < 0.6:
        state.put_item_extension(item_refs[0], _flight_extension(rng, items[0]))


def seed_lookup_guests(state: SandboxState, order_refs: list[str] | None = None) -> dict[str, str]:
    """Two guests sharing an email, each a contact of one order, and an order-less visitor.

    CDP does not check whether a guest exists before creating one (guest-lookup.md §4), so the
    second profile is linked explicitly. The visitor was a consumer since removed from its
    order; the guest outlives it (§6.1 point 7). Without `order_refs` (two orders to join),
    orders SHARED-1 and SHARED-2 are created. Returns the guest refs by order referenceId
    (SHARED-1/SHARED-2 or the joined orders'), and "visitor".
    """
    refs: dict[str, str] = {}
    for n, (reference_id, first_name, phone, loyalty) in enumerate(SHARED_EMAIL_GUESTS):
        if order_refs:
            order = {"ref": order_refs[n]}
            reference_id = state.orders[order_refs[n]].reference_id
        else:
            order = state.create_order(
                {
                    "referenceId": reference_id,
                    "orderedAt": format_ms(END_MS - 86_400_000 * int(loyalty[-1])),
                    "currencyCode": "EUR",
                    "price": 40 + int(loyalty[-1]),
                    "status": "PURCHASED",
                }
            )
        guest_ref = new_ref(state.rng)
        state.create_contact(
            order["ref"],
            {
                "firstName": first_name,
                "lastName": "Taylor",
                "emails": [SHARED_EMAIL],
                "phoneNumbers": [phone],
                "identifiers": [{"provider": "LOYALTY", "id": loyalty}],
                "guest": {"href": f"{state.base_url}/v2.1/guests/{guest_ref}"},
            },
        )
        refs[reference_id] = guest_ref
    some_order = next(iter(state.orders))
    consumer = state.create_consumer(
        some_order, {"firstName": "Vic", "lastName": "Visitor", "emails": [VISITOR_EMAIL]}
    )
    refs["visitor"] = consumer["guest"]["href"].rsplit("/", 1)[1]
    state.delete_person("consumer", consumer["ref"])
    return refs
