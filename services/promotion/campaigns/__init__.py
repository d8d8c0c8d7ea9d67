"""Campaigns of the promotion service: plain functions over a session; ``service.py`` only
calls them and commits.

The modules, each depending only on the ones above it:

- ``times``, ``bulk``: UTC-aware times and WITA days; ids in chunks and multi-row inserts.
- ``validation``: campaign input, every bad field named in one ValidationFailed.
- ``access``: who may manage a campaign, or opt a product in or out (``shared.actor.Actor``).
- ``targeting``: which products a campaign selects, and its membership.
- ``fanout``: ``reprice`` (each product's best pricing and its ``promotion.pricing_changed``
  event, in bulk) and ``refresh_products`` (campaigns following catalog changes).
- ``status``: the status machine (draft, scheduled, active, ended, cancelled) and ``advance``,
  the timer's step.
- ``budget``: the estimated discount given, budget exhaustion, and statistics per WITA day.
- ``views``: the read models of a campaign and of a promoted product.
- ``queries`` and ``operations``: the RPC-level reads and writes.

The names below are re-exported so that ``campaigns.create_campaign(...)`` and the like keep
working; code inside the service imports from the module that owns a name.
"""
from services.promotion.campaigns.budget import record_contacts
from services.promotion.campaigns.fanout import refresh_products, reprice
from services.promotion.campaigns.operations import (
                                                     cancel_campaign,
                                                     create_campaign,
                                                     opt_in,
                                                     opt_out,
                                                     schedule_campaign,
                                                     update_campaign,
)
from services.promotion.campaigns.queries import (
                                                     active_campaigns,
                                                     campaigns_for_owner,
                                                     counts,
                                                     featured_products,
                                                     get_campaign,
                                                     list_campaigns,
                                                     preview_campaign,
                                                     pricing_for,
)
from services.promotion.campaigns.status import advance
from services.promotion.campaigns.targeting import member_ids
from services.promotion.campaigns.times import aware

__all__ = [
    "active_campaigns", "advance", "aware", "campaigns_for_owner", "cancel_campaign", "counts", "create_campaign",
    "featured_products", "get_campaign", "list_campaigns", "member_ids", "opt_in", "opt_out", "preview_campaign",
    "pricing_for", "record_contacts", "refresh_products", "reprice", "schedule_campaign", "update_campaign",
]
