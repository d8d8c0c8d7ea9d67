"""Campaign fan-out benchmark (issue 5): a discount campaign that targets N products
(default 10,000) on a fresh private platform.

- start: a discount changes a price only once the product's owner joined, so the campaign is
  created an hour ahead, every merchant's products are joined ("Ikut semua", an admin acting
  for the owners, one ``opt_in`` per merchant), then its start is moved to a few seconds
  ahead; timed from that ``starts_at`` until search shows all N products discounted
  (``on_promo`` count = N and a sample of prices right);
- end: once all are discounted, the campaign's end is moved to a few seconds ahead (allowed
  while active); timed from that ``ends_at`` until none is discounted;
- raw baseline in the same run: N ``promotion.pricing_changed`` events published straight to
  the events exchange (no campaign, no promotion service work), timed until search shows
  them all, then N reverts. The ratios say what the campaign machinery adds on top of
  moving N pricing events through RabbitMQ into the index.

    make bench
    .venv/bin/python bench/promotion.py --products 10000
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from common import private_platform, raw_round_trip_seconds
from kombu import Connection, Producer
from nameko.standalone.rpc import ClusterRpcClient
from search import generate_snapshots, indexing_burst

from shared.events import Event
from shared.topology import events_exchange

TARGET_CATEGORY = "kopi-teh"  # every generated product is moved into this category
PERCENT = 20
POLL = 0.25


def discounted_count(rpc, category: str) -> int:
    return rpc.search.search(category=category, on_promo="true", per_page=1)["total"]


def wait_for(rpc, category: str, predicate, timeout: float) -> float:
    """Seconds (perf_counter) when ``predicate(count)`` first held; raises after ``timeout``."""
    deadline = time.perf_counter() + timeout
    last = None
    while time.perf_counter() < deadline:
        count = discounted_count(rpc, category)
        if predicate(count):
            return time.perf_counter()
        if count != last:
            last = count
        time.sleep(POLL)
    raise TimeoutError(f"still {last} discounted after {timeout:.0f} s")


def check_prices(rpc, category: str, expect_discount: bool) -> None:
    page = rpc.search.search(category=category, per_page=50, sort="price_asc")
    for item in page["items"]:
        want = item["price"] * (100 - PERCENT) // 100 if expect_discount else item["price"]
        assert item["effective_price"] == want, (item["id"], item["price"], item["effective_price"], want)


def wall_to_perf(moment: datetime) -> float:
    """A wall-clock moment on the perf_counter scale of this process."""
    return time.perf_counter() + (moment - datetime.now(timezone.utc)).total_seconds()


# The campaign is managed over the promotion RPC as an admin (who may also join for the
# owners): what is timed is the start and the end, not the gateway's checks before them.
ADMIN = {"id": f"bench-admin-{uuid.uuid4().hex[:8]}", "role": "admin"}


def campaign_run(rpc, merchant_ids: list[str], count: int, lead: float, timeout: float) -> dict:
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    campaign_id = rpc.promotion.create_campaign(ADMIN, {
        "name": "Festival Kopi Sultra (bench)", "description": "Diskon untuk semua kopi.",
        "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat(),
        "discount": {"type": "percent", "value": PERCENT}, "featured": False,
        "target": {"categories": [TARGET_CATEGORY]},
    })["id"]
    joined = time.perf_counter()
    for merchant_id in merchant_ids:  # "Ikut semua" of each owner
        rpc.promotion.opt_in(ADMIN, campaign_id, {"merchant_id": merchant_id, "all": True})
    joined = time.perf_counter() - joined
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=lead)
    rpc.promotion.update_campaign(ADMIN, campaign_id, {"starts_at": starts_at.isoformat()})
    start_mark = wall_to_perf(starts_at)
    all_on = wait_for(rpc, TARGET_CATEGORY, lambda n: n >= count, timeout)
    check_prices(rpc, TARGET_CATEGORY, expect_discount=True)
    detail = rpc.promotion.get_campaign(ADMIN, campaign_id)

    ends_at = datetime.now(timezone.utc) + timedelta(seconds=lead)
    rpc.promotion.update_campaign(ADMIN, campaign_id, {"ends_at": ends_at.isoformat()})
    end_mark = wall_to_perf(ends_at)
    all_off = wait_for(rpc, TARGET_CATEGORY, lambda n: n == 0, timeout)
    check_prices(rpc, TARGET_CATEGORY, expect_discount=False)
    return {"start_s": all_on - start_mark, "end_s": all_off - end_mark, "members": detail.get("product_count"),
            "join_s": joined, "merchants": len(merchant_ids)}


def raw_pricing_run(uri: str, rpc, snapshots, timeout: float) -> dict:
    """The same N price changes as bare pricing events (versions above the campaign's)."""
    def publish(version: int, discount: bool) -> float:
        bodies = []
        for snapshot in snapshots:
            effective = snapshot.price * (100 - PERCENT) // 100 if discount else snapshot.price
            payload = {"product_id": snapshot.id, "version": version, "normal_price": snapshot.price,
                       "effective_price": effective, "discount_percent": PERCENT if discount else 0,
                       "badge": f"Diskon {PERCENT}%" if discount else None}
            event = Event(type="promotion.pricing_changed", aggregate_id=snapshot.id, aggregate_version=version,
                          payload=payload)
            bodies.append(json.dumps(event.to_dict()).encode("utf-8"))
        start = time.perf_counter()
        with Connection(uri) as connection:
            producer = Producer(connection.default_channel, exchange=events_exchange())
            for body in bodies:
                producer.publish(body, routing_key="promotion.pricing_changed", content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2,
                                 headers={"event_type": "promotion.pricing_changed"})
        return start

    start = publish(1_000_000, discount=True)
    on = wait_for(rpc, TARGET_CATEGORY, lambda n: n >= len(snapshots), timeout) - start
    start = publish(1_000_001, discount=False)
    off = wait_for(rpc, TARGET_CATEGORY, lambda n: n == 0, timeout) - start
    return {"start_s": on, "end_s": off}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--lead", type=float, default=5.0, help="seconds between creating and starting/ending")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--postgres", action="store_true", help="run the platform on PostgreSQL instead of SQLite")
    args = parser.parse_args()

    snapshots = [s.model_copy(update={"category": s.category.model_copy(update={
        "slug": TARGET_CATEGORY, "name": "Kopi & Teh", "parent_slug": "makanan-minuman", "parent_name": "Makanan & Minuman"})})
        for s in generate_snapshots(args.products, seed=5)]
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"== discount campaign over {args.products:,} products ({database}) ==", flush=True)
    with private_platform(args.port, args.postgres) as (base_url, uri, _):
        _published, elapsed, indexed = indexing_burst(uri, snapshots, args.timeout)
        print(f"  {indexed:,} products indexed in {elapsed:.1f} s", flush=True)
        with ClusterRpcClient(uri=uri, timeout=60) as rpc:
            deadline = time.perf_counter() + args.timeout
            while rpc.promotion.health().get("products", 0) < args.products:
                if time.perf_counter() > deadline:
                    raise TimeoutError("the promotion service did not receive every product")
                time.sleep(0.5)
            merchant_ids = sorted({snapshot.merchant_id for snapshot in snapshots})
            campaign = campaign_run(rpc, merchant_ids, args.products, args.lead, args.timeout)
            raw = raw_pricing_run(uri, rpc, snapshots, args.timeout)
        kombu_s = raw_round_trip_seconds(uri, args.products)

    print(f"  campaign members: {campaign['members']} (joined by {campaign['merchants']} owners' \"Ikut semua\" "
          f"in {campaign['join_s']:.2f} s, before the start)")
    print(f"  {'':34} {'campaign':>10} {'raw events':>11} {'ratio':>7}")
    for label, key in (("start -> all discounted in search", "start_s"), ("end -> all reverted in search", "end_s")):
        ratio = campaign[key] / raw[key] if raw[key] > 0 else float("inf")
        print(f"  {label:34} {campaign[key]:>9.2f}s {raw[key]:>10.2f}s {ratio:>6.2f}x")
    print(f"  raw kombu publish + consume of {args.products:,} 1 KB persistent messages: {kombu_s:.2f} s; "
          f"start -> all discounted = {campaign['start_s'] / kombu_s:.2f}x that, "
          f"end -> all reverted = {campaign['end_s'] / kombu_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
