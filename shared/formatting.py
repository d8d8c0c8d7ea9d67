"""How buyers read money and time: rupiah with dots, moments in WITA (Asia/Makassar, UTC+8,
no daylight saving). Shared by the services that show them (promotion, gateway pages)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

WITA = timezone(timedelta(hours=8), "WITA")
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def format_rupiah(amount: int) -> str:
    """15000 -> "Rp 15.000" (Indonesian thousands separator is a dot)."""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


def format_wita(moment: datetime | None) -> str | None:
    """A moment as people in Sultra read it: "3 Des 2026 08.00 WITA" (naive means UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(WITA)
    return f"{local.day} {MONTHS_ID[local.month - 1]} {local.year} {local.hour:02d}.{local.minute:02d} WITA"


def iso_utc(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC with "Z" (naive means UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
