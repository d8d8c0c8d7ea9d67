"""Pricing rules of issue 5: examples, then properties checked by hypothesis."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.promotion.pricing import FEATURED_BADGE, Offer, best_pricing, discounted_price
from shared.formatting import format_wita, iso_utc

T0 = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)


def offer(cid="c1", percent=None, fixed=None, featured=False, start=0, end=24, discounting=True, name=None):
    kind, value = ("percent", percent) if percent is not None else (("fixed", fixed) if fixed is not None else (None, 0))
    return Offer(
        campaign_id=cid, campaign_name=name or f"Kampanye {cid}", starts_at=T0 + timedelta(hours=start),
        ends_at=T0 + timedelta(hours=end), discount_type=kind, discount_value=value, featured=featured,
        discounting=discounting,
    )


# --- examples ------------------------------------------------------------------------


def test_no_offer_is_the_normal_price():
    pricing = best_pricing(15000, [], T0)
    assert (pricing.effective_price, pricing.discount_percent, pricing.badge, pricing.campaign_id) == (15000, 0, None, None)
    assert pricing.payload("p1", 3)["effective_price"] == 15000


def test_percent_discount_rounds_the_discount_down():
    assert discounted_price(15000, "percent", 20) == 12000
    assert discounted_price(999, "percent", 10) == 900  # 99.9 -> 99 off
    pricing = best_pricing(15000, [offer(percent=20)], T0)
    assert (pricing.effective_price, pricing.discount_percent, pricing.discount_amount) == (12000, 20, 3000)
    assert pricing.badge == "Diskon 20%"


def test_fixed_discount_never_goes_below_one_rupiah():
    assert discounted_price(5000, "fixed", 2000) == 3000
    assert discounted_price(5000, "fixed", 10_000) == 1
    assert best_pricing(5000, [offer(fixed=10_000)], T0).effective_price == 1


def test_small_fixed_discount_says_how_much_is_saved():
    pricing = best_pricing(1_000_000, [offer(fixed=500)], T0)
    assert pricing.discount_percent == 0
    assert pricing.badge == "Hemat Rp 500"


def test_best_price_wins_without_stacking():
    pricing = best_pricing(10000, [offer("a", percent=10), offer("b", fixed=2000), offer("c", percent=25)], T0)
    assert (pricing.effective_price, pricing.campaign_id) == (7500, "c")


def test_tie_goes_to_the_earlier_start_then_the_smaller_id():
    tied = [offer("b", percent=10, start=-1), offer("a", fixed=1000, start=-2), offer("0", percent=10, start=-1)]
    assert best_pricing(10000, tied, T0).campaign_id == "a"
    same_start = [offer("b", percent=10), offer("a", fixed=1000)]
    assert best_pricing(10000, same_start, T0).campaign_id == "a"
    assert best_pricing(10000, list(reversed(same_start)), T0).campaign_id == "a"


def test_featured_badge_combines_with_the_discount():
    pricing = best_pricing(20000, [offer("d", percent=10, end=5), offer("f", featured=True, end=3)], T0)
    assert pricing.effective_price == 18000
    assert pricing.promoted and pricing.boost == 1.0
    assert pricing.badge == f"{FEATURED_BADGE} · Diskon 10%"
    assert pricing.campaign_id == "d"  # the discount's campaign leads
    assert pricing.valid_until == T0 + timedelta(hours=3)  # the featured one ends first


def test_featured_only_keeps_the_price():
    pricing = best_pricing(20000, [offer("f", featured=True)], T0)
    assert (pricing.effective_price, pricing.promoted, pricing.badge, pricing.campaign_id) == (20000, True, FEATURED_BADGE, "f")


def test_spent_budget_stops_the_discount():
    spent = offer("a", percent=50, discounting=False)
    assert best_pricing(10000, [spent], T0).effective_price == 10000
    assert best_pricing(10000, [spent, offer("b", percent=10)], T0).campaign_id == "b"


def test_window_is_half_open():
    window = [offer(percent=10, start=0, end=1)]
    assert best_pricing(10000, window, T0).effective_price == 9000
    assert best_pricing(10000, window, T0 + timedelta(hours=1) - timedelta(microseconds=1)).effective_price == 9000
    assert best_pricing(10000, window, T0 + timedelta(hours=1)).effective_price == 10000
    assert best_pricing(10000, window, T0 - timedelta(microseconds=1)).effective_price == 10000


def test_payload_fits_the_contract():
    from shared.contracts import ProductPricing

    pricing = best_pricing(20000, [offer("d", percent=10, end=5, name="Festival Kendari")], T0)
    parsed = ProductPricing.model_validate(pricing.payload("p1", 7))
    assert parsed.valid_until == "2026-12-03T05:00:00Z"
    assert (parsed.version, parsed.effective_price, parsed.campaign_name) == (7, 18000, "Festival Kendari")


def test_key_changes_only_with_what_buyers_see():
    a = best_pricing(10000, [offer("a", percent=10)], T0)
    b = best_pricing(10000, [offer("a", percent=10)], T0 + timedelta(minutes=5))
    assert a.key() == b.key()
    assert a.key() != best_pricing(10000, [offer("a", percent=11)], T0).key()


def test_wita_formatting():
    assert format_wita(T0) == "3 Des 2026 08.00 WITA"
    assert format_wita(datetime(2026, 12, 31, 16, 30)) == "1 Jan 2027 00.30 WITA"  # naive = UTC
    assert iso_utc(datetime(2026, 12, 3, 8, 0, tzinfo=timezone(timedelta(hours=8)))) == "2026-12-03T00:00:00Z"


# --- properties ----------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=50_000_000)
offers = st.builds(
    offer,
    cid=st.text(alphabet="abcdef0123456789", min_size=1, max_size=6),
    percent=st.one_of(st.none(), st.integers(min_value=1, max_value=90)),
    fixed=st.one_of(st.none(), st.integers(min_value=1, max_value=60_000_000)),
    featured=st.booleans(),
    start=st.integers(min_value=-48, max_value=48),
    end=st.integers(min_value=-47, max_value=96),
    discounting=st.booleans(),
)
moments = st.integers(min_value=-72 * 60, max_value=120 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes))


@settings(max_examples=400, deadline=None)
@given(price=prices, offer_list=st.lists(offers, max_size=6), now=moments)
def test_price_is_never_negative_nor_above_normal(price, offer_list, now):
    pricing = best_pricing(price, offer_list, now)
    assert 1 <= pricing.effective_price <= price
    assert pricing.discount_amount == price - pricing.effective_price
    assert 0 <= pricing.discount_percent <= 90


@settings(max_examples=400, deadline=None)
@given(price=prices, offer_list=st.lists(offers, max_size=6), now=moments)
def test_price_is_the_best_single_discount_open_now(price, offer_list, now):
    pricing = best_pricing(price, offer_list, now)
    candidates = [
        discounted_price(price, o.discount_type, o.discount_value)
        for o in offer_list
        if o.starts_at <= now < o.ends_at and o.discounting and o.discount_type
    ]
    assert pricing.effective_price == min(candidates, default=price)


@settings(max_examples=300, deadline=None)
@given(price=prices, offer_list=st.lists(offers, max_size=6), now=moments)
def test_result_does_not_depend_on_offer_order(price, offer_list, now):
    forward = best_pricing(price, offer_list, now)
    backward = best_pricing(price, list(reversed(offer_list)), now)
    assert forward.key() == backward.key()


@settings(max_examples=300, deadline=None)
@given(price=prices, one=offers, now=moments)
def test_an_offer_applies_exactly_inside_its_half_open_window(price, one, now):
    pricing = best_pricing(price, [one], now)
    inside = one.starts_at <= now < one.ends_at
    if not inside:
        assert pricing.key() == best_pricing(price, [], now).key()
    else:
        assert pricing.campaign_id == (one.campaign_id if (one.featured or pricing.discount_amount) else None)
        if pricing.valid_until is not None:
            assert pricing.valid_until == one.ends_at > now


@settings(max_examples=200, deadline=None)
@given(price=prices, offer_list=st.lists(offers, min_size=1, max_size=6), now=moments)
def test_promoted_exactly_when_a_featured_campaign_is_open(price, offer_list, now):
    pricing = best_pricing(price, offer_list, now)
    assert pricing.promoted == any(o.featured and o.starts_at <= now < o.ends_at for o in offer_list)
