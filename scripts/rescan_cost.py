"""What a day of re-scans for late-indexed posts costs a competition, from the planner's figures.

    python scripts/rescan_cost.py [--entries 2000] [--days 5]

Prints, for `--entries` posts arriving evenly over `--days`, the re-scans of one day near the end
(`bot.core.rescans.daily_cost` with the default policy: a recent re-scan of the last 7 h every 15
minutes, one wide re-scan of the readable window a day): runs, requests (and how many more than
the regular polls they replace), posts returned (what the API ledger counts as reads) and how
many distinct posts that is. X bills a post once per UTC day however often it is read
(CONTRACT.md §7.3), so the billable extra is zero while the metric refresh reads every entry each
day anyway (its tail interval is 30 minutes) and the wide re-scan waits for that; at most it is
the distinct posts, once a day.
"""

from __future__ import annotations

import argparse
import sys

from bot.core.cost import DEFAULT_PRICES
from bot.core.rescans import DEFAULT_RESCANS, daily_cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000, help="posts in the competition")
    parser.add_argument("--days", type=float, default=5.0, help="length of the competition")
    args = parser.parse_args(argv)
    cost = daily_cost(args.entries, args.days)
    policy = DEFAULT_RESCANS
    worst = cost.distinct * DEFAULT_PRICES.post_read
    print(
        f"{args.entries} entries over {args.days:g} days; recent re-scan every "
        f"{policy.every.total_seconds() / 60:g} min over the last "
        f"{policy.lookback.total_seconds() / 3600:g} h, a wide re-scan once a UTC day"
    )
    print(
        f"a day of re-scans: {cost.recent_runs} recent + {cost.wide_runs} wide runs, "
        f"{cost.requests} search requests ({cost.extra_requests} more than the regular polls they "
        f"replace), {cost.reads} posts returned ({cost.distinct} distinct)"
    )
    print(
        "billable post reads: 0 extra while the refresh reads every entry each UTC day (the wide "
        f"re-scan waits for it); at most {cost.distinct} (${worst:.2f}) on a day it does not"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
