//! The one error type at the HTTP boundary. API handlers answer it as JSON
//! (`{"code": "...", "message": "..."}`); pages render it as an HTML page.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("请先登录")]
    Unauthorized,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("{0}不存在或无权查看")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")]
    Csrf,
    #[error("{0}")]
    TooMany(String),
    #[error("请求格式错误：{0}")]
    BadRequest(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> String {
        match self {
            AppError::Unauthorized => "unauthorized".into(),
            AppError::Forbidden => "forbidden".into(),
            AppError::NotFound(_) => "not_found".into(),
            AppError::Invalid { field, .. } => format!("invalid.{field}"),
            AppError::Conflict(_) => "conflict".into(),
            AppError::Csrf => "csrf".into(),
            AppError::TooMany(_) => "too_many_requests".into(),
            AppError::BadRequest(_) => "bad_request".into(),
            AppError::PayloadTooLarge(_) => "payload_too_large".into(),
            AppError::Internal(_) => "internal".into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => AppError::Conflict(format!("{what}已存在")),
            StoreError::NotFound(_) => AppError::NotFound("记录"),
            StoreError::Conflict => AppError::Conflict(StoreError::Conflict.to_string()),
            other => {
                tracing::error!(error = %other, "storage error");
                AppError::Internal(other.to_string())
            }
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        AppError::Internal(e.to_string())
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `invalid.code`, `not_found`, `conflict`.
    pub code: String,
    /// A message for people, in Chinese.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code(),
            message: self.to_string(),
        };
        (self.status(), Json(body)).into_response()
    }
}

/// An error on an HTML page: the same error, rendered for people.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if matches!(e, AppError::Unauthorized) {
            return axum::response::Redirect::to("/login").into_response();
        }
        let page = crate::pages::ErrorPage {
            status: e.status().as_u16(),
            message: e.to_string(),
        };
        let body = askama::Template::render(&page)
            .unwrap_or_else(|_| format!("<h1>{}</h1>", e.status().as_u16()));
        (e.status(), Html(body)).into_response()
    }
}
