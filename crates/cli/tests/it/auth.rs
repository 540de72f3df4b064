//! Login, throttling, sessions, CSRF and tokens.

use crate::helpers::{PASSWORD, TestApp, backends, client, hidden};

#[tokio::test]
async fn wrong_password_then_lock_after_five_failures() {
    for b in backends() {
        let app = TestApp::spawn(b).await;
        let uid = app.user("dis1", "district", "500103").await;
        let c = client();
        let r = app.try_login(&c, "nobody", PASSWORD).await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("用户名或密码错误"));
        for i in 1..=4 {
            let r = app.try_login(&c, "dis1", "wrong-password").await;
            assert_eq!(r.status(), 401, "attempt {i}");
            assert!(r.text().await.unwrap().contains("用户名或密码错误"));
        }
        let r = app.try_login(&c, "dis1", "wrong-password").await;
        assert_eq!(r.status(), 429);
        assert!(r.text().await.unwrap().contains("账户已锁定15分钟"));
        // Even the right password is refused while locked.
        let r = app.try_login(&c, "dis1", PASSWORD).await;
        assert_eq!(r.status(), 429);
        assert!(r.text().await.unwrap().contains("已锁定"));
        let locks = app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.lock' AND entity_id = '{uid}'"
            ))
            .await;
        assert_eq!(locks, 1, "the lock is audited");
        let fails = app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
            .await;
        assert_eq!(fails, 4);
        // After the lock expires, the right password works again.
        sqlx::query("UPDATE users SET locked_until = 1 WHERE id = $1")
            .bind(uid)
            .execute(app.db.pool())
            .await
            .unwrap();
        let r = app.try_login(&c, "dis1", PASSWORD).await;
        assert_eq!(r.status(), 303);
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
        let err = web::accounts::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::accounts::UserInput {
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
        let err = web::accounts::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::accounts::UserInput {
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
        let err = web::accounts::add_user(
            &app.db,
            &store::Actor::system("t"),
            &web::accounts::UserInput {
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
