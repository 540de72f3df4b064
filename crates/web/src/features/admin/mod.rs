//! Account administration (users, their tokens and sessions): the service shared by the admin
//! pages (`pages.rs`) and the command line.

pub mod pages;

use domain::orgs::{OrgKind, Role};
use store::accounts::{self, NewUser};
use store::{Actor, Db, orgs};

use crate::auth::{check_password_strength, hash_password};
use crate::error::{AppError, AppResult};

pub struct UserInput<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    /// The organisation's code: credit code, division code, unit code or `operator`.
    pub org_code: &'a str,
    pub password: Option<&'a str>,
}

pub fn check_username(u: &str) -> AppResult<()> {
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if u.len() < 3 || u.len() > 64 || !ok_chars {
        return Err(AppError::invalid(
            "username",
            "用户名须为3至64位字母、数字或 _ . - 符号",
        ));
    }
    Ok(())
}

/// Validates and creates a user; returns the new id.
pub async fn add_user(db: &Db, actor: &Actor, input: &UserInput<'_>) -> AppResult<i64> {
    let username = input.username.trim();
    check_username(username)?;
    let display_name = input.display_name.trim();
    let n = display_name.chars().count();
    if n == 0 || n > 50 {
        return Err(AppError::invalid("display_name", "姓名须为1至50个字"));
    }
    let role_text = input.role.trim();
    if role_text.is_empty() {
        return Err(AppError::invalid("role", "请选择角色"));
    }
    let role = Role::parse(role_text)
        .ok_or_else(|| AppError::invalid("role", format!("未知的角色“{role_text}”")))?;
    let code = input.org_code.trim();
    if code.is_empty() {
        return Err(AppError::invalid("org", "请选择所属机构"));
    }
    let org = orgs::get_by_code(db, &code.to_uppercase())
        .await?
        .or(orgs::get_by_code(db, code).await?)
        .ok_or_else(|| AppError::invalid("org", format!("找不到代码为“{code}”的机构")))?;
    let kind = OrgKind::parse(&org.kind);
    if kind != Some(role.org_kind()) {
        let fits = kind
            .map(|k| format!("，{}的用户应选择角色“{}”", k.label(), k.role().label()))
            .unwrap_or_default();
        return Err(AppError::invalid(
            "role",
            format!(
                "角色与所属机构不符：{}不能属于{}“{}”{fits}",
                role.label(),
                kind.map(OrgKind::label).unwrap_or("未知类型的机构"),
                org.name
            ),
        ));
    }
    let password_hash = match input.password {
        Some(pw) => {
            check_password_strength(pw, username)?;
            let pw = pw.to_string();
            Some(
                tokio::task::spawn_blocking(move || hash_password(&pw))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??,
            )
        }
        None => None,
    };
    let mut tx = db.begin().await?;
    let id = accounts::insert_user(
        &mut tx,
        actor,
        &NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            org_id: org.id,
            role: role.as_str().to_string(),
            password_hash,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
