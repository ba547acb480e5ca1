"""Alert rules: what a centre wants to be warned about, read from TOML and checked at the door.

A centre's rules live in a TOML file (``data/alerts/<centre>.toml``, a documented example
per seed centre) and are loaded into the app-state store, where admins can edit them
(``simulation.operations.alerts.state``). A file names its centre, the channels alerts can go to and
the rules::

    centre_id = "bahrain_lmra"

    [channels.ops]                 # a webhook: POST of the alert JSON
    type = "webhook"
    url = "https://ops.example.org/hooks/cca"
    timeout_s = 5                  # per attempt
    retries = 2                    # attempts after the first

    [channels.managers]            # e-mail over SMTP (server from CCA_SMTP_* variables)
    type = "email"
    to = ["cc-managers@example.org"]

    [[rules]]
    name = "today-sl30"
    kind = "sl_projection"
    kpi = "sl_answered_30"
    target = 0.7
    cooldown = "2h"
    channels = ["ops", "managers"]

Every rule has a ``name`` (unique in its centre), a ``kind``, a ``cooldown`` (the same
alert is sent at most once per cool-down; "90s", "30m", "2h", "1d" or seconds), its
``channels`` and ``enabled``; the rest are the kind's own keys (``KINDS``: each key's
type, default and meaning). A bad file is refused with an error naming the file, the
rule and the key (``RuleError``).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.kpi.catalogue import SL_NAME
from analytics.packaged import packaged_dir

# data/alerts/, read as package data wherever the project is installed
ALERTS_DIR = packaged_dir("alerts")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
COMMON_KEYS = ("name", "kind", "cooldown", "channels", "enabled")
CHANNEL_TYPES = ("webhook", "email")
LANGUAGES = ("en", "ar")


class RuleError(ValueError):
    """A rule or channel that cannot be used; the message names file, rule and key."""


@dataclass(frozen=True)
class Key:
    """One setting of a rule kind: its type, default (None = required) and meaning."""

    type: str  # fraction | number | count | minutes | hours | kpi | text | sites | bool
    default: Any
    help: str
    optional: bool = False  # may be left out without a default (e.g. critical_below)


# The kinds and their keys. Fractions are 0..1; counts whole numbers >= 0.
KINDS: dict[str, dict[str, Key]] = {
    "sl_projection": {
        "kpi": Key("kpi", None, "service level to project, e.g. sl_answered_30 or sl_offered_12"),
        "target": Key("fraction", None, "warning when today is projected to close below this"),
        "critical_below": Key("fraction", None, "critical below this", optional=True),
        "weeks": Key("count", 4, "same weekdays of the last N weeks give the intraday profile"),
        "min_calls_so_far": Key("count", 20, "no projection before this many calls today"),
        "reforecast": Key("bool", True, "scale the rest of today by today's volume so far"),
        "max_extra_agents": Key("count", 30, "largest gap looked for, in agents"),
        "patience_s": Key("number", None, "mean patience (s); default: recent weeks' MLE", True),
        "aht_s": Key("number", None, "handling time (s); default: recent weeks' AHT", True),
        "method": Key(
            "text",
            "auto",
            "simulation (the intraday projection from the queue's state, simulation/intraday), "
            "erlang (Erlang A per interval) or auto (simulation when it can be built)",
        ),
        "replications": Key("count", 30, "replications of the rest of the day (simulation)"),
    },
    "abandon_rate": {
        "minutes": Key("minutes", 60, "the window: calls arrived in the last N minutes"),
        "cap": Key("fraction", None, "warning when the window's abandon_rate is above this"),
        "critical_above": Key("fraction", None, "critical above this", optional=True),
        "min_calls": Key("count", 20, "fewer offered calls in the window fire nothing"),
    },
    "ticket_deadline": {
        "min_tickets": Key("count", 1, "a category with at least this many at-risk tickets"),
        "critical_at": Key("count", None, "critical from this many", optional=True),
    },
    "stale_data": {
        "refresh_hours": Key("hours", 24, "no load (ingest batch) for longer than this"),
        "interval_minutes": Key("minutes", 30, "the interval checked for calls"),
        "min_expected_calls": Key("count", 8, "normally busy: this many calls on each of…"),
        "weeks": Key("count", 4, "…the same interval of the last N same weekdays"),
    },
    "feed_stale": {
        "silent_minutes": Key("minutes", 2, "a live feed that read nothing for this long"),
        "critical_minutes": Key("minutes", None, "critical from this long", optional=True),
    },
    "site_imbalance": {
        "source": Key("text", "tickets", "tickets (visitors to counters) or calls (to agents)"),
        "channel": Key("text", "walk_in", "tickets: the channel whose arrivals are the load"),
        "capacity": Key("sites", None, "site = counters/agents; calls: else staffing", True),
        "hours": Key("hours", 2, "the window: arrivals in the last N hours"),
        "ratio": Key(
            "number", 3.0, "fires when a site's load per unit is this times its siblings'"
        ),
        "critical_ratio": Key("number", None, "critical from this ratio", optional=True),
        "min_arrivals": Key("count", 10, "a site with fewer arrivals in the window fires nothing"),
    },
}


@dataclass(frozen=True)
class Channel:
    """Where alerts go: a webhook (``url``, ``timeout_s``, ``retries``) or an e-mail list."""

    name: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One alert rule of one centre (validated: see ``rule_from_dict``)."""

    centre_id: str
    name: str
    kind: str
    params: Mapping[str, Any]
    cooldown_s: int
    channels: tuple[str, ...] = ()
    enabled: bool = True

    def as_dict(self) -> dict:
        """The rule as its TOML table reads (``save_rule`` takes it back)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "cooldown": self.cooldown_s,
            "channels": list(self.channels),
            "enabled": self.enabled,
            **dict(self.params),
        }


def parse_duration(value: Any, where: str) -> int:
    """Seconds from ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, bool):
        raise RuleError(f"{where}: {value!r} is not a duration like 30m or 2h")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise RuleError(f"{where}: {value!r} is not a duration like 90s, 30m, 2h or 1d")
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2) or "s"]
        seconds = float(match.group(1)) * unit
    if not (math.isfinite(seconds) and seconds >= 0):
        raise RuleError(f"{where}: {value!r} must be a duration >= 0")
    return int(round(seconds))


