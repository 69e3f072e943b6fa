//! Authentication: private integration tokens and OAuth tokens with refresh.
//!
//! Secrets live in [`SecretString`]; every `Debug` here is hand-written and redacted.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::ids::{CompanyId, LocationId, UserId};
use crate::open_enum::open_enum;
use crate::scope::Scope;

/// The error a [`TokenStore`] returns.
pub type TokenStoreError = Box<dyn std::error::Error + Send + Sync + 'static>;

open_enum!(
    /// The kind of OAuth token: a sub-account (`Location`) or an agency (`Company`) token.
    UserType {
        /// A sub-account token.
        Location => "Location",
        /// An agency token.
        Company => "Company",
    }
);

/// A set of OAuth tokens, as returned by `POST /oauth/token`.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: SecretString,
    /// The refresh token; it rotates on every refresh.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, if known.
    pub expires_at: Option<DateTime<Utc>>,
    /// The granted scopes.
    pub scopes: Vec<Scope>,
    /// `Location` or `Company`.
    pub user_type: Option<UserType>,
    /// The location the token is for, if any.
    pub location_id: Option<LocationId>,
    /// The company (agency) the token belongs to, if any.
    pub company_id: Option<CompanyId>,
    /// The user who installed the app, if any.
    pub user_id: Option<UserId>,
}

impl TokenSet {
    /// A token set from an access token, an optional refresh token and the granted scopes.
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: Option<DateTime<Utc>>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        Self {
            access_token,
            refresh_token,
            expires_at,
            scopes: scopes.into_iter().collect(),
            user_type: None,
            location_id: None,
            company_id: None,
            user_id: None,
        }
    }

    /// Sets the location the token is for.
    pub fn with_location_id(mut self, location_id: impl Into<LocationId>) -> Self {
        self.location_id = Some(location_id.into());
        self
    }
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[REDACTED]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("user_type", &self.user_type)
            .field("location_id", &self.location_id)
            .field("company_id", &self.company_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// Where the host keeps OAuth tokens. Implemented by the host (a database, a secrets manager).
///
/// The client calls [`save`](TokenStore::save) with every new token set *before* using it,
/// because refresh tokens rotate: losing a new set means losing the installation. Before
/// refreshing, it calls [`load`](TokenStore::load) to pick up a set another process saved.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The latest saved token set, if any.
    async fn load(&self) -> Result<Option<TokenSet>, TokenStoreError>;
    /// Persists a new token set.
    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError>;
}

/// A [`TokenStore`] in memory, for tests, demos and single-process hosts.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<Option<TokenSet>>,
    saves: std::sync::atomic::AtomicUsize,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with_tokens(tokens: TokenSet) -> Self {
        Self {
            tokens: std::sync::Mutex::new(Some(tokens)),
            saves: Default::default(),
        }
    }

    /// The current token set.
    pub fn current(&self) -> Option<TokenSet> {
        self.tokens.lock().map(|t| t.clone()).unwrap_or(None)
    }

    /// How many times [`TokenStore::save`] was called (feature `test-util`).
    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn save_count(&self) -> usize {
        self.saves.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &self.current())
            .field(
                "saves",
                &self.saves.load(std::sync::atomic::Ordering::SeqCst),
            )
            .finish()
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>, TokenStoreError> {
        Ok(self.current())
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let mut slot = self
            .tokens
            .lock()
            .map_err(|_| TokenStoreError::from("token store mutex poisoned"))?;
        *slot = Some(tokens.clone());
        self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// A Marketplace app's OAuth credentials. Build it with [`OAuthApp::new`].
#[derive(Clone)]
#[non_exhaustive]
pub struct OAuthApp {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// Which kind of token to ask for on refresh.
    pub user_type: UserType,
}

impl OAuthApp {
    /// App credentials asking for `Location` tokens.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            user_type: UserType::Location,
        }
    }

    /// Which kind of token to ask for on refresh (default [`UserType::Location`]).
    pub fn user_type(mut self, user_type: UserType) -> Self {
        self.user_type = user_type;
        self
    }
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("user_type", &self.user_type)
            .finish()
    }
}

/// How the client authenticates. Build it with [`Auth::private_token`] or [`Auth::oauth`].
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // built once per client; boxing would only add noise
#[non_exhaustive]
pub enum Auth {
    /// A Private Integration Token: static, with the scopes chosen when it was made.
    #[non_exhaustive]
    PrivateToken {
        /// The token.
        token: SecretString,
        /// The scopes it was created with (used by [`crate::GhlClient::require_scopes`]).
        scopes: Vec<Scope>,
    },
    /// An OAuth access token, refreshed on expiry and saved to the host's store.
    #[non_exhaustive]
    OAuth {
        /// The app credentials, used to refresh.
        app: OAuthApp,
        /// The current tokens.
        tokens: TokenSet,
        /// Where new tokens are saved.
        store: Arc<dyn TokenStore>,
    },
}

impl Auth {
    /// A Private Integration Token with the scopes it was created with.
    pub fn private_token(token: SecretString, scopes: impl IntoIterator<Item = Scope>) -> Self {
        Auth::PrivateToken {
            token,
            scopes: scopes.into_iter().collect(),
        }
    }

    /// OAuth tokens for `app`; refreshed tokens are saved to `store` before use.
    pub fn oauth(app: OAuthApp, tokens: TokenSet, store: Arc<dyn TokenStore>) -> Self {
        Auth::OAuth { app, tokens, store }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::PrivateToken { scopes, .. } => f
                .debug_struct("PrivateToken")
                .field("token", &"[REDACTED]")
                .field("scopes", scopes)
                .finish(),
            Auth::OAuth { app, tokens, .. } => f
                .debug_struct("OAuth")
                .field("app", app)
                .field("tokens", tokens)
                .finish_non_exhaustive(),
        }
    }
}

/// The token in use and what the client learned about it.
pub(crate) struct Credentials {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: BTreeSet<Scope>,
    /// Bumped each time the token changes; a 401 seen with an older generation needs no refresh.
    pub generation: u64,
    /// Set when the token was rejected for good (fail fast).
    pub invalid: bool,
    /// Why the token was rejected (GHL's own reason), repeated when failing fast.
    pub rejection: Option<String>,
}

impl Credentials {
    pub fn from_auth(auth: &Auth) -> Self {
        match auth {
            Auth::PrivateToken { token, scopes } => Self {
                access_token: token.clone(),
                refresh_token: None,
                expires_at: None,
                scopes: scopes.iter().cloned().collect(),
                generation: 0,
                invalid: false,
                rejection: None,
            },
            Auth::OAuth { tokens, .. } => Self {
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
                expires_at: tokens.expires_at,
                scopes: tokens.scopes.iter().cloned().collect(),
                generation: 0,
                invalid: false,
                rejection: None,
            },
        }
    }

    pub fn adopt(&mut self, tokens: &TokenSet) {
        self.access_token = tokens.access_token.clone();
        self.refresh_token = tokens.refresh_token.clone();
        self.expires_at = tokens.expires_at;
        if !tokens.scopes.is_empty() {
            self.scopes = tokens.scopes.iter().cloned().collect();
        }
        self.generation += 1;
        self.invalid = false;
        self.rejection = None;
    }

    /// Marks the token rejected for good, keeping the first reason given.
    pub fn reject(&mut self, reason: &str) {
        self.invalid = true;
        if self.rejection.is_none() {
            self.rejection = Some(reason.to_owned());
        }
    }

    pub fn same_access_token(&self, tokens: &TokenSet) -> bool {
        self.access_token.expose_secret() == tokens.access_token.expose_secret()
    }
}
