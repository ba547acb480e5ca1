"""``/admin``: users (add, disable, reset password, roles, centres) and the audit log.

Only admins open it, and every callback checks that again (``require("admin")``): a
callback is reachable from any page. Every change is written to the audit log with who
made it. Alert rules are edited here too once the alerts are installed.
"""

from __future__ import annotations

import datetime as dt
import json

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html, no_update

from analytics.labels import centre_names
from analytics.translation import NP_, for_reader, gettext, moment, pgettext
from dashboards import auth
from dashboards.callbacks import Callbacks
from dashboards.context import app_context, centre_for, visible_centres
from dashboards.frame import PageContext, page, register_page
from dashboards.grid import ag_grid
from dashboards.language import page_language

PATH = "/admin"
callbacks = Callbacks()

# The audit log's actions as a reader says them (the codes stay in the store and `cca`).
ACTION_WORDS = {
    "login": NP_("audit action", "Logged in"),
    "logout": NP_("audit action", "Logged out"),
    "login_failed": NP_("audit action", "Log-in failed"),
    "locked_out": NP_("audit action", "Log-in delayed"),
    "login_unlocked": NP_("audit action", "Log-in delay lifted"),
    "refused": NP_("audit action", "Request refused"),
    "download": NP_("audit action", "Download"),
    "download_refused": NP_("audit action", "Download refused"),
    "user_added": NP_("audit action", "User added"),
    "user_disabled": NP_("audit action", "User disabled"),
    "user_enabled": NP_("audit action", "User enabled"),
    "user_password": NP_("audit action", "Password reset"),
    "user_removed": NP_("audit action", "User removed"),
    "alert_rules_loaded": NP_("audit action", "Alert rules loaded"),
    "alert_rule_saved": NP_("audit action", "Alert rule saved"),
    "alert_rule_deleted": NP_("audit action", "Alert rule deleted"),
    "alert_channel_saved": NP_("audit action", "Alert channel saved"),
    "alert_ack": NP_("audit action", "Alert acknowledged"),
}
STAMPS = ("at", "updated_at", "locked_until")  # stored instants, UTC


def stamped(row: dict, lang: str) -> dict:
    """``row`` with each stored instant ("2026-12-07T03:53:04+00:00", UTC) kept to sort by
    and shown in the one date format ("7 Dec 2026 03:53", ``<field>_shown``)."""
    out = dict(row)
    for field in STAMPS:
        if row.get(field):
            instant = dt.datetime.fromisoformat(str(row[field]))
            out[f"{field}_shown"] = moment(instant.astimezone(dt.UTC), lang)
    return out


def stamp_column(field: str, header: str, lang: str) -> dict:
    return {
        "field": field,
        "headerName": for_reader(f"{header} (UTC)", lang),
        "valueFormatter": {"function": f"params.data.{field}_shown || ''"},
        "minWidth": 150,
    }


def worded_column(field: str, header: str, shown: dict[str, str]) -> dict:
    """A column of codes shown in the reader's words (the rows keep the code)."""
    return {
        "field": field,
        "headerName": header,
        "valueFormatter": {"function": f"({json.dumps(shown)})[params.value] || params.value"},
    }


def users_rows(lang: str) -> list[dict]:
    return [
        stamped({**u, "status": "disabled" if u["disabled"] else "active"}, lang)
        for u in auth.list_users(app_context().state)
    ]


def status_column(w, lang: str) -> dict:
    """A user's status in the reader's words."""
    shown = {
        "active": pgettext(lang, "user status", "active"),
        "disabled": pgettext(lang, "user status", "disabled"),
    }
    return worded_column("status", w["status"], shown)


def role_words(lang: str) -> dict[str, str]:
    return {r: auth.role_name(r, lang) for r in auth.ROLES}


def audit_rows(lang: str, limit: int = 300) -> list[dict]:
    return [stamped(r, lang) for r in app_context().state.audit_log(limit)]


def lockout_rows(lang: str) -> list[dict]:
    return [stamped(r, lang) for r in auth.lockouts(app_context().state)]


