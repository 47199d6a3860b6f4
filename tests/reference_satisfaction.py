"""Plain-Python reference for 满意度调查 (SPEC 5.12), written from the definitions.

No SQL and no memberkit here. Responses are dicts with the raw text of the survey file:
response_id, survey_date (date), store_id, member_id (str or None), channel (as written:
电话/短信/邮件/线下访谈 or phone/sms/email/visit) and the five scores (as written: 1-5,
非常满意…非常不满意, or blank). `regions` maps each store id of the stores table to its region;
a response's store missing from it belongs to the company only (no region). `members` maps a
member id on file to its (name, phone).

The rules, as the README states them:
- a response counts in the period its survey_date falls in, for the unit of its store (or
  of its channel with --by channel);
- per dimension: answered = the responses that gave that score, mean_score over those,
  satisfied_rate = the share of them scoring 4 or 5;
- members: distinct member ids among the responses (a response without one adds none);
- overall_change_mom / _yoy: the unit's mean overall score now minus its mean overall score
  over the base period's responses (every response of the unit then, not the same members);
  None when either period has no overall score, and the month before does not exist for a
  year;
- every store (or region) of the scope has a row; every channel has one with --by channel;
  a store known only from surveys has one when it has responses in the period;
- --low: the period's responses with an overall score of 2 or less, by date then id.
"""

from __future__ import annotations

from fractions import Fraction

from reference import ratio

DIMENSIONS = ("attitude", "efficiency", "quality", "resolution", "overall")
CHANNELS = ("phone", "sms", "email", "visit")  # the form's order: 电话/短信/邮件/线下访谈
CHANNEL_WORDS = {"电话": "phone", "短信": "sms", "邮件": "email", "线下访谈": "visit"}
SCORE_WORDS = {"非常满意": 5, "满意": 4, "一般": 3, "不满意": 2, "非常不满意": 1}


def score(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if text in SCORE_WORDS:
        return SCORE_WORDS[text]
    value = int(text)
    assert 1 <= value <= 5, raw
    return value


def channel(raw: str) -> str:
    text = raw.strip()
    return CHANNEL_WORDS.get(text, text.lower())


def _in_scope(r: dict, regions: dict, scope) -> bool:
    if scope.store is not None:
        return r["store_id"] == scope.store
    if scope.region is not None:
        return regions.get(r["store_id"]) == scope.region
    return True


def dated_in(responses: list[dict], regions: dict, period, scope) -> list[dict]:
    if period is None:
        return []
    return [
        r
        for r in responses
        if period.start <= r["survey_date"] <= period.end and _in_scope(r, regions, scope)
    ]


def _unit(r: dict, regions: dict, scope, by_field: str | None) -> str:
    if by_field == "channel":
        return channel(r["channel"])
    if scope.by == "store":
        return r["store_id"]
    if scope.by == "region":
        return regions.get(r["store_id"]) or "(no region)"
    return scope.store or scope.region or "ALL"


def _mean(values: list[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def _change(now: Fraction | None, base: Fraction | None) -> float | None:
    return None if now is None or base is None else float(now - base)


def _overall_mean(group: list[dict]) -> Fraction | None:
    return _mean([s for s in (score(r["overall"]) for r in group) if s is not None])


def figures(label: str, group: list[dict], mom: list[dict] | None, yoy: list[dict]) -> dict:
    dimensions = []
    for dimension in DIMENSIONS:
        given = [s for s in (score(r[dimension]) for r in group) if s is not None]
        mean = _mean(given)
        dimensions.append(
            {
                "label": dimension,
                "answered": len(given),
                "mean_score": None if mean is None else float(mean),
                "satisfied_rate": ratio(sum(1 for s in given if s >= 4), len(given)),
            }
        )
    now = _overall_mean(group)
    return {
        "scope": label,
        "responses": len(group),
        "members": len({r["member_id"] for r in group if r["member_id"]}),
        "dimensions": dimensions,
        "overall_change_mom": None if mom is None else _change(now, _overall_mean(mom)),
        "overall_change_yoy": _change(now, _overall_mean(yoy)),
    }


def satisfaction(
    responses: list[dict], regions: dict, period, scope, by_field: str | None = None
) -> list[dict]:
    """The report's rows: one per unit, then ALL when split."""
    previous = period.previous()
    current = dated_in(responses, regions, period, scope)
    mom = dated_in(responses, regions, previous, scope) if previous else None
    yoy = dated_in(responses, regions, period.years_back(1), scope)
    if scope.by is None and by_field is None:
        return [figures(scope.store or scope.region or "ALL", current, mom, yoy)]

    def of(group, unit):
        return (
            None
            if group is None
            else [r for r in group if _unit(r, regions, scope, by_field) == unit]
        )

    units = {_unit(r, regions, scope, by_field) for r in current}
    if by_field == "channel":
        units |= set(CHANNELS)
    else:
        in_scope = [s for s in regions if scope.region is None or regions[s] == scope.region]
        units |= {s if scope.by == "store" else regions[s] or "(no region)" for s in in_scope}
    if by_field == "channel":
        order = sorted(units, key=lambda u: (CHANNELS.index(u) if u in CHANNELS else 99, u))
    else:
        order = sorted(units)
    rows = [figures(u, of(current, u), of(mom, u), of(yoy, u)) for u in order]
    return rows + [figures("ALL", current, mom, yoy)]


def low_list(responses: list[dict], regions: dict, members: dict, period, scope) -> list[dict]:
    """The period's responses with an overall score of 2 or less, by date then id."""
    rows = []
    for r in dated_in(responses, regions, period, scope):
        overall = score(r["overall"])
        if overall is None or overall > 2:
            continue
        name, phone = members.get(r["member_id"], (None, None))
        rows.append(
            {
                "response_id": r["response_id"],
                "survey_date": r["survey_date"],
                "store_id": r["store_id"],
                "member_id": r["member_id"],
                "name": name,
                "phone": phone,
                "overall": overall,
                "comment": r["comment"],
            }
        )
    return sorted(rows, key=lambda row: (row["survey_date"], row["response_id"]))
