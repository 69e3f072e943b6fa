//! The sandbox answers the generated operations it has no hand-written route for as the spec
//! says: the generated client's requests pass its checks and its spec-shaped answers decode.
#![cfg(all(feature = "mock", feature = "opportunities", feature = "invoices"))]

use ghl_client::api::opportunities::{CreateDto, CreateDtoStatus, SearchOpportunityQuery};
use ghl_client::mock::{GhlSandbox, SandboxConfig};
use ghl_client::{Error, RetryPolicy};

#[tokio::test]
async fn generated_operations_are_answered_like_the_spec_by_the_sandbox() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let token = sandbox.issue_private_token(["opportunities.readonly", "opportunities.write"]);
    let client = sandbox
        .client_builder(&token)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let location = client.location_id().to_string();
    let created = client
        .opportunities()
        .create_opportunity(&CreateDto::new(
            "c-1",
            location.clone(),
            "Deal",
            "pipe-1",
            CreateDtoStatus::Open,
        ))
        .await
        .expect("created");
    assert!(created.opportunity.is_some());
    let found = client
        .opportunities()
        .search_opportunity(&SearchOpportunityQuery::new(location).limit(20.0))
        .await
        .expect("searched");
    assert_eq!(found.opportunities.map(|o| o.len()), Some(1));
    // A scope the token lacks: GHL's 401, typed.
    let error = client
        .invoices()
        .list_invoices(&ghl_client::api::invoices::ListInvoicesQuery::new(
            "loc", "location", "0", "10",
        ))
        .await
        .expect_err("missing scope");
    assert!(matches!(error, Error::MissingScope { .. }), "{error:?}");
}

#[tokio::test]
async fn the_sandbox_refuses_what_real_ghl_refuses_on_generated_routes() {
    let sandbox = GhlSandbox::start(SandboxConfig::default()).await;
    let token = sandbox.issue_private_token(["opportunities.readonly"]);
    // A bare reqwest client needs a process-wide rustls provider (GhlClient installs one when
    // it builds; this test may run before any does).
    ghl_client::install_default_crypto_provider();
    let http = reqwest::Client::new();
    let send = |version: &'static str, query: &'static str| {
        http.get(format!(
            "{}/opportunities/search?{query}",
            sandbox.base_url()
        ))
        .bearer_auth(token.clone())
        .header("Version", version)
        .send()
    };
    let wrong_version = send("2021-04-15", "location_id=l").await.unwrap();
    assert_eq!(wrong_version.status(), 400);
    let undeclared = send("2021-07-28", "location_id=l&locationId=l")
        .await
        .unwrap();
    assert_eq!(undeclared.status(), 422);
    let text = undeclared.text().await.unwrap();
    assert!(
        text.contains("property locationId should not exist"),
        "{text}"
    );
    let missing = send("2021-07-28", "q=x").await.unwrap();
    assert_eq!(missing.status(), 422);
    let unknown = http
        .get(format!(
            "{}/opportunities/nowhere/at/all",
            sandbox.base_url()
        ))
        .bearer_auth(token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