def said(exc: Exception, lang: str) -> str:
    """A refused user change in the reader's words (``auth.AccountError``)."""
    if isinstance(exc, auth.AccountError):
        return gettext(lang, exc.message, **exc.fields)
    return str(exc)


def build(ctx: PageContext):
    w = ctx.w
    visible = visible_centres(ctx.con, ctx.user)
    names = centre_names(ctx.con, visible, ctx.lang)
    # the pickers show the centre as the reader calls it; their values stay its id
    centres = [{"value": c.centre_id, "label": names[c.centre_id]} for c in visible]
    users = ag_grid(
        ctx.lang,
        id="admin-users",
        rowData=users_rows(ctx.lang),
        columnDefs=[
            {"field": "username", "headerName": w["username"]},
            worded_column("role", w["role"], role_words(ctx.lang)),
            worded_column("centres", w["centres"], {"*": w["all"]}),
            status_column(w, ctx.lang),
            stamp_column("updated_at", w["updated"], ctx.lang),
        ],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1},
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "enableClickSelection": True},
            "domLayout": "autoHeight",
        },
    )
    form = html.Div(
        [
            dmc.TextInput(id="admin-new-name", label=w["username"], w=180),
            dmc.PasswordInput(id="admin-new-password", label=w["password"], w=180),
            dmc.Select(
                id="admin-new-role",
                label=w["role"],
                data=[{"value": r, "label": word} for r, word in role_words(ctx.lang).items()],
                value="manager",
                w=170,
            ),
            dmc.MultiSelect(id="admin-new-centres", label=w["centres"], data=centres, w=240),
            dmc.Button(w["add_user"], id="admin-add"),
        ],
        className="filter-bar",
    )
    actions = html.Div(
        [
            dmc.Button(w["disable"], id="admin-disable", variant="light", color="orange"),
            dmc.Button(w["enable"], id="admin-enable", variant="light", color="green"),
            dmc.PasswordInput(id="admin-reset-password", placeholder=w["password"], w=180),
            dmc.Button(w["reset_password"], id="admin-reset", variant="light"),
            dmc.Button(w["remove"], id="admin-remove", variant="light", color="red"),
        ],
        className="filter-bar",
    )
    audit = ag_grid(
        ctx.lang,
        id="admin-audit",
        rowData=audit_rows(ctx.lang),
        columnDefs=[
            stamp_column("at", w["at"], ctx.lang),
            {"field": "username", "headerName": w["username"]},
            worded_column(
                "action",
                w["action"],
                {code: pgettext(ctx.lang, *word) for code, word in ACTION_WORDS.items()},
            ),
            {"field": "detail", "headerName": w["detail"], "flex": 2},
        ],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "filter": True},
        dashGridOptions={"pagination": True, "paginationPageSize": 20},
        style={"height": "520px"},
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Div(w["users"], className="panel-title"),
                    form,
                    html.Div(id="admin-message", className="muted"),
                    users,
                    actions,
                ],
                className="panel",
            ),
            lockouts_panel(w, ctx.lang),
            html.Div([html.Div(w["audit"], className="panel-title"), audit], className="panel"),
            alert_rules_panel(w, centres, ctx.lang),
        ]
    )


def lockouts_panel(w, lang: str = "en") -> html.Div:
    """The log-in delays in force (per address, name, or both) and Unlock."""
    grid = ag_grid(
        lang,
        id="admin-lockouts",
        rowData=lockout_rows(lang),
        columnDefs=[
            {"field": "key", "headerName": w["lock_key"], "flex": 2},
            {"field": "failures", "headerName": w["failures"]},
            stamp_column("locked_until", w["until"], lang),
        ],
        defaultColDef={"resizable": True, "flex": 1},
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "enableClickSelection": True},
            "domLayout": "autoHeight",
        },
    )
    return html.Div(
        [
            html.Div(w["lockouts"], className="panel-title"),
            grid,
            html.Div(
                [
                    dmc.Button(w["unlock"], id="admin-unlock", variant="light"),
                    html.Div(id="admin-unlock-message", className="muted"),
                ],
                className="filter-bar",
            ),
        ],
        className="panel",
    )


