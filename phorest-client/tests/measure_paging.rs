//! Throughput figures for the SDK against the seeded sandbox (run on demand:
//! `cargo test -p phorest-client --all-features --release --test measure_paging -- --ignored --nocapture`).
//! Nothing here asserts on time; the figures are printed.
#![cfg(feature = "mock")]

use std::time::Instant;

use futures::TryStreamExt;
use phorest_client::mock::{PhorestSandbox, SalonSpec};
use phorest_client::{AppointmentQuery, ClientQuery};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; prints figures"]
async fn page_the_seed_report_salon() {
    let sb = PhorestSandbox::start(SalonSpec::seed_report(42)).await;
    let phorest = sb.client_builder().build().unwrap();

    let started = Instant::now();
    let mut clients = 0_u64;
    let mut with_card = 0_u64;
    let mut stream = phorest.clients().list(&ClientQuery::all());
    while let Some(c) = stream.try_next().await.unwrap() {
        clients += 1;
        with_card += u64::from(c.loyalty_card.is_some());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "clients: {clients} ({with_card} with a loyalty card) in {secs:.2} s = {:.0} clients/s, {} requests",
        clients as f64 / secs,
        sb.request_count()
    );

    let started = Instant::now();
    let from = chrono::Utc::now().date_naive() - chrono::Duration::days(800);
    let to = chrono::Utc::now().date_naive() + chrono::Duration::days(400);
    let appts: Vec<_> = phorest
        .appointments(sb.branch_id())
        .list(&AppointmentQuery::for_sync(from, to))
        .try_collect()
        .await
        .unwrap();
    println!(
        "appointments: {} over {} month windows in {:.2} s",
        appts.len(),
        phorest_client::month_windows(from, to).len(),
        started.elapsed().as_secs_f64()
    );
}
