//! Login, throttling, sessions, CSRF and tokens.

use crate::helpers::{PASSWORD, TestApp, backends, client, hidden};

/// A cookie-keeping client whose connections come from `ip` (any 127.0.0.0/8 address is
/// this machine), so tests can play several client addresses.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// The alert a refused login shows.
fn alert(html: &str) -> String {
    let start = html.find("role=\"alert\">").expect("an alert") + "role=\"alert\">".len();
    let end = html[start..].find("</p>").unwrap() + start;
    html[start..end].to_string()
}

/// Security settings whose delays are long enough that a test cannot outrun them by accident.
fn slow_delays() -> web::Security {
    web::Security {
        login_free_failures: 3,
        login_base_delay_secs: 120,
        ..web::Security::default()
    }
}

const THROTTLED: &str = "登录尝试过于频繁，请稍后再试";

#[tokio::test]
async fn a_burst_of_failures_is_delayed_but_cannot_lock_out_the_user() {
    for b in backends() {
        let app = TestApp::spawn_with(b, slow_delays()).await;
        let uid = app.user("dis1", "district", "500103").await;
        // The user has signed in from 127.0.0.1 before.
        let home = client_from("127.0.0.1");
        assert_eq!(app.try_login(&home, "dis1", PASSWORD).await.status(), 303);

        // An attacker at 127.0.0.2 guesses dis1's password; another at 127.0.0.3 guesses a
        // name that does not exist. Both see exactly the same answers.
        let known = client_from("127.0.0.2");
        let unknown = client_from("127.0.0.3");
        for i in 1..=3 {
            let r1 = app.try_login(&known, "dis1", "wrong-password").await;
            let r2 = app.try_login(&unknown, "ghost", "wrong-password").await;
            assert_eq!(r1.status(), 401, "attempt {i}");
            assert_eq!(r2.status(), 401, "attempt {i}");
            let (t1, t2) = (r1.text().await.unwrap(), r2.text().await.unwrap());
            assert_eq!(alert(&t1), "用户名或密码错误");
            assert_eq!(alert(&t1), alert(&t2));
            assert_eq!(normalise(&t1, "dis1"), normalise(&t2, "ghost"));
        }
        // The fourth attempt comes too soon: refused before the password is looked at, even
        // the right one, and identically for the unknown name.
        let r1 = app.try_login(&known, "dis1", PASSWORD).await;
        let r2 = app.try_login(&unknown, "ghost", PASSWORD).await;
        assert_eq!(r1.status(), 429);
        assert_eq!(r2.status(), 429);
        let (t1, t2) = (r1.text().await.unwrap(), r2.text().await.unwrap());
        assert_eq!(alert(&t1), THROTTLED);
        assert_eq!(normalise(&t1, "dis1"), normalise(&t2, "ghost"));
        // The attacker's address is slowed for every name.
        let r = app.try_login(&known, "someone", "x-wrong-password").await;
        assert_eq!(r.status(), 429);
        // A new address trying dis1 waits too (the account's failures count there)...
        let fresh = client_from("127.0.0.4");
        let r = app.try_login(&fresh, "dis1", PASSWORD).await;
        assert_eq!(r.status(), 429);
        assert_eq!(alert(&r.text().await.unwrap()), THROTTLED);
        // ...but the user, from an address they signed in from before, gets in at once.
        let r = app
            .try_login(&client_from("127.0.0.1"), "dis1", PASSWORD)
            .await;
        assert_eq!(r.status(), 303, "the attack cannot lock the user out");
        // Only real password checks were counted and audited (three for dis1, by id).
        let fails = app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed' \
                 AND entity_id = '{uid}'"
            ))
            .await;
        assert_eq!(fails, 3);
        let all_fails = app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
            .await;
        assert_eq!(all_fails, 6, "unknown names are audited too");
        // The old lock-out columns are gone.
        let cols = sqlx::query("SELECT * FROM users LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        use sqlx::Row;
        assert!(cols.try_get::<i64, _>("failed_logins").is_err());
    }
}

