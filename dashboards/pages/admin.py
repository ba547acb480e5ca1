"""``/admin``: users (add, disable, reset password, roles, centres) and the audit log.

Only admins open it, and every callback checks that again (``require("admin")``): a
callback is reachable from any page. Every change is written to the audit log with who
made it. Alert rules are edited here too once the alerts are installed.
"""

from __future__ import annotations

import json

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html, no_update

from analytics.translation import pgettext
from dashboards import auth
from dashboards.context import app_context, centre_for, visible_centres
from dashboards.frame import PageContext, page, register_page
from dashboards.grid import ag_grid

PATH = "/admin"


def users_rows() -> list[dict]:
    return [
        {
            **u,
            "status": "disabled" if u["disabled"] else "active",
            "updated_at": stamp(u["updated_at"]),
        }
        for u in auth.list_users(app_context().state)
    ]


def stamp(value) -> str:
    """A stored instant ("2026-12-07T03:53:04+00:00") as its date and minute, UTC."""
    return str(value)[:16].replace("T", " ") if value else ""


def status_column(w, lang: str) -> dict:
    """A user's status in the reader's words (the rows keep the code)."""
    shown = {
        "active": pgettext(lang, "user status", "active"),
        "disabled": pgettext(lang, "user status", "disabled"),
    }
    return {
        "field": "status",
        "headerName": w["status"],
        "valueFormatter": {"function": f"({json.dumps(shown)})[params.value] || params.value"},
    }


def audit_rows(limit: int = 300) -> list[dict]:
    return [{**r, "at": stamp(r["at"])} for r in app_context().state.audit_log(limit)]


