"""shared.actor: the caller as it crosses RPC."""
import pytest

from shared.actor import ADMIN, OWNER, make_actor, parse_actor
from shared.errors import Unauthorized


def test_a_well_formed_actor_passes_as_the_same_plain_dict():
    actor = parse_actor({"id": "acc-1", "role": "owner", "extra": "ignored"})
    assert actor == {"id": "acc-1", "role": OWNER}
    assert make_actor("acc-2", "admin") == {"id": "acc-2", "role": ADMIN}


@pytest.mark.parametrize("value", [None, "acc-1", [], {}, {"id": "acc-1"}, {"role": "owner"},
                                   {"id": "", "role": "owner"}, {"id": 7, "role": "owner"},
                                   {"id": "acc-1", "role": "root"}])
def test_a_malformed_actor_is_unauthorized(value):
    with pytest.raises(Unauthorized):
        parse_actor(value)


def test_make_actor_refuses_an_unknown_role():
    with pytest.raises(ValueError):
        make_actor("acc-1", "superuser")