def _check_value(key: str, spec: Key, value: Any, where: str) -> Any:
    at = f"{where}, key {key!r}"
    kind = spec.type
    if kind == "bool":
        if not isinstance(value, bool):
            raise RuleError(f"{at}: {value!r} is not true or false")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{at}: {value!r} is not a text")
        if key == "source" and value not in ("tickets", "calls"):
            raise RuleError(f"{at}: {value!r} is not tickets or calls")
        if key == "method" and value not in ("auto", "simulation", "erlang"):
            raise RuleError(f"{at}: {value!r} is not auto, simulation or erlang")
        return value
    if kind == "kpi":
        if not isinstance(value, str) or not SL_NAME.match(value):
            raise RuleError(
                f"{at}: {value!r} is not a service level such as sl_answered_30, "
                "sl_offered_12, sl_excl_short_30 or sl_with_abandons_20"
            )
        return value
    if kind == "sites":
        if not isinstance(value, Mapping) or not value:
            raise RuleError(f"{at}: give a table of site = counters, e.g. {{riyadh = 7}}")
        out = {}
        for site, n in value.items():
            if isinstance(n, bool) or not isinstance(n, (int, float)) or not n > 0:
                raise RuleError(f"{at}: site {site!r} has {n!r}; give a number > 0")
            out[str(site)] = float(n)
        return out
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RuleError(f"{at}: {value!r} is not a number")
    if kind == "fraction" and not 0 <= value <= 1:
        raise RuleError(f"{at}: {value!r} is not a fraction between 0 and 1")
    if kind == "count":
        if value != int(value) or value < 0:
            raise RuleError(f"{at}: {value!r} is not a whole number >= 0")
        return int(value)
    if kind in ("minutes", "hours", "number") and not value > 0:
        raise RuleError(f"{at}: {value!r} must be > 0")
    return float(value)


