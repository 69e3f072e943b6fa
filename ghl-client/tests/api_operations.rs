//! Contract tests of the generated API (`ghl_client::api`): the generated module calls every
//! operation of every enabled area against wiremock (see `api_operations/generated.rs`).

#[rustfmt::skip]
#[path = "api_operations/generated.rs"]
mod generated;
