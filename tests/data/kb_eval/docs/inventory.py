"""A tiny stock-keeping module for a village shop: items, stock levels and reorder alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

REORDER_MARGIN = 5  # reorder when stock falls to the minimum plus this many units
VAT_RATE = 0.17  # value-added tax applied to every sale price


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    stock: int = 0
    minimum: int = 10


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add_item(self, item: Item) -> None:
        """Register a new item; a duplicate SKU raises ValueError instead of overwriting stock."""
        if item.sku in self.items:
            raise ValueError(f"duplicate SKU {item.sku}")
        self.items[item.sku] = item

    def receive(self, sku: str, quantity: int) -> int:
        """Book a delivery and return the new stock level."""
        item = self.items[sku]
        item.stock += quantity
        return item.stock

    def sell(self, sku: str, quantity: int) -> int:
        """Sell units and return the price with VAT in cents; selling more than the stock is refused."""
        item = self.items[sku]
        if quantity > item.stock:
            raise ValueError(f"only {item.stock} of {item.name} left")
        item.stock -= quantity
        return round(item.price_cents * quantity * (1 + VAT_RATE))

    def needs_reorder(self) -> list[str]:
        """SKUs whose stock has fallen to the minimum plus the reorder margin, sorted by name."""
        low = [i for i in self.items.values() if i.stock <= i.minimum + REORDER_MARGIN]
        return [i.sku for i in sorted(low, key=lambda i: i.name)]

    def stock_value_cents(self) -> int:
        """The value of everything on the shelves at sale price, before VAT."""
        return sum(i.price_cents * i.stock for i in self.items.values())