@callbacks(
    Output("admin-unlock-message", "children"),
    Output("admin-lockouts", "rowData"),
    Input("admin-unlock", "n_clicks"),
    State("admin-lockouts", "selectedRows"),
    State("url", "search"),
    prevent_initial_call=True,
)
def unlock(_clicks, selected, search=None):
    """An admin lifts the chosen delay; audited."""
    admin = auth.require("admin")
    if not selected:
        return "—", no_update
    key = str(selected[0]["key"])
    auth.unlock(app_context().state, key)
    app_context().state.audit(admin.username, "login_unlocked", {"key": key})
    return f"{key} ✓", lockout_rows(page_language(search))


RULE_FIELDS_HIDDEN = ("centre_id", "source", "updated_at", "updated_by")


def alert_rules_panel(w, centres: list[dict[str, str]], lang: str = "en") -> html.Div:
    """Alert rules per centre: pick one, edit it as JSON (the TOML table's keys), save or
    delete; ``simulation.operations.alerts.save_rule`` validates and names a bad key."""
    return html.Div(
        [
            html.Div(w["alert_rules"], className="panel-title"),
            html.Div(
                [
                    dmc.Select(
                        id="admin-rules-centre",
                        label=w["centre"],
                        data=centres,
                        value=centres[0]["value"] if centres else None,
                        w=220,
                    ),
                    dmc.Button(w["save"], id="admin-rule-save"),
                    dmc.Button(w["remove"], id="admin-rule-delete", variant="light", color="red"),
                ],
                className="filter-bar",
            ),
            html.Div(id="admin-rule-message", className="muted"),
            ag_grid(
                lang,
                id="admin-rules",
                rowData=[],
                columnDefs=[
                    {"field": "name", "headerName": w["name"]},
                    {"field": "kind", "headerName": w["kind"]},
                    {"field": "enabled", "headerName": w["enabled"]},
                    {"field": "cooldown", "headerName": w["cooldown"]},
                    {"field": "channels", "headerName": w["channels"]},
                ],
                defaultColDef={"flex": 1, "resizable": True},
                dashGridOptions={
                    "rowSelection": {"mode": "singleRow", "enableClickSelection": True},
                    "domLayout": "autoHeight",
                },
            ),
            dmc.Textarea(
                id="admin-rule-json",
                label=w["rule_json"],
                autosize=True,
                minRows=6,
                styles={"input": {"fontFamily": "ui-monospace, monospace", "direction": "ltr"}},
            ),
        ],
        className="panel",
    )


def rules_rows(centre_id: str | None) -> list[dict]:
    from simulation.operations.alerts import list_rules

    if not centre_id:
        return []
    rows = list_rules(app_context().state, centre_id)
    return [
        {**r, "channels": ", ".join(r.get("channels") or []), "enabled": r.get("enabled", True)}
        | {
            "_json": json.dumps(
                {k: v for k, v in r.items() if k not in RULE_FIELDS_HIDDEN}, indent=2
            )
        }
        for r in rows
    ]


@callbacks(Output("admin-rules", "rowData"), Input("admin-rules-centre", "value"))
def show_rules(centre_id):
    auth.require("admin")
    return rules_rows(centre_for(centre_id) if centre_id else None)


@callbacks(
    Output("admin-rule-json", "value"),
    Input("admin-rules", "selectedRows"),
    prevent_initial_call=True,
)
def pick_rule(selected):
    auth.require("admin")
    return selected[0]["_json"] if selected else no_update


