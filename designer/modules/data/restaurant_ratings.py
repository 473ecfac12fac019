"""Write the synthetic restaurant_ratings.csv sample: users' 1-5 star ratings of restaurants.

Nothing here is real. 300 users and 60 restaurants of 8 cuisines; each user has a taste for
each cuisine and a strictness, each restaurant a quality; a user rates 8 to 30 restaurants,
picked with a lean towards the cuisines they like (so the table is sparse, about 1 in 3 pairs,
and missing not at random, as real ratings are); a rating is 3 + taste + quality - strictness +
noise, rounded and clipped to 1..5. Deterministic (numpy's PCG64, seed 2026); from the
repository's root:

    python designer/modules/data/restaurant_ratings.py > \
        designer/modules/data/restaurant_ratings.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

CUISINES = ("Thai", "Italian", "Mexican", "Japanese", "Indian", "French", "Lebanese", "Korean")
USERS, RESTAURANTS, SEED = 300, 60, 2026


def restaurant_ratings() -> pd.DataFrame:
    """The ratings table: user_id, restaurant, rating, cuisine; sorted by user, restaurant."""
    rng = np.random.default_rng(SEED)
    cuisine = np.arange(RESTAURANTS) % len(CUISINES)
    names = [f"{CUISINES[c]} #{k // len(CUISINES) + 1}" for k, c in enumerate(cuisine)]
    quality = rng.normal(0.0, 0.6, RESTAURANTS)
    taste = rng.normal(0.0, 1.0, (USERS, len(CUISINES)))
    strictness = rng.normal(0.0, 0.4, USERS)
    rows = []
    for user in range(USERS):
        lean = np.exp(taste[user, cuisine])  # people go where they expect to like it
        count = int(rng.integers(8, 31))
        visited = rng.choice(RESTAURANTS, size=count, replace=False, p=lean / lean.sum())
        noise = rng.normal(0.0, 0.5, count)
        for restaurant, jitter in zip(visited, noise, strict=True):
            score = 3.0 + taste[user, cuisine[restaurant]] + quality[restaurant]
            score += jitter - strictness[user]
            rating = int(np.clip(np.rint(score), 1, 5))
            rows.append((user + 1, names[restaurant], rating, CUISINES[cuisine[restaurant]]))
    table = pd.DataFrame(rows, columns=["user_id", "restaurant", "rating", "cuisine"])
    return table.sort_values(["user_id", "restaurant"], ignore_index=True)


if __name__ == "__main__":
    restaurant_ratings().to_csv(sys.stdout, index=False, lineterminator="\n")
