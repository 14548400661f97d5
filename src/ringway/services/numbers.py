"""Numbers: searching the inventory, buying, cancelling, and routing to applications."""

from __future__ import annotations

from dataclasses import asdict

from ringway.domain.errors import method_failed
from ringway.domain.numbers import (
    DEFAULT_INVENTORY,
    Number,
    NumberQuery,
    NumberRange,
    Routing,
)
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import ApplicationRepository


class NumberService:
    def __init__(self, numbers: NumberRepository, applications: ApplicationRepository) -> None:
        self._numbers = numbers
        self._applications = applications

    def stock_default_inventory(self) -> int:
        """Put the fictional default inventory on sale, once, on an empty numbers table."""
        if self._numbers.count():
            return 0
        return self.seed(DEFAULT_INVENTORY)

    def seed(self, ranges: tuple[NumberRange, ...] | list[NumberRange]) -> int:
        """Add numbers for sale; numbers already known are left as they are."""
        return self._numbers.add_missing(
            Number(msisdn, r.country, r.type, ",".join(r.features), r.cost)
            for r in ranges
            for msisdn in r.numbers()
        )

    def find(self, msisdn: str) -> Number | None:
        """A number of the inventory, whoever owns it."""
        return self._numbers.get(msisdn)

    def search(self, query: NumberQuery, index: int, size: int) -> tuple[int, list[Number]]:
        return self._numbers.page(None, query, (index - 1) * size, size)

    def owned(
        self, account_id: str, query: NumberQuery, index: int, size: int
    ) -> tuple[int, list[Number]]:
        return self._numbers.page(account_id, query, (index - 1) * size, size)

    def buy(self, account_id: str, country: str, msisdn: str) -> None:
        number = self._known(country, msisdn)
        if number.account_id == account_id:
            raise method_failed(f"you already own {msisdn}")
        if number.account_id is not None or not self._numbers.claim(account_id, msisdn):
            raise method_failed(f"{msisdn} is not available")

    def cancel(self, account_id: str, country: str, msisdn: str) -> None:
        self._owned(account_id, country, msisdn)
        if not self._numbers.release(account_id, msisdn):
            raise method_failed(f"you do not own {msisdn}")

    def update(self, account_id: str, country: str, msisdn: str, routing: Routing) -> None:
        """Replace the number's routing: an ``app_id`` links it; its absence unlinks it."""
        self._owned(account_id, country, msisdn)
        if routing.app_id is not None:
            app = self._applications.get(routing.app_id)
            if app is None or app.account_id != account_id:
                raise method_failed(
                    f"application '{routing.app_id}' does not exist, or you do not have access"
                )
        if not self._numbers.set_routing(account_id, msisdn, asdict(routing)):
            raise method_failed(f"you do not own {msisdn}")

    def link(self, account_id: str, country: str, msisdn: str, app_id: str | None) -> None:
        """Route the number to an application (``None``: to none), keeping its other routing."""
        number = self._owned(account_id, country, msisdn)
        routing = Routing(app_id, number.mo_http_url, number.voice_callback_type,
                          number.voice_callback_value, number.voice_status_callback)  # fmt: skip
        self.update(account_id, country, msisdn, routing)

    def _known(self, country: str, msisdn: str) -> Number:
        number = self._numbers.get(msisdn)
        if number is None:
            raise method_failed(f"{msisdn} is not a number ringway has")
        if number.country != country:
            raise method_failed(f"{msisdn} is in {number.country}, not {country}")
        return number

    def _owned(self, account_id: str, country: str, msisdn: str) -> Number:
        number = self._known(country, msisdn)
        if number.account_id != account_id:
            raise method_failed(f"you do not own {msisdn}")
        return number
