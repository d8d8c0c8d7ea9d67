"""Display helpers for the HTML pages."""


def format_rupiah(amount: int) -> str:
    """15000 -> "Rp 15.000" (Indonesian thousands separator is a dot)."""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")
