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
type, default and meaning). Each kind's keys make one pydantic model (unknown and missing
keys, each key's check); a bad file is refused with an error naming the file, the rule
and the key (``RuleError``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    create_model,
)

from analytics.errors import read_toml
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
    choices: tuple[str, ...] = ()  # a text's allowed values


# The kinds and their keys. Fractions are 0..1; counts whole numbers >= 0.
KINDS: dict[str, dict[str, Key]] = {
    "sl_projection": {
        "kpi": Key("kpi", None, "service level to project, e.g. sl_answered_30 or sl_offered_12"),
        "target": Key("fraction", None, "warning when today is projected to close below this"),
        "critical_below": Key("fraction", None, "critical below this", optional=True),
        "weeks": Key("count", 4, "same weekdays of the last N weeks give the intraday profile"),
        "min_calls_so_far": Key(
            "count", 20, "no point projection before this many calls today (see confidence)"
        ),
        "confidence": Key(
            "fraction",
            0.8,
            "simulation, before min_calls_so_far calls: warn when this share of the "
            "replications (the profile's day-to-day error drawn in them) closes below "
            "target (critical: below critical_below); 0 waits for the calls",
        ),
        "reforecast": Key("bool", True, "scale the rest of today by today's volume so far"),
        "max_extra_agents": Key("count", 30, "largest gap looked for, in agents"),
        "patience_s": Key("number", None, "mean patience (s); default: recent weeks' MLE", True),
        "aht_s": Key("number", None, "handling time (s); default: recent weeks' AHT", True),
        "method": Key(
            "text",
            "auto",
            "simulation (the intraday projection from the queue's state, simulation/intraday), "
            "erlang (Erlang A per interval) or auto (simulation when it can be built)",
            choices=("auto", "simulation", "erlang"),
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
        "source": Key(
            "text",
            "tickets",
            "tickets (visitors to counters) or calls (to agents)",
            choices=("tickets", "calls"),
        ),
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
    try:
        return _duration(value)
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------- checks
# Each check takes a value as TOML or a form gives it and returns it as a rule keeps it,
# or raises ValueError saying what is wrong with it (the models below add where).


def _duration(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 30m or 2h")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration like 90s, 30m, 2h or 1d")
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2) or "s"]
        seconds = float(match.group(1)) * unit
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{value!r} must be a duration >= 0")
    return int(round(seconds))


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _text(choices: tuple[str, ...] = ()):
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{value!r} is not a text")
        if choices and value not in choices:
            listed = f"{', '.join(choices[:-1])} or {choices[-1]}"
            raise ValueError(f"{value!r} is not {listed}")
        return value

    return check


def _kpi(value: Any) -> str:
    if not isinstance(value, str) or not SL_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a service level such as sl_answered_30, "
            "sl_offered_12, sl_excl_short_30 or sl_with_abandons_20"
        )
    return value


