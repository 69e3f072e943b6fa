//! Real mode: clients for the real Phorest and GHL APIs from [`Credentials`].

use std::sync::Arc;

use anyhow::{Context, Result};
use ghl_client::{Auth, GhlClient, MemoryTokenStore, OAuthApp, Scope, TokenSet};
use phorest_client::{PhorestClient, Region};

use crate::Credentials;

/// `PHOREST_REGION`: `eu`, `us` (any case) or a base URL.
pub fn phorest_region(text: &str) -> Result<Region> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "eu" => Region::Eu,
        "us" => Region::Us,
        url => Region::Custom(
            url.parse()
                .context("PHOREST_REGION is not eu, us or a URL")?,
        ),
    })
}

/// Build both API clients from the credentials.
pub async fn clients(creds: &Credentials) -> Result<(PhorestClient, GhlClient)> {
    let region = phorest_region(&creds.phorest_region)?;
    let mut phorest = PhorestClient::builder().region(region);
    if let Some(rps) = creds.phorest_requests_per_second {
        phorest = phorest.pacing(phorest_client::Pacing::per_second(rps));
    }
    let phorest = phorest
        .business_id(creds.phorest_business_id.as_str())
        .credentials(creds.phorest_email.as_str(), creds.phorest_password.clone())
        .build()
        .context("building the Phorest client")?;

    let scopes: Vec<Scope> = creds
        .ghl_scopes
        .as_deref()
        .map(Scope::parse_list)
        .unwrap_or_default();
    let auth = match (&creds.ghl_private_token, &creds.ghl_access_token) {
        (Some(token), _) => Auth::private_token(token.clone(), scopes),
        (None, Some(access)) => {
            let app = OAuthApp::new(
                creds.ghl_client_id.clone().unwrap_or_default(),
                creds
                    .ghl_client_secret
                    .clone()
                    .unwrap_or_else(|| secrecy::SecretString::from("")),
            );
            let tokens = TokenSet::new(
                access.clone(),
                creds.ghl_refresh_token.clone(),
                None,
                scopes,
            );
            Auth::oauth(app, tokens, Arc::new(MemoryTokenStore::default()))
        }
        (None, None) => anyhow::bail!("no GHL token configured"),
    };
    let mut ghl = GhlClient::builder()
        .location_id(creds.ghl_location_id.as_str())
        .auth(auth);
    if let Some(url) = &creds.ghl_base_url {
        ghl = ghl.base_url(url.as_str());
    }
    let ghl = ghl.build().context("building the GHL client")?;
    Ok((phorest, ghl))
}
