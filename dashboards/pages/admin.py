"""``/admin``: users (add, disable, reset password, roles, centres) and the audit log.

Only admins open it, and every callback checks that again (``require("admin")``): a
callback is reachable from any page. Every change is written to the audit log with who
made it. Alert rules are edited here too once the alerts are installed.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, html, no_update

from dashboards import auth
from dashboards.context import app_context, visible_centres
from dashboards.frame import PageContext, page

PATH = "/admin"


def users_rows() -> list[dict]:
    return [
        {**u, "status": "disabled" if u["disabled"] else "active"}
        for u in auth.list_users(app_context().state)
    ]


def audit_rows(limit: int = 300) -> list[dict]:
    return app_context().state.audit_log(limit)


def build(ctx: PageContext):
    w = ctx.w
    rtl = ctx.lang == "ar"
    centres = [c.centre_id for c in visible_centres(ctx.con, ctx.user)]
    users = dag.AgGrid(
        id="admin-users",
        rowData=users_rows(),
        columnDefs=[
            {"field": "username", "headerName": w["username"]},
            {"field": "role", "headerName": w["role"]},
            {"field": "centres", "headerName": w["centres"]},
            {"field": "status"},
            {"field": "updated_at"},
        ],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1},
        dashGridOptions={
            "enableRtl": rtl,
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
    audit = dag.AgGrid(
        id="admin-audit",
        rowData=audit_rows(),
        columnDefs=[
            {"field": "at"},
            {"field": "username", "headerName": w["username"]},
            {"field": "action"},
            {"field": "detail", "flex": 2},
        ],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "filter": True},
        dashGridOptions={"enableRtl": rtl, "pagination": True, "paginationPageSize": 20},
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
            html.Div([html.Div(w["audit"], className="panel-title"), audit], className="panel"),
            html.Div(id="admin-alert-rules"),
        ]
    )


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


dash.register_page(__name__, path=PATH, name="Admin", title="Admin", layout=layout)
