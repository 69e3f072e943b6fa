//! `POST /oauth/token`: authorization-code and refresh-token grants with rotating refresh tokens.

use std::collections::HashMap;

use serde_json::json;
use wiremock::Request;

use super::reply::Reply;
use super::state::{Grant, State};

/// An OAuth error: RFC 6749 `error`/`error_description` plus GHL's `statusCode`/`message`.
fn oauth_error(status: u16, code: &str, description: &str) -> Reply {
    Reply::json(
        status,
        json!({"statusCode": status, "error": code, "error_description": description, "message": description}),
    )
}

/// Handles the token endpoint (form-encoded body only).
pub(crate) fn token(state: &mut State, request: &Request) -> Reply {
    let form_encoded = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return oauth_error(
            400,
            "invalid_request",
            "The body must be application/x-www-form-urlencoded",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if field("client_id") != Some(state.config.oauth_client_id.as_str())
        || field("client_secret") != Some(state.config.oauth_client_secret.as_str())
    {
        return oauth_error(401, "invalid_client", "Invalid client credentials");
    }
    if field("user_type").is_some_and(|t| t != "Location") {
        return oauth_error(
            400,
            "invalid_request",
            "The sandbox issues Location tokens only",
        );
    }
    let grant = match field("grant_type") {
        // `redirect_uri` is optional in GHL's `GetAccessCodebodyDto`.
        Some("authorization_code") => field("code").and_then(|c| state.auth_codes.remove(c)),
        Some("refresh_token") => {
            field("refresh_token").and_then(|t| state.refresh_tokens.remove(t))
        }
        _ => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            );
        }
    };
    let Some(grant) = grant else {
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid grant: the code or refresh token is invalid, expired or already used",
        );
    };
    Reply::ok(issue(state, grant))
}

/// Mints an access token and a fresh refresh token for a grant; the token response body.
pub(crate) fn issue(state: &mut State, grant: Grant) -> serde_json::Value {
    let lifetime = state.config.access_token_lifetime;
    let access = state.issue_token(
        "sbx-at-",
        &grant.location_id,
        grant.scopes.clone(),
        Some(lifetime),
    );
    let refresh = state.ids.secret("sbx-rt-");
    let scope = grant.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
    let body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "refresh_token": refresh,
        "scope": scope,
        "refreshTokenId": state.ids.next_id(),
        "userType": "Location",
        "companyId": super::ids::derive_id("company"),
        "locationId": grant.location_id,
        "userId": grant.user_id,
        "isBulkInstallation": false,
    });
    state.refresh_tokens.insert(refresh, grant);
    body
}