@callbacks(
    Output("admin-rule-message", "children"),
    Output("admin-rules", "rowData", allow_duplicate=True),
    Input("admin-rule-save", "n_clicks"),
    Input("admin-rule-delete", "n_clicks"),
    State("admin-rules-centre", "value"),
    State("admin-rule-json", "value"),
    State("url", "search"),
    prevent_initial_call=True,
)
def change_rule(_save, _delete, centre_id, text, search=None):
    admin = auth.require("admin")
    from simulation.operations.alerts import RuleError, delete_rule, save_rule

    lang = page_language(search)
    state = app_context().state
    if not centre_id:
        return gettext(lang, "Pick a centre first."), no_update
    centre_id = centre_for(centre_id)
    try:
        rule = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        return gettext(
            lang,
            "The rule is not valid JSON (line {line}, column {column}).",
            line=exc.lineno,
            column=exc.colno,
        ), no_update
    if dash.ctx.triggered_id == "admin-rule-delete":
        name = str(rule.get("name", ""))
        gone = delete_rule(state, centre_id, name, admin.username)
        if gone:
            return gettext(lang, "Rule {name} deleted.", name=name), rules_rows(centre_id)
        return gettext(lang, "There is no rule named {name}.", name=name), no_update
    try:
        saved = save_rule(state, centre_id, rule, admin.username)
    except (RuleError, ValueError) as exc:
        # what is wrong names the rule's key and value as written (the JSON's own words)
        return gettext(lang, "The rule was not saved: {why}", why=str(exc)), no_update
    return f"{saved.name} ✓", rules_rows(centre_id)


@callbacks(
    Output("admin-message", "children"),
    Output("admin-users", "rowData"),
    Output("admin-audit", "rowData"),
    Input("admin-add", "n_clicks"),
    State("admin-new-name", "value"),
    State("admin-new-password", "value"),
    State("admin-new-role", "value"),
    State("admin-new-centres", "value"),
    State("url", "search"),
    prevent_initial_call=True,
)
def add_user(_clicks, name, password, role, centres, search=None):
    admin = auth.require("admin")
    lang = page_language(search)
    state = app_context().state
    try:
        auth.add_user(state, name or "", password or "", role or "", centres or None)
    except auth.UserError as exc:
        return said(exc, lang), no_update, no_update
    state.audit(admin.username, "user_added", {"user": name, "role": role, "centres": centres})
    return f"{name} ✓", users_rows(lang), audit_rows(lang)


@callbacks(
    Output("admin-message", "children", allow_duplicate=True),
    Output("admin-users", "rowData", allow_duplicate=True),
    Output("admin-audit", "rowData", allow_duplicate=True),
    Input("admin-disable", "n_clicks"),
    Input("admin-enable", "n_clicks"),
    Input("admin-reset", "n_clicks"),
    Input("admin-remove", "n_clicks"),
    State("admin-users", "selectedRows"),
    State("admin-reset-password", "value"),
    State("url", "search"),
    prevent_initial_call=True,
)
def change_user(_d, _e, _r, _x, selected, new_password, search=None):
    admin = auth.require("admin")
    lang = page_language(search)
    trigger = dash.ctx.triggered_id
    if not selected:
        return "—", no_update, no_update
    name = selected[0]["username"]
    state = app_context().state
    try:
        if trigger == "admin-disable":
            if name == admin.username:
                return gettext(lang, "You cannot disable yourself."), no_update, no_update
            auth.update_user(state, name, disabled=True)
        elif trigger == "admin-enable":
            auth.update_user(state, name, disabled=False)
        elif trigger == "admin-reset":
            auth.update_user(state, name, password=new_password or "")
        elif trigger == "admin-remove":
            if name == admin.username:
                return gettext(lang, "You cannot remove yourself."), no_update, no_update
            auth.remove_user(state, name)
        else:
            return no_update, no_update, no_update
    except auth.UserError as exc:
        return said(exc, lang), no_update, no_update
    action = {"admin-disable": "user_disabled", "admin-enable": "user_enabled"}.get(
        trigger, "user_password" if trigger == "admin-reset" else "user_removed"
    )
    state.audit(admin.username, action, {"user": name})
    done = pgettext(lang, *ACTION_WORDS[action])
    return f"{name}: {done}", users_rows(lang), audit_rows(lang)


register_callbacks = callbacks.register


def layout(**query):
    return page(PATH, query, build, filters=())


register_page(__name__, PATH, "admin", order=90, roles=(), layout=layout)