/// A login page's HTML with the per-response CSRF token and the echoed username replaced.
fn normalise(html: &str, username: &str) -> String {
    let csrf = crate::helpers::hidden(html, "csrf").unwrap();
    html.replace(&csrf, "CSRF")
        .replace(&format!("value=\"{username}\""), "value=\"USER\"")
}

#[tokio::test]
async fn failures_decay_after_the_window() {
    for b in backends() {
        let sec = web::Security {
            login_failure_window_secs: 2,
            ..slow_delays()
        };
        let app = TestApp::spawn_with(b, sec).await;
        app.user("dis1", "district", "500103").await;
        let c = client_from("127.0.0.2");
        for _ in 0..3 {
            assert_eq!(
                app.try_login(&c, "dis1", "wrong-password").await.status(),
                401
            );
        }
        assert_eq!(app.try_login(&c, "dis1", PASSWORD).await.status(), 429);
        // Once the failures are older than the window they no longer count.
        tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
        assert_eq!(app.try_login(&c, "dis1", PASSWORD).await.status(), 303);
        // A new failure prunes the decayed ones.
        let c2 = client_from("127.0.0.3");
        assert_eq!(
            app.try_login(&c2, "other", "wrong-password").await.status(),
            401
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM login_failures").await, 2);
    }
}

#[tokio::test]
async fn unlock_command_clears_failures() {
    for b in backends() {
        let app = TestApp::spawn_with(b, slow_delays()).await;
        let uid = app.user("dis1", "district", "500103").await;
        let c = client_from("127.0.0.2");
        for _ in 0..3 {
            app.try_login(&c, "dis1", "wrong-password").await;
        }
        let fresh = client_from("127.0.0.4");
        assert_eq!(app.try_login(&fresh, "dis1", PASSWORD).await.status(), 429);
        assert_eq!(app.try_login(&c, "dis1", PASSWORD).await.status(), 429);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args([
                "user",
                "unlock",
                "--username",
                "dis1",
                "--address",
                "127.0.0.2",
            ])
            .env("CHANJIAO_DATABASE_URL", &app.db_url)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(out.contains("已清除 dis1 的登录失败记录 6 条"), "{out}");
        assert_eq!(app.try_login(&fresh, "dis1", PASSWORD).await.status(), 303);
        assert_eq!(app.try_login(&c, "dis1", PASSWORD).await.status(), 303);
        let unlocks = app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.unlock' AND entity_id = '{uid}'"
            ))
            .await;
        assert_eq!(unlocks, 1);
    }
}

#[tokio::test]
async fn weak_and_username_passwords_are_refused_everywhere() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let add = |username: &'static str, password: &'static str| {
            let db = app.db.clone();
            async move {
                web::features::admin::add_user(
                    &db,
                    &store::Actor::system("t"),
                    &web::features::admin::UserInput {
                        username,
                        display_name: "x",
                        role: "district",
                        org_code: "500103",
                        password: Some(password),
                    },
                )
                .await
            }
        };
        for weak in ["password123", "Password1234!", "qwertyuiop12", "1234567890"] {
            let err = add("weak1", weak).await.unwrap_err();
            assert!(err.to_string().contains("容易猜到"), "{weak}: {err}");
        }
        let err = add("zhangwei", "ZhangWei-Kq7#rV2m").await.unwrap_err();
        assert!(err.to_string().contains("不能包含用户名"), "{err}");
        assert!(add("zhangwei", "Kq7#rV2m-Lw9xTz").await.is_ok());
        // The admin page says the same.
        let c = app.login("op1").await;
        let html = c
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = crate::helpers::hidden(&html, "csrf").unwrap();
        let r = c
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "dis9"),
                ("display_name", "某区"),
                ("role", "district"),
                ("org", "500103"),
                ("password", "dis9-Password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("不能包含用户名"));
        // And so does the command line.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args([
                "user",
                "add",
                "--username",
                "dis8",
                "--role",
                "district",
                "--org",
                "500103",
                "--password-stdin",
            ])
            .env("CHANJIAO_DATABASE_URL", &app.db_url)
            .env("CHANJIAO_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"iloveyou2024\n")
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("容易猜到"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username IN ('weak1', 'dis8', 'dis9')")
                .await,
            0
        );
    }
}

