"""Display helpers for the HTML pages (the definitions are shared with the services)."""
from shared.formatting import format_rupiah, format_wita  # noqa: F401 - the pages' filters