def _sites(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("give a table of site = counters, e.g. {riyadh = 7}")
    out = {}
    for site, n in value.items():
        if isinstance(n, bool) or not isinstance(n, (int, float)) or not n > 0:
            raise ValueError(f"site {site!r} has {n!r}; give a number > 0")
        out[str(site)] = float(n)
    return out


def _fraction(value: Any) -> float:
    if not 0 <= _number(value) <= 1:
        raise ValueError(f"{value!r} is not a fraction between 0 and 1")
    return float(value)


def _count(value: Any) -> int:
    if _number(value) != int(value) or value < 0:
        raise ValueError(f"{value!r} is not a whole number >= 0")
    return int(value)


def _positive(value: Any) -> float:
    if not _number(value) > 0:
        raise ValueError(f"{value!r} must be > 0")
    return float(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{value!r} is not a rule name (letters, digits, _ - .)")
    return value


def _channel_names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError(f"{value!r} is not a list of channel names")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{value!r} must be a number of seconds > 0")
    return float(value)


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{value!r} is not a whole number 0..10")
    return value


def _addresses(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(_is_address(a) for a in value):
        raise ValueError(f"{value!r} is not a list of e-mail addresses")
    return list(value)


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or any(x not in LANGUAGES for x in value):
        raise ValueError(f"{value!r} is not a list of en / ar")
    return list(value)


def _is_address(text: Any) -> bool:
    return isinstance(text, str) and re.match(r"^[^@\s]+@[^@\s]+$", text) is not None


def _checked(check) -> Any:
    """A pydantic field type: any value, passed through ``check``."""
    return Annotated[Any, AfterValidator(check)]


_TYPES = {
    "fraction": _fraction,
    "number": _positive,
    "minutes": _positive,
    "hours": _positive,
    "count": _count,
    "kpi": _kpi,
    "sites": _sites,
    "bool": _bool,
}


# --------------------------------------------------------------------------- models


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RuleTable(_Table):
    """The keys every rule has; a kind's model (``_RULE_MODELS``) adds its own."""

    name: _checked(_name)
    kind: str
    cooldown: _checked(_duration)
    channels: _checked(_channel_names) = []
    enabled: _checked(_bool) = True


def _rule_model(kind: str, keys: Mapping[str, Key]) -> type[_RuleTable]:
    fields = {}
    for key, spec in keys.items():
        check = _text(spec.choices) if spec.type == "text" else _TYPES[spec.type]
        required = spec.default is None and not spec.optional
        fields[key] = (_checked(check), ... if required else spec.default)
    return create_model(f"_{kind}_rule", __base__=_RuleTable, **fields)


_RULE_MODELS = {kind: _rule_model(kind, keys) for kind, keys in KINDS.items()}


class _WebhookTable(_Table):
    type: str
    url: _checked(_url) = Field(None, validate_default=True)
    timeout_s: _checked(_seconds) = 5.0
    backoff_s: _checked(_seconds) = 1.0
    retries: _checked(_retries) = 2


class _EmailTable(_Table):
    type: str
    to: _checked(_addresses) = Field(None, validate_default=True)
    lang: _checked(_languages) = list(LANGUAGES)


_CHANNEL_MODELS = {"webhook": _WebhookTable, "email": _EmailTable}


class _RulesFile(_Table):
    centre_id: StrictStr = Field(min_length=1)
    channels: dict[str, Any] = {}
    rules: list[Any] = []


def _first_error(exc: ValidationError) -> dict:
    """An unknown key first (a typo explains what follows), then in the model's order."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _reason(error: dict) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"][:1].lower() + error["msg"][1:]


# --------------------------------------------------------------------------- reading


def _validated(model, data, where: str, unknown: str, why=None):
    """``model`` of ``data``, else ``RuleError`` "<where>, key 'k': <what is wrong>" for
    the first key pydantic refused: ``unknown`` for a key the model has not, else
    ``why(key, error)`` (by default pydantic's reason)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = _first_error(exc)
        key = error["loc"][0]
        if error["type"] == "extra_forbidden":
            text = unknown
        else:
            text = why(key, error) if why else _reason(error)
        raise RuleError(f"{where}, key {key!r}: {text}") from None


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
    try:
        name = _name(data.get("name"))
    except ValueError as exc:
        raise RuleError(f"{where}, key 'name': {exc}") from None
    where = f"{where} {name!r}"
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleError(f"{where}, key 'kind': {kind!r} is not one of {', '.join(KINDS)}")

    def why(key: str, error) -> str:
        if error["type"] != "missing":
            return _reason(error)
        hint = 'e.g. cooldown = "1h"' if key == "cooldown" else KINDS[kind][key].help
        return f"missing ({hint})"

    table = _validated(
        _RULE_MODELS[kind],
        data,
        where,
        f"not a key of {kind} rules (keys: {', '.join([*COMMON_KEYS, *KINDS[kind]])})",
        why,
    )
    if channels is not None:
        missing = [c for c in table.channels if c not in channels]
        if missing:
            raise RuleError(
                f"{where}, key 'channels': no channel {missing[0]!r} "
                f"(defined: {', '.join(channels) or 'none'})"
            )
    # a key left out without a default stays out (``as_dict`` writes back what was given)
    params = {
        key: getattr(table, key)
        for key, spec in KINDS[kind].items()
        if key in table.model_fields_set or spec.default is not None
    }
    _check_consistency(kind, params, where)
    return Rule(centre_id, name, kind, params, table.cooldown, tuple(table.channels), table.enabled)


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
    table = _validated(_CHANNEL_MODELS[kind], data, where, f"not a key of {kind} channels")
    return Channel(str(name), kind, table.model_dump(exclude={"type"}))


@dataclass(frozen=True)
class RuleFile:
    """The parsed contents of one rules file."""

    path: Path
    centre_id: str
    channels: dict[str, Channel]
    rules: list[Rule]


_FILE_ERRORS = {
    "centre_id": "missing or not a text",
    "channels": "give [channels.NAME] tables",
    "rules": "give [[rules]] tables",
}


def load_rules_file(path: str | Path) -> RuleFile:
    """Read and validate a rules file; ``RuleError`` names the file, rule and key."""
    path = Path(path)
    data = read_toml(path, "rules", RuleError)
    table = _validated(
        _RulesFile,
        data,
        str(path),
        "a rules file has centre_id, channels, rules",
        lambda key, _error: _FILE_ERRORS[key],
    )
    channels = {
        name: channel_from_dict(name, t, f"{path}: channel") for name, t in table.channels.items()
    }
    rules, seen = [], set()
    for number, t in enumerate(table.rules, start=1):
        rule = rule_from_dict(table.centre_id, t, f"{path}: rule {number}", channels)
        if rule.name in seen:
            raise RuleError(f"{path}: rule {number} {rule.name!r}, key 'name': used twice")
        seen.add(rule.name)
        rules.append(rule)
    return RuleFile(path, table.centre_id, channels, rules)


def default_rules_file(centre_id: str) -> Path:
    """``data/alerts/<centre_id>.toml``: where a centre's example rules live."""
    return ALERTS_DIR / f"{centre_id}.toml"
