//! OAuth: exchange an authorization code, refresh a token (`POST /oauth/token`).

use chrono::Utc;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::auth::{OAuthApp, TokenSet, UserType};
use crate::client::{Body, Call, GhlClient};
use crate::error::Error;
use crate::ids::{CompanyId, LocationId, UserId};
use crate::retry::Idempotency;
use crate::scope::Scope;

/// The token endpoint's answer. Never logged; converted into a [`TokenSet`] at once.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    #[serde(rename = "access_token")]
    access_token: String,
    #[serde(rename = "refresh_token", default)]
    refresh_token: Option<String>,
    #[serde(rename = "expires_in", default)]
    expires_in: Option<f64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    user_type: Option<UserType>,
    #[serde(default)]
    location_id: Option<LocationId>,
    #[serde(default)]
    company_id: Option<CompanyId>,
    #[serde(default)]
    user_id: Option<UserId>,
}

impl From<TokenResponse> for TokenSet {
    fn from(r: TokenResponse) -> Self {
        let expires_at = r
            .expires_in
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Utc::now() + chrono::Duration::milliseconds((s.min(1.0e9) * 1000.0) as i64));
        let mut tokens = TokenSet::new(
            SecretString::from(r.access_token),
            r.refresh_token.map(SecretString::from),
            expires_at,
            r.scope
                .as_deref()
                .map(Scope::parse_list)
                .unwrap_or_default(),
        );
        tokens.user_type = r.user_type;
        tokens.location_id = r.location_id;
        tokens.company_id = r.company_id;
        tokens.user_id = r.user_id;
        tokens
    }
}

/// `client.oauth()`: the token endpoint.
#[derive(Debug, Clone, Copy)]
pub struct OAuthHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> OAuthHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    fn token_call(form: Vec<(&'static str, String)>) -> Call {
        Call {
            method: Method::POST,
            template: "/oauth/token",
            segments: vec!["oauth".to_owned(), "token".to_owned()],
            version: None,
            query: Vec::new(),
            body: Body::Form(form),
            // A lost answer would lose a rotated refresh token: never replay blindly.
            idempotency: Idempotency::NonIdempotent,
            scope: None,
            authenticated: false,
            sensitive_answer: true,
        }
    }

    /// Exchanges an authorization code (from the install redirect) for tokens.
    ///
    /// The caller must save the result in its [`crate::TokenStore`].
    pub async fn exchange_code(
        &self,
        app: &OAuthApp,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<TokenSet, Error> {
        let mut form = vec![
            ("client_id", app.client_id.clone()),
            (
                "client_secret",
                app.client_secret.expose_secret().to_owned(),
            ),
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("user_type", app.user_type.as_str().to_owned()),
        ];
        if let Some(uri) = redirect_uri {
            form.push(("redirect_uri", uri.to_owned()));
        }
        let response: TokenResponse = self.client.send(Self::token_call(form)).await?;
        Ok(response.into())
    }

    /// Uses `refresh_token` to get a new token set. The old refresh token stops working: save
    /// the result before anything else. The client does this by itself on a 401; call this only
    /// to refresh outside a client.
    pub async fn refresh(
        &self,
        app: &OAuthApp,
        refresh_token: &SecretString,
    ) -> Result<TokenSet, Error> {
        let form = vec![
            ("client_id", app.client_id.clone()),
            (
                "client_secret",
                app.client_secret.expose_secret().to_owned(),
            ),
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.expose_secret().to_owned()),
            ("user_type", app.user_type.as_str().to_owned()),
        ];
        let response: TokenResponse = self.client.send(Self::token_call(form)).await?;
        Ok(response.into())
    }
}