def rule_from_dict(
    centre_id: str,
    data: Mapping[str, Any],
    where: str = "rule",
    channels: Mapping[str, Channel] | None = None,
) -> Rule:
    """A validated ``Rule`` from a TOML table / form dict; ``RuleError`` names ``where``,
    the rule and the key. ``channels``: the names a rule may use (None: not checked)."""
    if not isinstance(data, Mapping):
        raise RuleError(f"{where}: a rule is a table of keys, got {data!r}")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RuleError(
            f"{where}, key 'name': {name!r} is not a rule name (letters, digits, _ - .)"
        )
    where = f"{where} {name!r}"
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleError(f"{where}, key 'kind': {kind!r} is not one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    unknown = [k for k in data if k not in spec and k not in COMMON_KEYS]
    if unknown:
        raise RuleError(
            f"{where}, key {unknown[0]!r}: not a key of {kind} rules "
            f"(keys: {', '.join([*COMMON_KEYS, *spec])})"
        )
    if "cooldown" not in data:
        raise RuleError(f"{where}, key 'cooldown': missing (e.g. cooldown = \"1h\")")
    cooldown_s = parse_duration(data["cooldown"], f"{where}, key 'cooldown'")
    chosen = data.get("channels", [])
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        raise RuleError(f"{where}, key 'channels': {chosen!r} is not a list of channel names")
    if channels is not None:
        missing = [c for c in chosen if c not in channels]
        if missing:
            raise RuleError(
                f"{where}, key 'channels': no channel {missing[0]!r} "
                f"(defined: {', '.join(channels) or 'none'})"
            )
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError(f"{where}, key 'enabled': {enabled!r} is not true or false")
    params: dict[str, Any] = {}
    for key, key_spec in spec.items():
        if key in data:
            params[key] = _check_value(key, key_spec, data[key], where)
        elif key_spec.default is None and not key_spec.optional:
            raise RuleError(f"{where}, key {key!r}: missing ({key_spec.help})")
        elif key_spec.default is not None:
            params[key] = key_spec.default
    _check_consistency(kind, params, where)
    return Rule(centre_id, name, kind, params, cooldown_s, tuple(chosen), enabled)


def _check_consistency(kind: str, p: dict, where: str) -> None:
    if kind == "sl_projection" and p.get("critical_below") is not None:
        if p["critical_below"] > p["target"]:
            raise RuleError(f"{where}, key 'critical_below': must not be above target")
    if kind == "abandon_rate" and p.get("critical_above") is not None:
        if p["critical_above"] < p["cap"]:
            raise RuleError(f"{where}, key 'critical_above': must not be below cap")
    if kind == "site_imbalance":
        if p["source"] == "tickets" and not p.get("capacity"):
            raise RuleError(f"{where}, key 'capacity': tickets need counters per site")
        if p.get("critical_ratio") is not None and p["critical_ratio"] < p["ratio"]:
            raise RuleError(f"{where}, key 'critical_ratio': must not be below ratio")
    if p.get("weeks") == 0:
        raise RuleError(f"{where}, key 'weeks': give 1 or more")


def channel_from_dict(name: str, data: Mapping[str, Any], where: str = "channel") -> Channel:
    """A validated ``Channel``; ``RuleError`` names ``where``, the channel and the key."""
    where = f"{where} {name!r}"
    if not _NAME.match(str(name)):
        raise RuleError(f"{where}: not a channel name (letters, digits, _ - .)")
    if not isinstance(data, Mapping):
        raise RuleError(f"{where}: a channel is a table of keys")
    kind = data.get("type")
    if kind not in CHANNEL_TYPES:
        raise RuleError(f"{where}, key 'type': {kind!r} is not webhook or email")
    config: dict[str, Any] = {}
    if kind == "webhook":
        allowed = {"type", "url", "timeout_s", "retries", "backoff_s"}
        url = data.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
            raise RuleError(f"{where}, key 'url': {url!r} is not an http(s) URL")
        config["url"] = url
        config["timeout_s"] = _positive(data.get("timeout_s", 5), f"{where}, key 'timeout_s'")
        config["backoff_s"] = _positive(data.get("backoff_s", 1), f"{where}, key 'backoff_s'")
        retries = data.get("retries", 2)
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            raise RuleError(f"{where}, key 'retries': {retries!r} is not a whole number 0..10")
        config["retries"] = retries
    else:
        allowed = {"type", "to", "lang"}
        to = data.get("to")
        if not isinstance(to, list) or not to or not all(_is_address(a) for a in to):
            raise RuleError(f"{where}, key 'to': {to!r} is not a list of e-mail addresses")
        config["to"] = list(to)
        lang = data.get("lang", list(LANGUAGES))
        if not isinstance(lang, list) or not lang or any(x not in LANGUAGES for x in lang):
            raise RuleError(f"{where}, key 'lang': {lang!r} is not a list of en / ar")
        config["lang"] = list(lang)
    extra = [k for k in data if k not in allowed]
    if extra:
        raise RuleError(f"{where}, key {extra[0]!r}: not a key of {kind} channels")
    return Channel(str(name), kind, config)


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RuleError(f"{where}: {value!r} must be a number of seconds > 0")
    return float(value)


def _is_address(text: Any) -> bool:
    return isinstance(text, str) and re.match(r"^[^@\s]+@[^@\s]+$", text) is not None


@dataclass(frozen=True)
class RuleFile:
    """The parsed contents of one rules file."""

    path: Path
    centre_id: str
    channels: dict[str, Channel]
    rules: list[Rule]


def load_rules_file(path: str | Path) -> RuleFile:
    """Read and validate a rules file; ``RuleError`` names the file, rule and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: no such rules file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None
    extra = [k for k in data if k not in ("centre_id", "channels", "rules")]
    if extra:
        raise RuleError(f"{path}, key {extra[0]!r}: a rules file has centre_id, channels, rules")
    centre_id = data.get("centre_id")
    if not isinstance(centre_id, str) or not centre_id:
        raise RuleError(f"{path}, key 'centre_id': missing or not a text")
    raw_channels = data.get("channels", {})
    if not isinstance(raw_channels, Mapping):
        raise RuleError(f"{path}, key 'channels': give [channels.NAME] tables")
    channels = {
        name: channel_from_dict(name, table, f"{path}: channel")
        for name, table in raw_channels.items()
    }
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{path}, key 'rules': give [[rules]] tables")
    rules, seen = [], set()
    for number, table in enumerate(raw_rules, start=1):
        rule = rule_from_dict(centre_id, table, f"{path}: rule {number}", channels)
        if rule.name in seen:
            raise RuleError(f"{path}: rule {number} {rule.name!r}, key 'name': used twice")
        seen.add(rule.name)
        rules.append(rule)
    return RuleFile(path, centre_id, channels, rules)


def default_rules_file(centre_id: str) -> Path:
    """``data/alerts/<centre_id>.toml``: where a centre's example rules live."""
    return ALERTS_DIR / f"{centre_id}.toml"
