//! The one error type at the HTTP boundary. API handlers answer it as JSON
//! (`{"code": "...", "message": "..."}`); pages render it as an HTML page.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
    #[error("请求内容须为 JSON（Content-Type: application/json）")]
    UnsupportedMediaType,
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
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
            AppError::UnsupportedMediaType => "unsupported_media_type".into(),
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
        // In the layout of an anonymous visitor; `pages::error_layout` draws it again with the
        // signed-in visitor's navigation.
        crate::pages::error_page(e.status(), &e.to_string(), None)
    }
}

/// Under `/api`, every error is `{code, message}` JSON — the framework's own rejections too
/// (a body that is not JSON, a missing field, a body over the limit, an unknown method), which
/// axum answers as plain text.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // The framework's texts are short; anything longer is cut.
    let detail = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "请求格式错误"),
        StatusCode::NOT_FOUND => ("not_found", "接口不存在"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "接口不支持此请求方法"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求内容超过上限"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "请求内容须为 JSON（Content-Type: application/json）",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "请求内容不符合接口要求"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "请求超时，请稍后重试"),
        s if s.is_server_error() => ("internal", "服务器内部错误，请稍后重试"),
        _ => ("bad_request", "请求无法处理"),
    };
    let message = if detail.is_empty() || status.is_server_error() {
        message.to_string()
    } else {
        format!("{message}：{detail}")
    };
    let mut out = (
        status,
        Json(ErrorBody {
            code: code.to_string(),
            message,
        }),
    )
        .into_response();
    // Keep the response's other headers (request id, allow, …), not its length or type.
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// A JSON request body, or the refusal its rejection deserves: not JSON (415), malformed (400),
/// over the size limit (413), or not the shape the operation takes (422 `invalid.body`, with
/// `expected` saying what it takes).
pub fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    expected: &str,
) -> AppResult<T> {
    use axum::extract::rejection::JsonRejection as R;
    match body {
        Ok(Json(value)) => Ok(value),
        Err(R::JsonDataError(e)) => Err(AppError::invalid(
            "body",
            format!("{expected}：{}", e.body_text()),
        )),
        Err(R::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(AppError::PayloadTooLarge("请求内容超过上限".into()))
        }
        Err(e) => Err(AppError::BadRequest(e.body_text())),
    }
}
