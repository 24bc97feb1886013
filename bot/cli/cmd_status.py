"""`contestbot status` and `contestbot health`: what the running bot is doing, and whether it lives.

`status` reads the database only: per competition its state, lease holder, last successful poll,
entries and the holder's next jobs; the instances and their heartbeats; API usage this UTC day and
month (requests, billable reads, estimated spend) against the `[budget]`; the rate-limit state
(the last 429 per endpoint and its reset); persistent failures that need a human; recent errors.
`--format json` gives the same as one document (`contestbot.status/1`).

`health` reads this host's heartbeat file (`data/heartbeat-<hostname>.json`, see
`bot.daemon.loop.data_dir`) and exits 0 when it is fresher than three poll intervals, 1 otherwise,
printing why: the Docker HEALTHCHECK runs it.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from bot.cli.context import Context, UsageError
from bot.cli.output import Listing, add_format_option, emit, render_table
from bot.clock import Clock
from bot.core.status import STALE_POLLS, Heartbeat, InstanceStatus, heartbeat_health
from bot.core.timefmt import iso_z

SCHEMA = "contestbot.status/1"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "status",
        help="show what the bot is doing: competitions, leases, API usage, limits, errors",
        description="Show, from the database: per competition its state, lease holder, last "
        "successful poll, entries and next jobs; the running instances; API requests, billable "
        "reads and estimated spend this UTC day and month; the rate-limit state; persistent "
        "failures; and recent errors.",
    )
    add_format_option(
        p, ("table", "json"), help="output as readable text (default) or one JSON document"
    )
    p.set_defaults(func=status)
    h: argparse.ArgumentParser = sub.add_parser(
        "health",
        help="exit 0 when this host's daemon heartbeat is fresh, 1 otherwise (for HEALTHCHECK)",
        description="Read this host's heartbeat file (data/heartbeat-<hostname>.json, next to "
        "the SQLite database or in $CONTESTBOT_DATA_DIR) and exit 0 when it is younger than "
        f"{STALE_POLLS} poll intervals, 1 otherwise, saying why.",
    )
    h.set_defaults(func=health)


def _clock(ctx: Context) -> Clock:
    from bot.daemon.scheduling import ClockSpecError, clock_from_spec

    spec = ctx.environ.get("CONTESTBOT_CLOCK")
    if not spec:
        return ctx.clock
    try:
        return clock_from_spec(spec)
    except ClockSpecError as exc:
        raise UsageError(str(exc)) from None


# ----------------------------------------------------------------------------------------------
# health
# ----------------------------------------------------------------------------------------------


def health(ctx: Context) -> int:
    from bot.daemon.loop import data_dir, heartbeat_path

    settings = ctx.settings()
    path = heartbeat_path(data_dir(settings.database_url, ctx.environ))
    now = _clock(ctx).now()
    try:
        beat = Heartbeat.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        print(
            f"unhealthy: no heartbeat at {path} - is `contestbot run` running here?", file=ctx.out
        )
        return 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"unhealthy: the heartbeat {path} cannot be read ({exc})", file=ctx.out)
        return 1
    verdict = heartbeat_health(beat, now=now)
    age, limit = verdict.age, verdict.limit
    if verdict.problem == "stopped":
        print(f"unhealthy: the daemon stopped at {iso_z(beat.at)} (heartbeat {path})", file=ctx.out)
        return 1
    if verdict.problem == "stale":
        print(
            f"unhealthy: the last heartbeat is {_ago(age)} old (limit {_ago(limit)}, "
            f"{STALE_POLLS} poll intervals) - the daemon is stuck or gone",
            file=ctx.out,
        )
        return 1
    print(f"healthy: heartbeat {_ago(age)} old from {beat.instance_id}", file=ctx.out)
    for reason in beat.persistent:
        print(f"warning: {reason}", file=ctx.out)
    return 0


# ----------------------------------------------------------------------------------------------
# status
# ----------------------------------------------------------------------------------------------


def status(ctx: Context) -> int:
    doc = collect(ctx)
    return emit(ctx.out, ctx.args.format, Listing(lambda: doc, text=lambda: render(doc)))


def collect(ctx: Context) -> dict[str, Any]:
    """The status document (also what `--format json` prints)."""
    from bot.app import existing_store
    from bot.config.budget import BudgetConfig
    from bot.core.budget import Budget, Usage, projection
    from bot.core.liveness import liveness, threshold_for
    from bot.core.models import competition_state
    from bot.daemon.options import lease_ttl
    from bot.store.ops import OpsStore
    from bot.store.rules import RulesStore

    settings = ctx.settings()
    config = ctx.config()
    now = _clock(ctx).now()
    store = existing_store(settings)
    try:
        ops = OpsStore(store)
        rules = RulesStore(store)
        leases = {lease.competition_id: lease for lease in ops.leases()}
        instances = ops.instances()
        states = {i.instance_id: InstanceStatus.from_json(i.state) for i in instances}
        comps = []
        for c in config.competitions:
            lease = leases.get(c.id)
            holder = lease.holder if lease and lease.expires_at > now else None
            held_by = states.get(holder) if holder else None
            jobs = {k: iso_z(v) for k, v in held_by.jobs.items()} if held_by else {}
            comps.append(
                {
                    "id": c.id,
                    "state": competition_state(c, now, frozen=rules.is_frozen(c.id)),
                    "lease_holder": holder,
                    "lease_expires_at": iso_z(lease.expires_at) if lease else None,
                    "last_poll": iso_z(store.last_poll(c.id)),
                    "entries": store.entry_count(c.id),
                    "next_jobs": {k: v for k, v in jobs.items() if k in ("poll", "refresh")},
                }
            )
        usage = ops.usage(now)
        section = config.sections.get("budget")
        budget_cfg = section if isinstance(section, BudgetConfig) else BudgetConfig()
        budget = Budget(month_reads=budget_cfg.monthly_reads, month_spend=budget_cfg.monthly_usd)
        proj = projection(
            Usage(usage.day_reads, usage.month_reads, usage.month_spend, usage.day_spend), now
        )
        persistent: dict[str, str] = {}
        live_instances = []
        threshold = threshold_for(lease_ttl(ctx.environ))  # validated with the settings
        for i in instances:
            verdict = liveness(i.heartbeat_at, i.stopped_at, now=now, threshold=threshold)
            live = verdict.is_live
            st = states[i.instance_id]
            if live:
                for job, reason in st.persistent().items():
                    persistent[f"{i.instance_id} {job}"] = reason
            live_instances.append(
                {
                    "instance_id": i.instance_id,
                    "hostname": i.hostname,
                    "heartbeat_at": iso_z(i.heartbeat_at),
                    "stopped_at": iso_z(i.stopped_at),
                    "live": live,
                    "liveness": verdict.state,
                    "liveness_since": iso_z(verdict.since),
                    "held": list(st.held),
                    "budget_factor": st.budget_factor,
                    "budget_warning": st.budget_warning,
                }
            )
        errors = ops.recent_errors(10)
        limits = ops.rate_limits()
    finally:
        store.close()
    return {
        "schema": SCHEMA,
        "now": iso_z(now),
        "competitions": comps,
        "instances": live_instances,
        "api_usage": {
            "day_requests": usage.day_requests,
            "month_requests": usage.month_requests,
            "day_billable_reads": usage.day_reads,
            "month_billable_reads": usage.month_reads,
            "day_post_reads": usage.day_post_reads,
            "month_post_reads": usage.month_post_reads,
            "day_user_reads": usage.day_user_reads,
            "month_user_reads": usage.month_user_reads,
            "day_spend_usd": str(usage.day_spend),
            "month_spend_usd": str(usage.month_spend),
            "projected_month_reads": proj.month_reads,
            "projected_month_spend_usd": str(proj.month_spend),
            "budget_month_reads": budget.month_reads,
            "budget_month_usd": None if budget.month_spend is None else str(budget.month_spend),
        },
        "rate_limits": [
            {
                "endpoint": e.endpoint,
                "last_429_at": iso_z(e.at),
                "reset_at": iso_z(e.reset_at),
                "limited_now": bool(e.reset_at and e.reset_at > now),
            }
            for e in limits
        ],
        "persistent_failures": [{"where": k, "reason": v} for k, v in sorted(persistent.items())],
        "recent_errors": [
            {
                "at": iso_z(e.at),
                "instance_id": e.instance_id,
                "job": e.job,
                "competition_id": e.competition_id,
                "kind": e.kind,
                "persistent": e.persistent,
                "message": ctx.mask(e.message),
            }
            for e in errors
        ],
    }


def render(doc: dict[str, Any]) -> str:
    out: list[str] = [f"contestbot status at {doc['now']}", "", "Competitions"]
    rows = [
        (
            c["id"],
            c["state"],
            c["lease_holder"] or "-",
            c["last_poll"],
            c["entries"],
            c["next_jobs"].get("poll"),
            c["next_jobs"].get("refresh"),
        )
        for c in doc["competitions"]
    ]
    out.append(
        render_table(
            ("id", "state", "lease holder", "last poll", "entries", "next poll", "next refresh"),
            rows,
        ).rstrip()
    )
    out += ["", "Instances"]
    if doc["instances"]:
        out.append(
            render_table(
                ("instance", "heartbeat", "liveness", "holds", "budget factor"),
                [
                    (
                        i["instance_id"],
                        i["heartbeat_at"],
                        _liveness_text(i),
                        ", ".join(i["held"]) or "-",
                        i["budget_factor"],
                    )
                    for i in doc["instances"]
                ],
            ).rstrip()
        )
    else:
        out.append("  none has run yet")
    u = doc["api_usage"]
    out += [
        "",
        "API usage (UTC)",
        f"  today: {u['day_requests']} requests, {u['day_billable_reads']} billable reads, "
        f"${u['day_spend_usd']}",
        f"  month: {u['month_requests']} requests, {u['month_billable_reads']} billable reads, "
        f"${u['month_spend_usd']} (projected {u['projected_month_reads']} reads, "
        f"${u['projected_month_spend_usd']})",
        f"  budget: {u['budget_month_reads'] or 'no'} reads, "
        f"{'$' + u['budget_month_usd'] if u['budget_month_usd'] else 'no'} money limit",
    ]
    for i in doc["instances"]:
        if i["budget_warning"] and i["live"]:
            out.append(f"  WARNING: {i['budget_warning']}")
    out += ["", "Rate limits"]
    if doc["rate_limits"]:
        for r in doc["rate_limits"]:
            state = "LIMITED until" if r["limited_now"] else "last reset"
            out.append(
                f"  {r['endpoint']}: last 429 at {r['last_429_at']}, {state} {r['reset_at']}"
            )
    else:
        out.append("  no 429 seen")
    if doc["persistent_failures"]:
        out += ["", "PERSISTENT FAILURES (a human must act)"]
        out += [f"  {p['where']}: {p['reason']}" for p in doc["persistent_failures"]]
    out += ["", "Recent errors"]
    if doc["recent_errors"]:
        for e in doc["recent_errors"]:
            where = f" {e['competition_id']}" if e["competition_id"] else ""
            out.append(f"  {e['at']} {e['job']}{where} [{e['kind']}]: {e['message']}")
    else:
        out.append("  none")
    return "\n".join(out) + "\n"


def _liveness_text(instance: dict[str, Any]) -> str:
    state = instance.get("liveness", "live" if instance["live"] else "stale")
    since = instance.get("liveness_since")
    if state == "stale" and since:
        return f"stale since {since}"
    if state == "stopped" and since:
        return f"stopped at {since}"
    return str(state)


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if abs(seconds) < 120:
        return f"{seconds}s"
    if abs(seconds) < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
