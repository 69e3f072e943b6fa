//! Responses and GHL-shaped error bodies.

use serde_json::{Value, json};

/// A response before it becomes a `wiremock::ResponseTemplate`.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Body,
    pub(crate) headers: Vec<(&'static str, String)>,
}

/// A JSON body or a raw one (Cloudflare HTML pages).
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Json(Value),
    Html(String),
}

/// Handler result: the error side is also a complete reply.
pub(crate) type Outcome = Result<Reply, Reply>;

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    pub(crate) fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    pub(crate) fn created(body: Value) -> Self {
        Self::json(201, body)
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The JSON body (`null` for a raw one).
    pub(crate) fn json_body(&self) -> Value {
        match &self.body {
            Body::Json(v) => v.clone(),
            Body::Html(_) => Value::Null,
        }
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// `{"statusCode", "message", "error"}`, the NestJS envelope GHL uses.
pub(crate) fn error(status: u16, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({"statusCode": status, "message": message.into(), "error": reason(status)}),
    )
}

/// 422 with the validation messages as an array.
pub(crate) fn validation(messages: Vec<String>) -> Reply {
    Reply::json(
        422,
        json!({"statusCode": 422, "message": messages, "error": "Unprocessable Entity"}),
    )
}

/// 422 with one message.
pub(crate) fn invalid(message: impl Into<String>) -> Reply {
    validation(vec![message.into()])
}

/// 404 "<what> not found".
pub(crate) fn not_found(what: &str) -> Reply {
    error(404, format!("{what} not found"))
}

/// 401 for an unknown or expired token.
pub(crate) fn invalid_jwt() -> Reply {
    Reply::json(401, json!({"statusCode": 401, "message": "Invalid JWT"}))
}

/// 401 for a token lacking the route's scope.
pub(crate) fn missing_scope() -> Reply {
    Reply::json(
        401,
        json!({"statusCode": 401, "message": "The token is not authorized for this scope."}),
    )
}

/// 403 for a location the token cannot access.
pub(crate) fn forbidden_location() -> Reply {
    error(403, "The token does not have access to this location.")
}

/// 429 with `Retry-After` in whole seconds (at least 1).
pub(crate) fn too_many(retry_after_ms: u128) -> Reply {
    let secs = retry_after_ms.div_ceil(1000).max(1);
    Reply::json(
        429,
        json!({"statusCode": 429, "message": "Too many requests, please try again later.", "error": "Too Many Requests"}),
    )
    .with_header("Retry-After", secs.to_string())
}

/// An injected server error: JSON 500, JSON 503 or a Cloudflare HTML 502.
pub(crate) fn server_error(kind: u64) -> Reply {
    match kind % 3 {
        0 => error(500, "Internal server error"),
        1 => error(503, "Service Unavailable"),
        _ => Reply {
            status: 502,
            body: Body::Html(
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"
                    .to_owned(),
            ),
            headers: Vec::new(),
        },
    }
}
