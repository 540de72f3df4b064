//! Access, as a table: every registered route (pages, API, operations — read from the routers
//! themselves) × every role × an object of the caller's own organisation or district and one of
//! another district, with the status each must answer. A route without an entry fails the test,
//! and so does an entry for a route that no longer exists. Also the leaks of issue 12, each
//! checked on its own.
//!
//! The world: district A is 渝北区 (500112), district B 渝中区 (500103). School A, enterprise A
//! and the bank are registered in A; school B and enterprise B in B. The district user is A's.
//! "own" objects are the caller's own organisation (`/orgs/{id}`), school A and district A
//! (alignment), enterprise A's draft (applications); "other" objects are B's.

use std::collections::{BTreeSet, HashMap};

use domain::orgs::OrgKind;
use serde_json::{Value, json};
use store::applications::NewApplication;

use crate::helpers::{TestApp, backends, client, credit, hidden, xlsx_rows};

const A: &str = "500112";
const B: &str = "500103";

/// The roles, in the order of the matrix's columns.
const ROLES: [&str; 8] = [
    "operator",
    "fgw",
    "jw",
    "district",
    "school",
    "enterprise",
    "bank",
    "anonymous",
];

/// (method, route as registered, target, expected status per role in [`ROLES`] order).
/// Targets: `-` (no object), `own`, `other` (see the module comment). Page POSTs carry the
/// session's CSRF token (uploads as a multipart form without a file) and only the fields a
/// route needs to reach its access checks ([`form_fields`]); API writes the same way
/// ([`api_body`]). Statuses: 200 shown,
/// 303 a redirect (for `anonymous`, always to the login page; checked), 401 no credentials,
/// 403 not allowed, 404 absent or out of scope, 400/415/422 refused input.
type Row = (&'static str, &'static str, &'static str, [u16; 8]);

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                                 op   fgw  jw   dist sch  ent  bank anon
    // Public pages, sign-in and the dashboard.
    ("GET", "/",                                            "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/login",                                       "-",     [303, 303, 303, 303, 303, 303, 303, 200]),
    ("POST","/login",                                       "-",     [403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST","/logout",                                      "-",     [303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/measures",                                    "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/measures/{number}",                           "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/policy/parameters",                           "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/rules",                                       "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/rules/land_supply",                           "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/rules/tax_credit",                            "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/static/app.css",                              "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/static/print.js",                             "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    // Organisations: the caller's own organisation, and another district's enterprise.
    ("GET", "/orgs",                                        "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/orgs/export.xlsx",                            "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/orgs/new",                                    "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/orgs/new",                                    "-",     [422, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/orgs/{id}",                                   "own",   [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/orgs/{id}",                                   "other", [200, 200, 200, 404, 404, 404, 404, 303]),
    // Administration and audit (operators only).
    ("POST","/admin/tokens",                                "-",     [422, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/admin/tokens/{id}/revoke",                    "-",     [303, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/admin/users",                                 "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/admin/users",                                 "-",     [422, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/admin/users/{id}/{action}",                   "-",     [303, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/admin/users/{id}/sessions",                   "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/admin/users/{id}/sessions/end",               "-",     [303, 403, 403, 403, 403, 403, 403, 303]),
    ("POST","/admin/users/{id}/sessions/{sid}/end",         "-",     [404, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/audit",                                       "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/audit/export.xlsx",                           "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    // Applications: enterprise A's draft (own) and enterprise B's (other); drafts are their applicant's alone.
    ("GET", "/applications",                                "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/applications/export.xlsx",                    "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/applications/new",                            "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("POST","/applications/new",                            "-",     [422, 422, 422, 422, 422, 422, 422, 303]),
    ("GET", "/applications/{id}",                           "own",   [404, 404, 404, 404, 404, 200, 404, 303]),
    ("GET", "/applications/{id}",                           "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST","/applications/{id}/act",                       "own",   [404, 404, 404, 404, 404, 422, 404, 303]),
    ("POST","/applications/{id}/act",                       "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST","/applications/{id}/attachments",               "own",   [404, 404, 404, 404, 404, 422, 404, 303]),
    ("POST","/applications/{id}/attachments",               "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/applications/{id}/attachments/{aid}",         "own",   [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/applications/{id}/attachments/{aid}",         "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/applications/{id}/edit",                      "own",   [404, 404, 404, 404, 404, 200, 404, 303]),
    ("GET", "/applications/{id}/edit",                      "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("POST","/applications/{id}/edit",                      "own",   [404, 404, 404, 404, 404, 422, 404, 303]),
    ("POST","/applications/{id}/edit",                      "other", [404, 404, 404, 404, 404, 404, 404, 303]),
    ("GET", "/certified",                                   "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    // Registers: the list of certified enterprises is public (non-public registers are scoped
    // by organisation; tests/it/registers.rs).
    ("GET", "/registers",                                   "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/registers/{register}",                        "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/registers/{register}/export.xlsx",            "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    // Its editors (市发展改革委) and the operator import entries; the form without a file is 422.
    ("GET", "/registers/{register}/template.xlsx",          "-",     [200, 200, 403, 403, 403, 403, 403, 303]),
    ("POST","/registers/{register}/import",                 "-",     [422, 422, 403, 403, 403, 403, 403, 303]),
    ("GET", "/registers/{register}/new",                    "-",     [200, 200, 403, 403, 403, 403, 403, 303]),
    ("POST","/registers/{register}/new",                    "-",     [422, 422, 403, 403, 403, 403, 403, 303]),
    ("POST","/registers/{register}/{id}/end",               "own",   [422, 422, 403, 403, 403, 403, 403, 303]),
    ("POST","/registers/{register}/{id}/end",               "other", [422, 422, 403, 403, 403, 403, 403, 303]),
    ("GET", "/registers/{register}/{id}",                   "own",   [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/registers/{register}/{id}",                   "other", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/inbox",                                       "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/queue",                                       "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    // Measure 12: the enterprise's ledger, the tax bureau's claims.
    ("GET", "/tax/claims",                                  "-",     [200, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/tax/ledger",                                  "-",     [403, 403, 403, 403, 403, 200, 403, 303]),
    ("GET", "/tax/ledger.xlsx",                             "-",     [403, 403, 403, 403, 403, 200, 403, 303]),
    // Measure 5: majors, occupations, supply, demand.
    ("GET", "/demand",                                      "-",     [200, 403, 200, 403, 403, 403, 403, 303]),
    ("POST","/demand/confirm",                              "-",     [303, 403, 303, 403, 403, 403, 403, 303]),
    ("GET", "/demand/export.xlsx",                          "-",     [200, 403, 200, 403, 403, 403, 403, 303]),
    ("POST","/demand/import",                               "-",     [422, 403, 422, 403, 403, 403, 403, 303]),
    ("GET", "/demand/queue",                                "-",     [200, 403, 200, 403, 403, 403, 403, 303]),
    ("GET", "/demand/template.xlsx",                        "-",     [200, 403, 200, 403, 403, 403, 403, 303]),
    ("GET", "/majors",                                      "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/majors/export.xlsx",                          "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST","/majors/import",                               "-",     [422, 403, 422, 403, 403, 403, 403, 303]),
    ("GET", "/majors/template.xlsx",                        "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/majors/{level}/{code}/occupations",           "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST","/majors/{level}/{code}/occupations/add",       "-",     [422, 403, 422, 403, 403, 403, 403, 303]),
    ("POST","/majors/{level}/{code}/occupations/remove",    "-",     [404, 403, 404, 403, 403, 403, 403, 303]),
    ("GET", "/occupations",                                 "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/occupations/crosswalk-template.xlsx",         "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/occupations/crosswalk.xlsx",                  "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST","/occupations/crosswalk/import",                "-",     [422, 403, 422, 403, 403, 403, 403, 303]),
    ("GET", "/occupations/export.xlsx",                     "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST","/occupations/import",                          "-",     [422, 403, 422, 403, 403, 403, 403, 303]),
    ("GET", "/occupations/template.xlsx",                   "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/supply",                                      "-",     [200, 403, 200, 403, 200, 403, 403, 303]),
    ("GET", "/supply/export.xlsx",                          "-",     [200, 403, 200, 403, 200, 403, 403, 303]),
    ("POST","/supply/import",                               "-",     [422, 403, 422, 403, 422, 403, 403, 303]),
    ("GET", "/supply/template.xlsx",                        "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    // Measure 5: alignment — district A and school A (own), district B and school B (other).
    ("GET", "/alignment",                                   "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/clusters",                          "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/clusters/{code}",                   "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/districts",                         "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/districts/{code}",                  "own",   [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/districts/{code}",                  "other", [200, 200, 200, 404, 404, 404, 404, 303]),
    ("GET", "/alignment/export.xlsx",                       "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/majors/{code}",                     "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/scenario",                          "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("GET", "/alignment/scenario/export.xlsx",              "-",     [200, 200, 200, 200, 200, 200, 200, 303]),
    ("POST","/alignment/recompute",                         "-",     [303, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/alignment/schools/{id}",                      "own",   [200, 200, 200, 200, 200, 404, 404, 303]),
    ("GET", "/alignment/schools/{id}",                      "other", [200, 200, 200, 404, 404, 404, 404, 303]),
    ("GET", "/alignment/schools/{id}/report",               "own",   [200, 200, 200, 200, 200, 404, 404, 303]),
    ("GET", "/alignment/schools/{id}/report",               "other", [200, 200, 200, 404, 404, 404, 404, 303]),
    ("GET", "/alignment/schools/{id}/{code}/{year}",        "own",   [200, 200, 200, 200, 200, 404, 404, 303]),
    ("GET", "/alignment/schools/{id}/{code}/{year}",        "other", [200, 200, 200, 404, 404, 404, 404, 303]),
    // The JSON API (bearer tokens; anonymous sends none).
    ("GET", "/api/v1/alignment/majors",                     "-",     [200, 200, 200, 200, 200, 200, 200, 401]),
    ("GET", "/api/v1/applications",                         "-",     [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST","/api/v1/applications",                         "-",     [403, 403, 403, 403, 403, 201, 403, 401]),
    ("GET", "/api/v1/applications/{id}",                    "own",   [404, 404, 404, 404, 404, 200, 404, 401]),
    ("GET", "/api/v1/applications/{id}",                    "other", [404, 404, 404, 404, 404, 404, 404, 401]),
    ("POST","/api/v1/applications/{id}/actions",            "own",   [404, 404, 404, 404, 404, 409, 404, 401]),
    ("POST","/api/v1/applications/{id}/actions",            "other", [404, 404, 404, 404, 404, 404, 404, 401]),
    // Files through the API: the applicant's own (the empty body is 422), nobody else's.
    ("POST","/api/v1/applications/{id}/attachments",        "own",   [404, 404, 404, 404, 404, 422, 404, 401]),
    ("POST","/api/v1/applications/{id}/attachments",        "other", [404, 404, 404, 404, 404, 404, 404, 401]),
    ("GET", "/api/v1/certified",                            "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/registers",                            "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/registers/{register}",                 "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    // Entering an entry: its editors (the empty body is 422), nobody else.
    ("POST","/api/v1/registers/{register}",                 "-",     [422, 422, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/registers/{register}/{id}",            "own",   [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/registers/{register}/{id}",            "other", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/demand",                               "-",     [200, 403, 200, 403, 403, 403, 403, 401]),
    ("POST","/api/v1/demand/confirm",                       "-",     [200, 403, 200, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/demand/pending",                       "-",     [200, 403, 200, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/majors",                               "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/majors/{level}/{code}/occupations",    "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("PUT", "/api/v1/majors/{level}/{code}/occupations",    "-",     [422, 403, 422, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/measures",                             "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/occupations",                          "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/openapi.json",                         "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/orgs",                                 "-",     [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST","/api/v1/orgs",                                 "-",     [422, 403, 403, 403, 403, 403, 403, 401]),
    ("GET", "/api/v1/orgs/{id}",                            "own",   [200, 200, 200, 200, 200, 200, 200, 401]),
    ("GET", "/api/v1/orgs/{id}",                            "other", [200, 200, 200, 404, 404, 404, 404, 401]),
    ("GET", "/api/v1/policy/parameters",                    "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/queue",                                "-",     [200, 200, 200, 200, 200, 200, 200, 401]),
    ("POST","/api/v1/rules/{rule}/evaluate",                "-",     [422, 422, 422, 422, 422, 422, 422, 401]),
    ("GET", "/api/v1/supply",                               "-",     [200, 403, 200, 403, 200, 403, 403, 401]),
    // Operations.
    ("GET", "/healthz",                                     "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz",                                      "-",     [200, 200, 200, 200, 200, 200, 200, 200]),
];

/// The objects of the world.
struct Ids {
    school_a: i64,
    school_b: i64,
    ent_b: i64,
    /// Enterprise A's and B's drafts.
    app_a: i64,
    app_b: i64,
    /// Enterprise A's and B's entries in the list of certified enterprises.
    entry_a: i64,
    entry_b: i64,
    victim_user: i64,
    victim_token: i64,
    own_org: HashMap<&'static str, i64>,
}

struct World {
    app: TestApp,
    pages: HashMap<&'static str, reqwest::Client>,
    csrf: HashMap<&'static str, String>,
    tokens: HashMap<&'static str, String>,
    ids: Ids,
}

const ENT_A: &str = "91500112MA5U80001";
const ENT_B: &str = "91500103MA5U80002";
const BANK: &str = "91500112MA5U80003";

async fn world(backend: store::Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let (school_a, school_b) = crate::alignment::seed(&app).await;
    app.org(
        OrgKind::Enterprise,
        &credit(ENT_A),
        "渝北矩阵智造有限公司",
        A,
    )
    .await;
    let ent_b = app
        .org(
            OrgKind::Enterprise,
            &credit(ENT_B),
            "渝中矩阵软件有限公司",
            B,
        )
        .await;
    let bank = app
        .org(OrgKind::Bank, &credit(BANK), "重庆矩阵银行渝北支行", A)
        .await;
    let users: [(&'static str, &str, String); 7] = [
        ("operator", "operator", "operator".into()),
        ("fgw", "department", "fgw".into()),
        ("jw", "department", "jw".into()),
        ("district", "district", A.into()),
        ("school", "school", credit("52500112MJ0000001")),
        ("enterprise", "enterprise", credit(ENT_A)),
        ("bank", "bank", credit(BANK)),
    ];
    let mut pages = HashMap::new();
    let mut csrf = HashMap::new();
    let mut tokens = HashMap::new();
    let mut own_org = HashMap::new();
    for (who, role, org) in &users {
        let uid = app.user(&format!("m_{who}"), role, org).await;
        tokens.insert(*who, app.token(uid).await);
        let c = app.login(&format!("m_{who}")).await;
        let html = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Every signed-in page carries the session's token (in the header's logout form).
        csrf.insert(
            *who,
            hidden(&html, "csrf").expect("csrf on a signed-in page"),
        );
        pages.insert(*who, c);
        let org_id = store::orgs::get_by_code(&app.db, org)
            .await
            .unwrap()
            .unwrap()
            .id;
        own_org.insert(*who, org_id);
    }
    pages.insert("anonymous", client());
    own_org.insert("anonymous", school_a);
    let victim_user = app.user("m_victim", "enterprise", &credit(ENT_B)).await;
    let victim = app.token(victim_user).await;
    let victim_token = app
        .count(&format!(
            "SELECT MAX(id) FROM api_tokens WHERE user_id = {victim_user}"
        ))
        .await;
    // Tax claims need a certified enterprise (checked when a claim is created).
    app.certified(&credit(ENT_A)).await;
    app.certified(&credit(ENT_B)).await;
    let entry = |code: String| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT e.id FROM register_entries e JOIN orgs o ON o.id = e.owner_org_id WHERE o.code = '{code}'"
            ))
            .await
        }
    };
    let (entry_a, entry_b) = (entry(credit(ENT_A)).await, entry(credit(ENT_B)).await);
    let app_a = draft(&app, &tokens["enterprise"]).await;
    let app_b = draft(&app, &victim).await;
    let _ = bank;
    World {
        app,
        pages,
        csrf,
        tokens,
        ids: Ids {
            school_a,
            school_b,
            ent_b,
            app_a,
            app_b,
            entry_a,
            entry_b,
            victim_user,
            victim_token,
            own_org,
        },
    }
}

/// A draft tax-credit claim of the token's enterprise.
async fn draft(app: &TestApp, token: &str) -> i64 {
    let r = client()
        .post(app.url("/api/v1/applications"))
        .bearer_auth(token)
        .json(&json!({"kind": "tax_credit_claim", "data": {"year": 2025, "investment_fen": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

const ROBOTS: &str = "460305";
const NURSING: &str = "520201";

impl World {
    /// The concrete path of `route` for `target` as `who` sees it.
    fn path(&self, route: &str, target: &str, who: &str) -> String {
        let i = &self.ids;
        let other = target == "other";
        let pick = |own: i64, oth: i64| if other { oth } else { own }.to_string();
        let mut p = route.to_string();
        let subst = |p: &mut String, k: &str, v: String| *p = p.replace(k, &v);
        if route.starts_with("/orgs/") || route.starts_with("/api/v1/orgs/") {
            subst(&mut p, "{id}", pick(i.own_org[who], i.ent_b));
        } else if route.starts_with("/alignment/schools/") {
            subst(&mut p, "{id}", pick(i.school_a, i.school_b));
            subst(&mut p, "{code}", NURSING.into());
            subst(&mut p, "{year}", "2025".into());
        } else if route.starts_with("/alignment/districts/") {
            subst(&mut p, "{code}", if other { B } else { A }.into());
        } else if route.starts_with("/alignment/majors/") {
            subst(&mut p, "{code}", ROBOTS.into());
        } else if route.starts_with("/alignment/clusters/") {
            subst(&mut p, "{code}", "t4-02".into());
        } else if route.contains("/applications/{id}") {
            subst(&mut p, "{id}", pick(i.app_a, i.app_b));
            subst(&mut p, "{aid}", "1".into());
        } else if route.starts_with("/admin/users/") {
            subst(&mut p, "{id}", i.victim_user.to_string());
            subst(&mut p, "{action}", "disable".into());
            subst(&mut p, "{sid}", "1".into());
        } else if route.starts_with("/admin/tokens/") {
            subst(&mut p, "{id}", i.victim_token.to_string());
        } else if route.contains("/registers/{register}") {
            subst(&mut p, "{register}", "certified_enterprises".into());
            subst(&mut p, "{id}", pick(i.entry_a, i.entry_b));
        } else if route.starts_with("/measures/") {
            subst(&mut p, "{number}", "5".into());
        } else if route.contains("/majors/{level}/{code}") {
            subst(&mut p, "{level}", "VOCATIONAL_ASSOCIATE".into());
            subst(&mut p, "{code}", ROBOTS.into());
        } else if route.contains("/rules/{rule}") {
            subst(&mut p, "{rule}", "tax_credit".into());
        }
        assert!(!p.contains('{'), "no value for a parameter of {route}");
        if route == "/applications/new" {
            // The form is per kind; enterprises apply for tax credits.
            p.push_str("?kind=tax_credit_claim");
        }
        p
    }

    async fn status(&self, method: &str, route: &str, target: &str, who: &'static str) -> u16 {
        let path = self.path(route, target, who);
        let api = path.starts_with("/api/");
        let c = if api {
            client()
        } else {
            self.pages[who].clone()
        };
        let mut url = self.app.url(&path);
        let mut req = match method {
            "GET" => c.get(&url),
            "POST" | "PUT" | "PATCH" | "DELETE" => {
                let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                if api {
                    c.request(m, &url).json(&api_body(route))
                } else {
                    let token = self.csrf.get(who).cloned().unwrap_or_default();
                    let sep = if url.contains('?') { '&' } else { '?' };
                    url.push_str(&format!("{sep}csrf={token}"));
                    if route.ends_with("/import") || route.ends_with("/attachments") {
                        // File uploads: a multipart form without the file.
                        let form = reqwest::multipart::Form::new().text("csrf", token);
                        c.request(m, &url).multipart(form)
                    } else {
                        let mut fields = vec![("csrf", token)];
                        fields.extend(form_fields(route).iter().map(|(k, v)| (*k, v.to_string())));
                        c.request(m, &url).form(&fields)
                    }
                }
            }
            m => panic!("no request for method {m}"),
        };
        if api && let Some(t) = self.tokens.get(who) {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let s = r.status().as_u16();
        if who == "anonymous" && s == 303 {
            let to = r.headers()["location"].to_str().unwrap();
            assert!(
                to.starts_with("/login") || route == "/logout",
                "{method} {path} sends anonymous callers to {to}"
            );
        }
        s
    }
}

/// The JSON body of an API write: enough to get past the body's parsing to the access checks
/// where the route needs fields; an empty object elsewhere.
fn api_body(route: &str) -> Value {
    match route {
        "/api/v1/applications" => {
            // Another year than the fixture's draft (one claim per enterprise and year).
            json!({"kind": "tax_credit_claim", "data": {"year": 2024, "investment_fen": 1}})
        }
        "/api/v1/applications/{id}/actions" => json!({"action": "approve", "version": 1}),
        "/api/v1/demand/confirm" => json!({"title": "矩阵测试岗位", "occupation_code": null}),
        _ => json!({}),
    }
}

/// Form fields (besides the CSRF token) of a page POST, where the route needs some to reach
/// its access checks.
fn form_fields(route: &str) -> &'static [(&'static str, &'static str)] {
    match route {
        "/applications/new" => &[("kind", "tax_credit_claim")],
        "/demand/confirm" => &[("title", "矩阵测试岗位"), ("none", "1")],
        _ => &[],
    }
}

/// The registered routes of the whole application, as (method, path template).
fn registered() -> BTreeSet<(String, String)> {
    web::pages::route_table()
        .into_iter()
        .chain(web::api::route_table())
        .chain(web::ops::route_table())
        .collect()
}

#[test]
fn every_route_has_an_entry_in_the_matrix() {
    let routes = registered();
    let listed: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, r, _, _)| (m.to_string(), r.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without an access-matrix entry (add them to MATRIX in access_matrix.rs): {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&routes).collect();
    assert!(stale.is_empty(), "matrix entries for no route: {stale:?}");
    for (m, r, t, _) in MATRIX {
        assert!(["-", "own", "other"].contains(t), "{m} {r}: target {t}");
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    for backend in backends() {
        let w = world(backend).await;
        let mut wrong = Vec::new();
        let mut observed = Vec::new();
        // Logging out ends the session the other rows use: last.
        let mut rows: Vec<&Row> = MATRIX.iter().collect();
        rows.sort_by_key(|(_, r, _, _)| *r == "/logout");
        for (method, route, target, expected) in rows {
            let mut got = [0u16; 8];
            for (k, who) in ROLES.iter().enumerate() {
                got[k] = w.status(method, route, target, who).await;
            }
            if got != *expected {
                wrong.push(format!(
                    "{method} {route} [{target}]: expected {expected:?}, got {got:?}"
                ));
            }
            observed.push(format!(
                "    (\"{method}\", \"{route}\", \"{target}\", {got:?}),"
            ));
        }
        assert!(
            wrong.is_empty(),
            "{backend:?}: {} rows differ:\n{}\n\nobserved:\n{}",
            wrong.len(),
            wrong.join("\n"),
            observed.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The leaks named in issue 12, each on its own.

async fn json_get(token: &str, url: String) -> (u16, Value) {
    let r = client().get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A district user naming another district in the organisation list, with a two-character
/// name search (the bigram index's count-only path) and longer ones, gets nothing of it — in
/// the API, the page and the export — while its own district and a department still find it.
#[tokio::test]
async fn a_district_filter_cannot_widen_a_district_users_org_list() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        app.org(
            OrgKind::Enterprise,
            &credit(ENT_A),
            "渝北星河软件有限公司",
            A,
        )
        .await;
        app.org(
            OrgKind::Enterprise,
            &credit(ENT_B),
            "渝中星河软件有限公司",
            B,
        )
        .await;
        let d = app.user("d_a", "district", A).await;
        let d_token = app.token(d).await;
        let f = app.user("fgw_u", "department", "fgw").await;
        let f_token = app.token(f).await;
        let d_page = app.login("d_a").await;

        for q in ["软件", "星河软", "星河软件"] {
            let (s, v) = json_get(
                &d_token,
                app.url(&format!("/api/v1/orgs?district={B}&q={q}")),
            )
            .await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["total"], 0, "{q}: {v}");
            assert_eq!(v["items"].as_array().unwrap().len(), 0, "{q}: {v}");

            let html = d_page
                .get(app.url(&format!("/orgs?district={B}&q={q}")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!html.contains("渝中星河软件有限公司"), "{q}: {html}");

            let r = d_page
                .get(app.url(&format!("/orgs/export.xlsx?district={B}&q={q}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let rows = xlsx_rows(&r.bytes().await.unwrap(), None);
            assert_eq!(rows.len(), 1, "{q}: only the header: {rows:?}");

            // Its own district, with or without naming it, finds its own enterprise only.
            for filter in [format!("district={A}&"), String::new()] {
                let (_, v) =
                    json_get(&d_token, app.url(&format!("/api/v1/orgs?{filter}q={q}"))).await;
                assert_eq!(v["total"], 1, "{filter}{q}: {v}");
                assert_eq!(v["items"][0]["name"], "渝北星河软件有限公司");
            }
            // A department sees B's with B's filter.
            let (_, v) = json_get(
                &f_token,
                app.url(&format!("/api/v1/orgs?district={B}&q={q}")),
            )
            .await;
            assert_eq!(v["total"], 1, "{q}: {v}");
            assert_eq!(v["items"][0]["name"], "渝中星河软件有限公司");
        }
        // Without a search, the same.
        let (_, v) = json_get(&d_token, app.url(&format!("/api/v1/orgs?district={B}"))).await;
        assert_eq!(v["total"], 0, "{v}");
    }
}

/// A district user opens its own district's and schools' figures under 专业与需求, and gets 404
/// for another district's (the school page, its report, an offering, the district page, the
/// exports), which also stay out of the lists it sees.
#[tokio::test]
async fn a_district_user_sees_only_its_own_alignment_figures() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (a, b) = crate::alignment::seed(&app).await;
        app.user("d_a", "district", A).await;
        let d = app.login("d_a").await;
        let get = |url: String| {
            let d = d.clone();
            async move {
                let r = d.get(url).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        for (path, own) in [
            (format!("/alignment/schools/{a}?year=2025"), true),
            (format!("/alignment/schools/{a}/report?year=2025"), true),
            (format!("/alignment/schools/{a}/{NURSING}/2025"), true),
            (format!("/alignment/districts/{A}?year=2025"), true),
            (format!("/alignment/export.xlsx?year=2025&school={a}"), true),
            (
                format!("/alignment/export.xlsx?year=2025&district={A}"),
                true,
            ),
            (format!("/alignment/schools/{b}?year=2025"), false),
            (format!("/alignment/schools/{b}/report?year=2025"), false),
            (format!("/alignment/schools/{b}/{NURSING}/2025"), false),
            (format!("/alignment/districts/{B}?year=2025"), false),
            (
                format!("/alignment/export.xlsx?year=2025&school={b}"),
                false,
            ),
            (
                format!("/alignment/export.xlsx?year=2025&district={B}"),
                false,
            ),
        ] {
            let (s, _) = get(app.url(&path)).await;
            assert_eq!(s, if own { 200 } else { 404 }, "{path}");
        }
        // The lists leave B out: the districts overview, a major's schools, a scenario's changes.
        let (_, html) = get(app.url("/alignment/districts?year=2025")).await;
        assert!(
            html.contains("渝北区") && !html.contains("渝中区"),
            "{html}"
        );
        let (_, html) = get(app.url(&format!("/alignment/majors/{NURSING}?year=2025"))).await;
        assert!(
            html.contains("重庆甲职业学院") && !html.contains("重庆乙职业学院"),
            "{html}"
        );
        let scenario = "/alignment/scenario?year=2025&shortage_ratio=3.5&min_matching_rate=0.99";
        let (s, html) = get(app.url(scenario)).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("重庆甲职业学院") && !html.contains("重庆乙职业学院"),
            "{html}"
        );
        // A department still sees both.
        app.user("jw_u", "department", "jw").await;
        let jw = app.login("jw_u").await;
        for path in [
            format!("/alignment/schools/{b}?year=2025"),
            format!("/alignment/districts/{B}?year=2025"),
        ] {
            assert_eq!(
                jw.get(app.url(&path)).send().await.unwrap().status(),
                200,
                "{path}"
            );
        }
        let html = jw
            .get(app.url(&format!("/alignment/majors/{NURSING}?year=2025")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("重庆乙职业学院"), "{html}");
        let html = jw
            .get(app.url(scenario))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("重庆甲职业学院") && html.contains("重庆乙职业学院"),
            "{html}"
        );
    }
}

/// The tax bureau's list of claims shows submitted claims, never an enterprise's draft; the
/// enterprise still sees its own draft.
#[tokio::test]
async fn the_tax_bureau_does_not_see_drafts() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let drafter = app
            .org(
                OrgKind::Enterprise,
                &credit(ENT_A),
                "渝北草稿企业有限公司",
                A,
            )
            .await;
        let submitter = app
            .org(
                OrgKind::Enterprise,
                &credit(ENT_B),
                "渝中已报企业有限公司",
                B,
            )
            .await;
        let mut tx = app.db.begin().await.unwrap();
        for (org, district, status) in [(drafter, A, "draft"), (submitter, B, "in_review")] {
            store::applications::create(
                &mut tx,
                &store::Actor::system("test"),
                &NewApplication {
                    kind: "tax_credit_claim".into(),
                    applicant_org_id: org,
                    district: Some(district.into()),
                    title: "投资抵免申报（2025年度）".into(),
                    year: Some(2025),
                    status: status.into(),
                    state_json: "{}".into(),
                    data_json: r#"{"year": 2025, "investment_fen": 1}"#.into(),
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        app.user("sw_u", "department", "sw").await;
        app.user("ent_u", "enterprise", &credit(ENT_A)).await;
        let sw = app.login("sw_u").await;
        for query in ["", "?year=2025", &format!("?district={A}")] {
            let html = sw
                .get(app.url(&format!("/tax/claims{query}")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!html.contains("渝北草稿企业有限公司"), "{query}: {html}");
            if !query.contains(A) {
                assert!(html.contains("渝中已报企业有限公司"), "{query}: {html}");
            }
        }
        let ent = app.login("ent_u").await;
        let html = ent
            .get(app.url("/applications"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("投资抵免申报（2025年度）"), "{html}");
    }
}