#[tokio::test]
async fn generated_passwords_pass_the_strength_check() {
    // `chanjiao user add` without --password-stdin generates the same kind of password as the
    // demo accounts get (`demo::random_password`) and sets it through the same check.
    let b = backends()[0];
    let app = TestApp::spawn(b).await;
    for i in 0..5 {
        let username = format!("gen{i}");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_chanjiao"))
            .args(["user", "add", "--username", &username, "--role", "district"])
            .args(["--org", "500103"])
            .env("CHANJIAO_DATABASE_URL", &app.db_url)
            .env("CHANJIAO_LOG", "error")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        let pw = out
            .lines()
            .find_map(|l| l.strip_prefix("初始密码（仅显示一次）："))
            .expect("the generated password is printed")
            .trim()
            .to_string();
        let r = app.try_login(&client(), &username, &pw).await;
        assert_eq!(r.status(), 303, "{pw}");
    }
}

#[tokio::test]
async fn reenabling_a_user_does_not_revive_old_tokens() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let uid = app.user("bank1", "department", "sw").await;
        let t = app.token(uid).await;
        let get = |t: String| {
            let url = app.url("/api/v1/orgs");
            async move {
                client()
                    .get(url)
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(get(t.clone()).await, 200);
        for active in [false, true] {
            let mut tx = app.db.begin().await.unwrap();
            store::accounts::set_active(&mut tx, &store::Actor::system("test"), uid, active)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(
            get(t).await,
            401,
            "a token from before the disable stays dead"
        );
        let revoked = app
            .count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE user_id = {uid} AND revoked_at IS NOT NULL"
            ))
            .await;
        assert_eq!(revoked, 1);
        let t2 = app.token(uid).await;
        assert_eq!(get(t2).await, 200, "a token issued after re-enabling works");
        assert_eq!(
            app.try_login(&client(), "bank1", PASSWORD).await.status(),
            303
        );
    }
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    for b in backends() {
        let sec = web::Security {
            session_idle_secs: 3,
            session_absolute_secs: 5,
            ..web::Security::default()
        };
        let app = TestApp::spawn_with(b, sec).await;
        app.user("op1", "operator", "operator").await;
        let sleep = |ms| tokio::time::sleep(std::time::Duration::from_millis(ms));
        // Idle: unused for longer than the idle timeout.
        let c = app.login("op1").await;
        assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 200);
        sleep(4100).await;
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303, "idle session ended");
        assert_eq!(r.headers()["location"], "/login");
        // Absolute: used every second, it still ends after the absolute timeout.
        let start = std::time::Instant::now();
        let c = app.login("op1").await;
        for _ in 0..3 {
            sleep(1000).await;
            assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 200);
        }
        while start.elapsed() < std::time::Duration::from_millis(6200) {
            sleep(1000).await;
            c.get(app.url("/")).send().await.unwrap();
        }
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303, "absolute timeout reached");
    }
}

