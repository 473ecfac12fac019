"""The open sockets a user, endpoint key or signed-out address holds, and the cap on them."""

from __future__ import annotations

from designer.realtime.open_sockets import OpenSockets, holder


def test_a_socket_counts_as_its_users_else_its_keys_else_its_addresss() -> None:
    scope = {"client": ("203.0.113.7", 50000)}
    assert holder(3, 9, scope) == "user:3"  # a key never signs in a user: the user wins
    assert holder(None, 9, scope) == "key:9"
    assert holder(None, None, scope) == "address:203.0.113.7"


def test_past_the_cap_a_holder_is_refused_until_one_of_its_sockets_closes() -> None:
    counts = OpenSockets()
    assert [counts.take("user:1", 2) for _ in range(3)] == [True, True, False]
    assert counts.take("user:2", 2)  # another holder's own places
    counts.give_back("user:1")
    assert counts.take("user:1", 2)
    assert all(counts.take("user:3", 0) for _ in range(1000))  # 0: no cap
