"""Writes batch.jsonl and truth.csv for the bundled example: short product reviews to label.

Run from this folder: ``python generate.py``. Seeded, so the files are the same every time.
"""

from __future__ import annotations

import csv
import json
import random

PRODUCTS = [
    "headphones",
    "kettle",
    "phone case",
    "backpack",
    "desk lamp",
    "blender",
    "keyboard",
    "running shoes",
    "coffee grinder",
    "umbrella",
    "water bottle",
    "power bank",
    "sofa cover",
    "rice cooker",
    "yoga mat",
    "smart watch",
    "frying pan",
    "hair dryer",
    "tent",
    "mouse",
]
PHRASES = {
    "positive": [
        "works perfectly and arrived early",
        "best purchase I made this year",
        "great value, would buy again",
        "my kids love it",
        "sturdy, quiet and easy to clean",
        "exceeded every expectation",
        "five stars, no complaints at all",
    ],
    "negative": [
        "broke after two days",
        "a total waste of money",
        "the seller ignored my emails",
        "smells of burnt plastic",
        "stopped charging within a week",
        "nothing like the pictures",
        "returned it the same day",
    ],
    "neutral": [
        "does what the box says",
        "arrived on Tuesday as planned",
        "it is a {p}, nothing more to say",
        "same as the one I had before",
        "average, neither good nor bad",
        "the colour is grey",
        "bought it for my brother, no idea yet",
    ],
}
EXPLAIN = {
    "positive": "The writer is clearly pleased with the product.",
    "negative": "The writer reports a fault or regrets the purchase.",
    "neutral": "The text states facts without praise or complaint.",
}
ITEMS = 2000
GOLD_EVERY = 25


def main() -> None:
    rng = random.Random(20261127)
    labels = list(PHRASES)
    with (
        open("batch.jsonl", "w", encoding="utf-8") as batch,
        open("truth.csv", "w", newline="", encoding="utf-8") as truth_file,
    ):
        truth = csv.writer(truth_file)
        truth.writerow(["id", "label"])
        for n in range(1, ITEMS + 1):
            label = rng.choices(labels, weights=[0.45, 0.35, 0.20])[0]
            product = rng.choice(PRODUCTS)
            phrase = rng.choice(PHRASES[label]).format(p=product)
            text = f"The {product}: {phrase}."
            record: dict[str, object] = {"id": f"r{n:05d}", "data": {"text": text}}
            if n % GOLD_EVERY == 0:
                record["gold"] = label
                record["explanation"] = EXPLAIN[label]
            batch.write(json.dumps(record) + "\n")
            truth.writerow([f"r{n:05d}", label])


if __name__ == "__main__":
    main()