#[tokio::test]
async fn an_operator_sees_and_ends_a_users_sessions() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let uid = app.user("dis1", "district", "500103").await;
        let agent = |ua: &str| {
            reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(ua)
                .build()
                .unwrap()
        };
        let (c1, c2) = (agent("AgentOne/1.0"), agent("AgentTwo/2.0"));
        assert_eq!(app.try_login(&c1, "dis1", PASSWORD).await.status(), 303);
        assert_eq!(app.try_login(&c2, "dis1", PASSWORD).await.status(), 303);
        let signed_in = |c: &reqwest::Client| {
            let c = c.clone();
            let url = app.url("/");
            async move { c.get(url).send().await.unwrap().status() == 200 }
        };
        assert!(signed_in(&c1).await && signed_in(&c2).await);
        // Only operators see the page.
        let r = c1
            .get(app.url(&format!("/admin/users/{uid}/sessions")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let op = app.login("op1").await;
        let page = |op: reqwest::Client| {
            let url = app.url(&format!("/admin/users/{uid}/sessions"));
            async move { op.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let html = page(op.clone()).await;
        assert!(
            html.contains("AgentOne/1.0") && html.contains("AgentTwo/2.0"),
            "{html}"
        );
        assert!(html.contains("127.0.0.1"));
        assert!(html.contains("有效会话（共 2 个）"));
        let csrf = crate::helpers::hidden(&html, "csrf").unwrap();
        // End AgentOne's session: its row's form.
        let row = &html[html.find("AgentOne/1.0").unwrap()..];
        let start = row.find("action=\"").unwrap() + "action=\"".len();
        let action = &row[start..start + row[start..].find('"').unwrap()];
        assert!(action.ends_with("/end") && action.contains("/sessions/"));
        let r = op
            .post(app.url(action))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(signed_in(&c1).await);
        let r = op
            .post(app.url(action))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(!signed_in(&c1).await, "the ended session is gone");
        assert!(signed_in(&c2).await, "the other one is not");
        assert!(page(op.clone()).await.contains("有效会话（共 1 个）"));
        // End all.
        let r = op
            .post(app.url(&format!("/admin/users/{uid}/sessions/end")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(!signed_in(&c2).await);
        assert!(page(op.clone()).await.contains("暂无有效会话"));
        assert!(
            signed_in(&op).await,
            "the operator's own session is untouched"
        );
        for action in ["session.end", "session.end_all"] {
            let n = app
                .count(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{uid}'"
                ))
                .await;
            assert_eq!(n, 1, "{action} audited");
        }
    }
}

#[tokio::test]
async fn security_headers_are_sent() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        // Signed out: a referrer policy, but the login page may be cached; no HSTS over HTTP.
        let r = client().get(app.url("/login")).send().await.unwrap();
        assert_eq!(r.headers()["referrer-policy"], "same-origin");
        assert!(r.headers().get("cache-control").is_none());
        assert!(r.headers().get("strict-transport-security").is_none());
        // Signed in: nothing is stored by caches, pages or exports.
        let c = app.login("op1").await;
        for path in ["/", "/admin/users", "/orgs/export.xlsx"] {
            let r = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
            assert_eq!(r.headers()["referrer-policy"], "same-origin", "{path}");
        }
        // Bearer calls too.
        let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'op1'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let t = app.token(uid).await;
        let r = client()
            .get(app.url("/api/v1/orgs"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
        // Behind an HTTPS proxy: HSTS.
        let r = client()
            .get(app.url("/login"))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            format!("max-age={}", web::auth::HSTS_MAX_AGE_SECS)
        );
    }
}

#[tokio::test]
async fn session_cookie_is_httponly_and_lax_and_expires_server_side() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let c = client();
        let r = app.try_login(&c, "op1", PASSWORD).await;
        assert_eq!(r.status(), 303);
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("cj_session="))
            .unwrap();
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        // Behind an HTTPS proxy the cookie is Secure.
        let c2 = client();
        let html = c2
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").unwrap();
        let r = c2
            .post(app.url("/login"))
            .header("x-forwarded-proto", "https")
            .form(&[
                ("username", "op1"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("cj_session="))
            .unwrap();
        assert!(cookie.contains("; Secure"));
        // Expire every session in the database: the next request goes to the login page.
        sqlx::query("UPDATE sessions SET expires_at = 1")
            .execute(app.db.pool())
            .await
            .unwrap();
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login");
    }
}

#[tokio::test]
async fn login_and_logout_need_csrf() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let c = client();
        // No login-CSRF cookie/field: refused.
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("username", "op1"),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("CSRF"));
        let c = app.login("op1").await;
        let sessions = app.count("SELECT COUNT(*) FROM sessions").await;
        let r = c
            .post(app.url("/logout"))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, sessions);
        let html = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").unwrap();
        let r = c
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM sessions").await,
            sessions - 1
        );
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 303, "logged out");
    }
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_disabled_users_lose_access() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let uid = app.user("bank1", "department", "sw").await;
        let t = app.token(uid).await;
        assert!(t.starts_with("cjt_"));
        let stored = app
            .count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{t}'"
            ))
            .await;
        assert_eq!(stored, 0, "the secret itself is never stored");
        let ok = client()
            .get(app.url("/api/v1/orgs"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let used = app
            .count("SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
            .await;
        assert_eq!(used, 1, "token use is noted");
        let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
            .bind(uid)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        store::accounts::revoke_token(&app.db, &store::Actor::system("test"), id)
            .await
            .unwrap();
        let r = client()
            .get(app.url("/api/v1/orgs"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        let t2 = app.token(uid).await;
        let c = app.login("bank1").await;
        let mut tx = app.db.begin().await.unwrap();
        store::accounts::set_active(&mut tx, &store::Actor::system("test"), uid, false)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            client()
                .get(app.url("/api/v1/orgs"))
                .bearer_auth(&t2)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 303);
        let r = app.try_login(&client(), "bank1", PASSWORD).await;
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("已停用"));
    }
}

#[tokio::test]
async fn passwords_are_argon2id_and_users_must_match_their_org_kind() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let h: String =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'op1'")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        assert!(h.starts_with("$argon2id$"));
        let err = web::features::admin::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::features::admin::UserInput {
                username: "x1y",
                display_name: "x",
                role: "enterprise",
                org_code: "500103",
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("不能属于"), "{err}");
        let err = web::features::admin::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::features::admin::UserInput {
                username: "x2y",
                display_name: "x",
                role: "district",
                org_code: "500103",
                password: Some("short"),
            },
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("至少10个字符"));
        let err = web::features::admin::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::features::admin::UserInput {
                username: "op1",
                display_name: "x",
                role: "operator",
                org_code: "operator",
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("已存在"));
    }
}