def build(ctx: PageContext):
    w = ctx.w
    centres = [c.centre_id for c in visible_centres(ctx.con, ctx.user)]
    users = ag_grid(
        ctx.lang,
        id="admin-users",
        rowData=users_rows(),
        columnDefs=[
            {"field": "username", "headerName": w["username"]},
            {"field": "role", "headerName": w["role"]},
            {"field": "centres", "headerName": w["centres"]},
            status_column(w, ctx.lang),
            {"field": "updated_at", "headerName": w["updated"]},
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
                id="admin-new-role", label=w["role"], data=list(auth.ROLES), value="manager", w=150
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
        rowData=audit_rows(),
        columnDefs=[
            {"field": "at", "headerName": w["at"]},
            {"field": "username", "headerName": w["username"]},
            {"field": "action", "headerName": w["action"]},
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
        rowData=auth.lockouts(app_context().state),
        columnDefs=[
            {"field": "key", "headerName": w["lock_key"], "flex": 2},
            {"field": "failures", "headerName": w["failures"]},
            {"field": "locked_until", "headerName": w["until"]},
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


def unlock(_clicks, selected):
    """An admin lifts the chosen delay; audited."""
    admin = auth.require("admin")
    if not selected:
        return "—", no_update
    key = str(selected[0]["key"])
    auth.unlock(app_context().state, key)
    app_context().state.audit(admin.username, "login_unlocked", {"key": key})
    return f"{key} ✓", auth.lockouts(app_context().state)


RULE_FIELDS_HIDDEN = ("centre_id", "source", "updated_at", "updated_by")


def alert_rules_panel(w, centres: list[str], lang: str = "en") -> html.Div:
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
                        value=centres[0] if centres else None,
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


def show_rules(centre_id):
    auth.require("admin")
    return rules_rows(centre_for(centre_id) if centre_id else None)


def pick_rule(selected):
    auth.require("admin")
    return selected[0]["_json"] if selected else no_update


def change_rule(_save, _delete, centre_id, text):
    admin = auth.require("admin")
    from simulation.operations.alerts import RuleError, delete_rule, save_rule

    state = app_context().state
    if not centre_id:
        return "pick a centre", no_update
    centre_id = centre_for(centre_id)
    try:
        rule = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc}", no_update
    if dash.ctx.triggered_id == "admin-rule-delete":
        gone = delete_rule(state, centre_id, str(rule.get("name", "")), admin.username)
        return ("deleted" if gone else "no such rule"), rules_rows(centre_id)
    try:
        saved = save_rule(state, centre_id, rule, admin.username)
    except (RuleError, ValueError) as exc:
        return str(exc), no_update
    return f"{saved.name} ✓", rules_rows(centre_id)


def add_user(_clicks, name, password, role, centres):
    admin = auth.require("admin")
    state = app_context().state
    try:
        auth.add_user(state, name or "", password or "", role or "", centres or None)
    except auth.UserError as exc:
        return str(exc), no_update, no_update
    state.audit(admin.username, "user_added", {"user": name, "role": role, "centres": centres})
    return f"{name} ✓", users_rows(), audit_rows()


def change_user(_d, _e, _r, _x, selected, new_password):
    admin = auth.require("admin")
    trigger = dash.ctx.triggered_id
    if not selected:
        return "—", no_update, no_update
    name = selected[0]["username"]
    state = app_context().state
    try:
        if trigger == "admin-disable":
            if name == admin.username:
                return "you cannot disable yourself", no_update, no_update
            auth.update_user(state, name, disabled=True)
        elif trigger == "admin-enable":
            auth.update_user(state, name, disabled=False)
        elif trigger == "admin-reset":
            auth.update_user(state, name, password=new_password or "")
        elif trigger == "admin-remove":
            if name == admin.username:
                return "you cannot remove yourself", no_update, no_update
            auth.remove_user(state, name)
        else:
            return no_update, no_update, no_update
    except auth.UserError as exc:
        return str(exc), no_update, no_update
    action = {"admin-disable": "user_disabled", "admin-enable": "user_enabled"}.get(
        trigger, "user_password" if trigger == "admin-reset" else "user_removed"
    )
    state.audit(admin.username, action, {"user": name})
    return f"{name}: {action}", users_rows(), audit_rows()


def register_callbacks(app) -> None:
    app.callback(
        Output("admin-unlock-message", "children"),
        Output("admin-lockouts", "rowData"),
        Input("admin-unlock", "n_clicks"),
        State("admin-lockouts", "selectedRows"),
        prevent_initial_call=True,
    )(unlock)
    app.callback(Output("admin-rules", "rowData"), Input("admin-rules-centre", "value"))(show_rules)
    app.callback(
        Output("admin-rule-json", "value"),
        Input("admin-rules", "selectedRows"),
        prevent_initial_call=True,
    )(pick_rule)
    app.callback(
        Output("admin-rule-message", "children"),
        Output("admin-rules", "rowData", allow_duplicate=True),
        Input("admin-rule-save", "n_clicks"),
        Input("admin-rule-delete", "n_clicks"),
        State("admin-rules-centre", "value"),
        State("admin-rule-json", "value"),
        prevent_initial_call=True,
    )(change_rule)
    app.callback(
        Output("admin-message", "children"),
        Output("admin-users", "rowData"),
        Output("admin-audit", "rowData"),
        Input("admin-add", "n_clicks"),
        State("admin-new-name", "value"),
        State("admin-new-password", "value"),
        State("admin-new-role", "value"),
        State("admin-new-centres", "value"),
        prevent_initial_call=True,
    )(add_user)
    app.callback(
        Output("admin-message", "children", allow_duplicate=True),
        Output("admin-users", "rowData", allow_duplicate=True),
        Output("admin-audit", "rowData", allow_duplicate=True),
        Input("admin-disable", "n_clicks"),
        Input("admin-enable", "n_clicks"),
        Input("admin-reset", "n_clicks"),
        Input("admin-remove", "n_clicks"),
        State("admin-users", "selectedRows"),
        State("admin-reset-password", "value"),
        prevent_initial_call=True,
    )(change_user)


def layout(**query):
    return page(PATH, query, build, filters=())


register_page(__name__, PATH, "admin", order=90, roles=(), layout=layout)