#[tokio::test]
async fn the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    for b in backends() {
        for trust_proxy in [false, true] {
            let sec = web::Security {
                trust_proxy,
                ..slow_delays()
            };
            let app = TestApp::spawn_with(b, sec).await;
            app.user("op1", "operator", "operator").await;
            let uid = app.user("dis1", "district", "500103").await;
            // A forged header: several entries, the last one is what our proxy would add.
            let c = client();
            let html = c
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = crate::helpers::hidden(&html, "csrf").unwrap();
            let r = c
                .post(app.url("/login"))
                .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
                .form(&[
                    ("username", "dis1"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let op = app.login("op1").await;
            let html = op
                .get(app.url(&format!("/admin/users/{uid}/sessions")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if trust_proxy {
                assert!(html.contains("203.0.113.7"), "{html}");
                assert!(!html.contains("198.51.100.1"));
            } else {
                assert!(!html.contains("203.0.113.7") && html.contains("127.0.0.1"));
            }
        }
    }
}

#[tokio::test]
async fn an_upload_with_its_csrf_token_only_in_the_url_is_refused() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        app.user("op1", "operator", "operator").await;
        let c = app.login("op1").await;
        let html = c
            .get(app.url("/occupations"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("csrf="), "no CSRF token in any URL");
        let csrf = crate::helpers::hidden(&html, "csrf").unwrap();
        let file = || reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("a.csv");
        // In the URL only: refused.
        let form = reqwest::multipart::Form::new().part("file", file());
        let r = c
            .post(app.url(&format!("/occupations/import?csrf={csrf}")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // In the body but after the file: refused (the file would have been read first).
        let form = reqwest::multipart::Form::new()
            .part("file", file())
            .text("csrf", csrf.clone());
        let r = c
            .post(app.url("/occupations/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // First in the body: accepted (the file itself is then judged: 422, not 403).
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("file", file());
        let r = c
            .post(app.url("/occupations/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
    }
}
