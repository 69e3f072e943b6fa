//! Two-way end to end: the webhook receiver runs in-process against both sandboxes; the GHL
//! sandbox POSTs signed webhooks for every change made through its API (user edits in GHL and
//! the forward sync's own writes alike).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ghl_client::contacts::UpdateContact;
use ghl_client::mock::DeliveryTamper;
use ghl_client::webhooks::WebhookContact;
use ghl_client::{ContactId, GhlClient};
use phorest_client::mock::SalonSpec;
use phorest_ghl_examples::receiver::{self, Receiver, WEBHOOK_PATH};
use sync_core::entity::EntityKind;
use sync_core::sandbox::{SandboxSetup, Sandboxes};
use sync_core::two_way::{
    ConflictRule, CreatePolicy, FieldOwnership, InboundEvent, TwoWayConfig, TwoWayOutcome,
    TwoWaySync,
};
use sync_core::{KvStore, MappingState, MappingStore, MemoryStore, SyncConfig};
use tokio_util::sync::CancellationToken;

struct World {
    sb: Sandboxes,
    store: Arc<MemoryStore>,
    sync: Arc<TwoWaySync<MemoryStore>>,
    rx: Receiver<MemoryStore>,
    ghl: GhlClient,
    cancel: CancellationToken,
}

impl Drop for World {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn region(sb: &Sandboxes) -> Option<String> {
    sb.phorest
        .with_salon(|s| s.branches().first().map(|b| b.country.clone()))
}

fn clients_only() -> SyncConfig {
    let mut config = SyncConfig::default();
    config.entities = [EntityKind::Client].into_iter().collect();
    config
}

async fn world(seed: u64, tweak: impl FnOnce(&Sandboxes, &mut TwoWayConfig)) -> World {
    world_of(SalonSpec::small(seed), tweak).await
}

async fn world_of(spec: SalonSpec, tweak: impl FnOnce(&Sandboxes, &mut TwoWayConfig)) -> World {
    let sb = Sandboxes::start(spec, SandboxSetup::default()).await;
    let store = Arc::new(MemoryStore::new());
    // The first forward sync, before any webhook is registered.
    let plan = sb
        .plan_builder(clients_only())
        .shared_store(store.clone())
        .build()
        .unwrap();
    let report = plan.run(CancellationToken::new()).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);

    let mut config = TwoWayConfig::default();
    config.region = region(&sb);
    tweak(&sb, &mut config);
    let phorest = sb.phorest.client_builder().build().unwrap();
    let sync = Arc::new(TwoWaySync::new(phorest, store.clone(), config));
    let rx = receiver::receiver(
        sync.clone(),
        store.clone(),
        sb.ghl.webhook_signer().verifier_builder(),
        None,
    );
    let cancel = CancellationToken::new();
    let addr = rx
        .spawn("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    sb.ghl
        .register_webhook(format!("http://{addr}{WEBHOOK_PATH}"));
    let ghl = sb.ghl.client_builder(&sb.token).build().unwrap();
    World {
        sb,
        store,
        sync,
        rx,
        ghl,
        cancel,
    }
}

impl World {
    /// The forward sync (clients), sharing the store; answers the GHL writes it made, as
    /// `(method, path)`.
    async fn forward(&self) -> Vec<(String, String)> {
        let before = self.sb.ghl.requests().len();
        let plan = self
            .sb
            .plan_builder(clients_only())
            .shared_store(self.store.clone())
            .build()
            .unwrap();
        let report = plan.run(CancellationToken::new()).await;
        assert!(report.failure.is_none(), "{:?}", report.failure);
        self.sb.ghl.requests()[before..]
            .iter()
            .filter(|r| r.write)
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect()
    }

    /// Waits until every webhook sent so far was answered and every stored event applied (the
    /// timeout is a safety net against a hung test, not a measure).
    async fn settle(&self) {
        for _ in 0..6_000 {
            let deliveries = self.sb.ghl.webhook_deliveries();
            let answered = deliveries
                .iter()
                .all(|d| d.status != ghl_client::mock::DeliveryStatus::Pending);
            let s = self.rx.stats.snapshot();
            if answered && s.stored == s.applied && self.sync.pending().await.unwrap().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("webhooks did not settle: {:?}", self.rx.stats.snapshot());
    }

    /// Synced clients with their GHL contact: `(client id, contact id)`.
    async fn mapped(&self, n: usize) -> Vec<(String, String)> {
        self.store
            .list(EntityKind::Client, Some(MappingState::Synced), None, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|m| Some((m.phorest_id.clone(), m.ghl_id.clone()?)))
            .take(n)
            .collect()
    }

    async fn edit_in_ghl(&self, contact: &str, body: UpdateContact) {
        self.ghl
            .contacts()
            .update(&ContactId::from(contact), &body)
            .await
            .unwrap();
    }

    fn phorest_client(&self, id: &str) -> phorest_client::mock::Client {
        self.sb
            .phorest
            .with_salon(|s| s.client(id).cloned())
            .unwrap()
    }

    fn ghl_contact(&self, id: &str) -> serde_json::Value {
        self.sb.ghl.contact(id).unwrap()
    }

    /// Phorest `PUT /client/{id}` requests so far, by client id.
    fn phorest_puts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.sb.phorest.requests() {
            if r.method == "PUT"
                && let Some(id) = r.path.rsplit_once("/client/").map(|(_, id)| id)
            {
                *out.entry(id.to_owned()).or_insert(0) += 1;
            }
        }
        out
    }
}

fn contact_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/contacts/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty() && id != "upsert").then_some(id)
}

/// 200 edits, mixed between Phorest and GHL over four rounds with a forward run after each:
/// every edit lands on the other side, and no write goes back to where the edit came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_mixed_edits_make_no_echo_and_lose_nothing() {
    let spec = SalonSpec {
        clients: 320,
        ..SalonSpec::small(14)
    };
    let w = world_of(spec, |_, c| c.ownership = FieldOwnership::all_shared()).await;
    let clients = w.mapped(200).await;
    assert_eq!(clients.len(), 200, "200 synced clients to edit");
    let skipped_before: HashSet<String> = w
        .store
        .list(
            EntityKind::Client,
            Some(MappingState::Skipped),
            None,
            10_000,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.phorest_id)
        .collect();

    // What each side should end up with.
    let mut phorest_first: BTreeMap<String, String> = BTreeMap::new(); // client → first name
    let mut ghl_city: BTreeMap<String, String> = BTreeMap::new(); // client → city
    let mut ghl_last: BTreeMap<String, String> = BTreeMap::new(); // client → last name
    let mut ghl_email: BTreeMap<String, String> = BTreeMap::new(); // client → email
    let mut ghl_phone: BTreeMap<String, String> = BTreeMap::new(); // client → phone (E.164)
    let mut phorest_edited: HashSet<String> = HashSet::new(); // contact ids
    let mut ghl_edited: HashSet<String> = HashSet::new(); // client ids
    let mut edits = 0;
    let mut forward_writes: Vec<(String, String)> = Vec::new();
    for round in 0..4 {
        for (i, (client, contact)) in clients[round * 50..(round + 1) * 50].iter().enumerate() {
            let both = i % 10 == 9; // edited on both sides, different fields
            if i % 2 == 0 || both {
                let first = format!("Phorest{round}x{i}");
                w.sb.phorest
                    .update_client(client, |c| c.first_name = first.clone());
                phorest_first.insert(client.clone(), first);
                phorest_edited.insert(contact.clone());
                edits += 1;
            }
            if i % 2 == 1 {
                if i % 8 == 3 {
                    let email = format!("ghl.edit.{round}.{i}@example.com");
                    w.edit_in_ghl(contact, UpdateContact::new().email(email.clone()))
                        .await;
                    ghl_email.insert(client.clone(), email);
                } else if i % 8 == 7 {
                    let phone = format!("+35387{:07}", 1_000_000 + round * 100 + i);
                    w.edit_in_ghl(contact, UpdateContact::new().phone(phone.clone()))
                        .await;
                    ghl_phone.insert(client.clone(), phone);
                } else if i % 4 == 1 {
                    let city = format!("Ghltown {round}-{i}");
                    w.edit_in_ghl(contact, UpdateContact::new().city(city.clone()))
                        .await;
                    ghl_city.insert(client.clone(), city);
                } else {
                    let last = format!("Ghlname{round}x{i}");
                    w.edit_in_ghl(contact, UpdateContact::new().last_name(last.clone()))
                        .await;
                    ghl_last.insert(client.clone(), last);
                }
                ghl_edited.insert(client.clone());
                edits += 1;
            }
        }
        w.settle().await;
        forward_writes.extend(w.forward().await);
        // The forward run's own writes come back as webhooks: they must change nothing.
        w.settle().await;
    }
    // One more forward run: GHL edits written to Phorest must not go back to GHL.
    let last_run = w.forward().await;
    w.settle().await;
    assert!(edits >= 200, "{edits} edits");

    // Phorest → GHL echo: forward writes only for contacts edited in Phorest, one each.
    // A GHL edit that changes an email or phone can free an identifier another client shared
    // (families): that client's contact is then created by the forward run. A create is new
    // data, not an echo; counted apart.
    let creates = forward_writes
        .iter()
        .filter(|(m, p)| m == "POST" && p == "/contacts/")
        .count();
    let synced_now: HashSet<String> = w
        .store
        .list(EntityKind::Client, Some(MappingState::Synced), None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.phorest_id)
        .collect();
    let newly_synced = skipped_before.intersection(&synced_now).count();
    assert_eq!(
        creates, newly_synced,
        "every create is a client skipped before (shared identifier) and synced now"
    );
    let mut per_contact: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, path) in forward_writes
        .iter()
        .filter(|(m, p)| !(m == "POST" && p == "/contacts/"))
    {
        *per_contact
            .entry(
                contact_of(path).unwrap_or_else(|| panic!("a contact write: {forward_writes:?}")),
            )
            .or_insert(0) += 1;
    }
    let forward_echoes: usize = per_contact
        .iter()
        .filter(|(c, _)| !phorest_edited.contains(**c))
        .map(|(_, n)| *n)
        .sum();
    let forward_repeats: usize = per_contact.values().map(|n| n.saturating_sub(1)).sum();
    // GHL → Phorest echo: Phorest PUTs only for clients edited in GHL, one each.
    let puts = w.phorest_puts();
    let reverse_echoes: usize = puts
        .iter()
        .filter(|(c, _)| !ghl_edited.contains(*c))
        .map(|(_, n)| *n)
        .sum();
    let reverse_repeats: usize = puts.values().map(|n| n.saturating_sub(1)).sum();
    println!(
        "two-way: {} email and {} phone edits in GHL among them; {creates} contacts created \
         by the forward runs for clients whose shared identifier was freed",
        ghl_email.len(),
        ghl_phone.len()
    );
    println!(
        "two-way: {edits} edits ({} in Phorest, {} in GHL); forward writes {}, Phorest PUTs {}; \
         echo writes Phorest→GHL {forward_echoes} (+{forward_repeats} repeats), \
         GHL→Phorest {reverse_echoes} (+{reverse_repeats} repeats); receiver {:?}; {:?}",
        phorest_edited.len(),
        ghl_edited.len(),
        forward_writes.len(),
        puts.values().sum::<usize>(),
        w.rx.stats.snapshot(),
        w.sync.totals(),
    );
    assert_eq!(forward_echoes, 0);
    assert_eq!(reverse_echoes, 0);
    assert_eq!(forward_repeats, 0);
    assert_eq!(reverse_repeats, 0);
    assert!(last_run.is_empty(), "a rerun writes nothing: {last_run:?}");
    assert_eq!(per_contact.len(), phorest_edited.len());
    assert_eq!(puts.len(), ghl_edited.len());
    assert!(
        w.sync.totals().no_change > 0,
        "the forward's webhooks were seen and dropped"
    );

    // No lost edit, on either side.
    for (client, contact) in &clients {
        let p = w.phorest_client(client);
        let g = w.ghl_contact(contact);
        if let Some(first) = phorest_first.get(client) {
            assert_eq!(&p.first_name, first);
            assert_eq!(g["firstName"].as_str(), Some(first.as_str()), "{client}");
        }
        if let Some(city) = ghl_city.get(client) {
            let pc = p.address.as_ref().map(|a| a.city.as_str());
            assert_eq!(pc, Some(city.as_str()), "{client}");
            assert_eq!(g["city"].as_str(), Some(city.as_str()));
        }
        if let Some(email) = ghl_email.get(client) {
            assert_eq!(p.email.as_deref(), Some(email.as_str()), "{client}");
            assert_eq!(g["email"].as_str(), Some(email.as_str()));
        }
        if let Some(phone) = ghl_phone.get(client) {
            assert_eq!(p.mobile.as_deref(), phone.strip_prefix('+'), "{client}");
            assert_eq!(g["phone"].as_str(), Some(phone.as_str()));
        }
        if let Some(last) = ghl_last.get(client) {
            assert_eq!(&p.last_name, last, "{client}");
            assert_eq!(g["lastName"].as_str(), Some(last.as_str()));
        }
    }
}

/// Forged, unsigned, stale, future and replayed deliveries are refused; nothing of them is
/// applied (the genuine first copy of the replayed one is applied once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_and_stale_webhooks_are_refused_and_not_applied() {
    let w = world(15, |_, c| c.ownership = FieldOwnership::all_shared()).await;
    let clients = w.mapped(6).await;
    w.sb.ghl.tamper_next_webhooks([
        DeliveryTamper::Forged,
        DeliveryTamper::Unsigned,
        DeliveryTamper::Stale,
        DeliveryTamper::Future,
        DeliveryTamper::Replayed,
    ]);
    for (i, (_, contact)) in clients.iter().take(5).enumerate() {
        w.edit_in_ghl(
            contact,
            UpdateContact::new().last_name(format!("Tampered{i}")),
        )
        .await;
    }
    w.settle().await;
    let s = w.rx.stats.snapshot();
    assert_eq!(s.refused_signature, 2, "forged and unsigned: {s:?}");
    assert_eq!(s.refused_stale, 2, "stale and from the future: {s:?}");
    assert_eq!(s.duplicates, 1, "the replayed copy: {s:?}");
    assert_eq!(s.stored, 1, "only the genuine first copy: {s:?}");
    let puts = w.phorest_puts();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts.get(&clients[4].0), Some(&1));
    for (i, (client, _)) in clients.iter().take(4).enumerate() {
        assert_ne!(w.phorest_client(client).last_name, format!("Tampered{i}"));
    }
    assert_eq!(w.phorest_client(&clients[4].0).last_name, "Tampered4");
    // The receiver is healthy and says so.
    let health: serde_json::Value = reqwest_get_json(&w).await;
    assert_eq!(health["ok"], true);
    assert_eq!(health["pending"], 0);
}

async fn reqwest_get_json(w: &World) -> serde_json::Value {
    let url = w.sb.ghl.webhook_deliveries()[0]
        .url
        .replace(WEBHOOK_PATH, "/healthz");
    let (host, path) = url
        .strip_prefix("http://")
        .and_then(|r| r.split_once('/'))
        .unwrap();
    // A minimal HTTP/1.1 GET, to keep the test free of another HTTP client dependency.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(
        format!("GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = text.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

/// The same field edited on both sides between two syncs: Phorest wins by default, the conflict
/// is reported, and the next forward run puts Phorest's value in GHL; with `GhlWins`, GHL's
/// value goes to Phorest and the overwrite is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_edited_on_both_sides_resolves_by_the_rule_and_is_reported() {
    let w = world(16, |_, c| c.ownership = FieldOwnership::all_shared()).await;
    let clients = w.mapped(2).await;
    let (client, contact) = &clients[0];
    w.sb.phorest
        .update_client(client, |c| c.last_name = "FromPhorest".into());
    w.edit_in_ghl(contact, UpdateContact::new().last_name("FromGhl"))
        .await;
    w.settle().await;
    assert!(w.phorest_puts().is_empty(), "Phorest wins: nothing written");
    assert_eq!(w.sync.totals().conflicts, 1);
    let seen = outcomes(&w).await;
    assert!(
        seen.iter().any(
            |o| matches!(o, TwoWayOutcome::Conflict { client_id, conflicts, .. }
            if client_id == client && conflicts.len() == 1)
        ),
        "{seen:?}"
    );
    w.forward().await;
    w.settle().await;
    assert_eq!(w.ghl_contact(contact)["lastName"], "FromPhorest");
    assert_eq!(w.phorest_client(client).last_name, "FromPhorest");
    assert!(
        w.phorest_puts().is_empty(),
        "the forward's webhook is no edit"
    );
    drop(w);

    let w = world(16, |_, c| {
        c.ownership = FieldOwnership::all_shared();
        c.conflicts = ConflictRule::GhlWins;
    })
    .await;
    let (client, contact) = w.mapped(1).await.remove(0);
    w.sb.phorest
        .update_client(&client, |c| c.last_name = "FromPhorest".into());
    w.edit_in_ghl(&contact, UpdateContact::new().last_name("FromGhl"))
        .await;
    w.settle().await;
    assert_eq!(w.phorest_client(&client).last_name, "FromGhl");
    let seen = outcomes(&w).await;
    assert!(
        seen.iter()
            .any(|o| matches!(o, TwoWayOutcome::Applied { overwritten, .. }
            if overwritten.len() == 1)),
        "{seen:?}"
    );
    let writes = w.forward().await;
    assert!(writes.is_empty(), "GHL already has the winner: {writes:?}");
}

/// Every stored outcome so far (from the receiver's deliveries).
async fn outcomes(w: &World) -> Vec<TwoWayOutcome> {
    let mut out = Vec::new();
    for d in w.sb.ghl.webhook_deliveries() {
        if let Some(stored) = w.sync.stored(d.webhook_id.as_str()).await.unwrap()
            && let Some(o) = stored.outcome
        {
            out.push(o);
        }
    }
    out
}

/// Default ownership: GHL edits of Phorest-owned fields are ignored (reported), DND turned on
/// in GHL withdraws marketing consent in Phorest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_policy_ignores_owned_fields_and_lets_opt_outs_flow_back() {
    let w = world(17, |_, _| {}).await;
    let clients = w.mapped(3).await;
    let (client, contact) = &clients[0];
    let before = w.phorest_client(client);
    w.edit_in_ghl(contact, UpdateContact::new().last_name("Ignored"))
        .await;
    w.settle().await;
    assert_eq!(w.phorest_client(client).last_name, before.last_name);
    assert_eq!(w.sync.totals().ignored, 1);

    // A client who consents to SMS marketing opts out in GHL.
    let (client, contact) = &clients[1];
    w.sb.phorest
        .update_client(client, |c| c.sms_marketing_consent = true);
    w.forward().await;
    w.settle().await;
    let mut dnd = ghl_client::contacts::DndSettings::new();
    dnd.sms = Some(ghl_client::contacts::DndChannel::new(
        ghl_client::contacts::DndStatus::Active,
    ));
    w.edit_in_ghl(contact, UpdateContact::new().dnd_settings(dnd))
        .await;
    w.settle().await;
    assert!(!w.phorest_client(client).sms_marketing_consent);
    assert_eq!(w.phorest_puts().get(client.as_str()), Some(&1));
}

/// Contacts created in GHL: never clients by default; with the policy, only those with an email
/// or phone and no staff tag, and never the forward sync's own contacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ghl_created_contacts_become_clients_only_by_policy() {
    let create = |name: &str, email: Option<&str>, tags: &[&str]| {
        let mut c = ghl_client::contacts::CreateContact::new()
            .first_name(name)
            .last_name("Lead");
        if !tags.is_empty() {
            c = c.tags(tags.iter().copied());
        }
        if let Some(e) = email {
            c = c.email(e);
        }
        c
    };
    let creates = |w: &World| {
        w.sb.phorest
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/client"))
            .count()
    };
    let w = world(18, |_, _| {}).await;
    w.ghl
        .contacts()
        .create(&create("One", Some("lead1@example.com"), &[]))
        .await
        .unwrap();
    w.settle().await;
    assert_eq!(creates(&w), 0, "policy Never");
    drop(w);

    let w = world(18, |sb, c| {
        c.create_clients = CreatePolicy::InBranch {
            branch_id: sb.phorest.branch_id().to_owned(),
        }
    })
    .await;
    let mut ids = Vec::new();
    for (name, email, tags) in [
        ("Two", Some("lead2@example.com"), vec![]),
        ("Staffer", Some("staffer@example.com"), vec!["staff"]),
        ("Nameonly", None, vec![]),
        (
            "Marked",
            Some("marked@example.com"),
            vec!["phorest-client-id:xyz"],
        ),
    ] {
        let contact = w
            .ghl
            .contacts()
            .create(&create(name, email, &tags))
            .await
            .unwrap();
        ids.push(contact.id.to_string());
    }
    w.settle().await;
    assert_eq!(creates(&w), 1, "{:?}", w.sync.totals());
    let owner = w
        .store
        .owner_of(sync_core::entity::GhlObject::Contact, &ids[0])
        .await
        .unwrap()
        .expect("the lead is mapped to its new client");
    let client = w.phorest_client(&owner.phorest_id);
    assert_eq!(client.email.as_deref(), Some("lead2@example.com"));
    for id in &ids[1..] {
        assert!(
            w.store
                .owner_of(sync_core::entity::GhlObject::Contact, id)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(w.sync.totals().created, 1);
}

/// Events stored but not applied when the process died are applied at the next start, once;
/// a crash after the Phorest write but before the event was marked applied writes nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_store_and_apply_replays_the_event_once() {
    let sb = Sandboxes::start(SalonSpec::small(19), SandboxSetup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = Arc::new(sync_core::SqliteStore::open(&path).unwrap());
    let report = sb
        .plan_builder(clients_only())
        .shared_store(store.clone())
        .build()
        .unwrap()
        .run(CancellationToken::new())
        .await;
    assert!(report.failure.is_none());
    let m = store
        .list(EntityKind::Client, Some(MappingState::Synced), None, 1)
        .await
        .unwrap()
        .remove(0);
    let (client, contact) = (m.phorest_id.clone(), m.ghl_id.clone().unwrap());
    let mut config = TwoWayConfig::default();
    config.region = region(&sb);
    config.ownership = FieldOwnership::all_shared();
    // The edit in GHL (no webhook registered: the event is handed over below).
    sb.ghl
        .client_builder(&sb.token)
        .build()
        .unwrap()
        .contacts()
        .update(
            &ContactId::from(contact.as_str()),
            &UpdateContact::new().last_name("AfterCrash"),
        )
        .await
        .unwrap();
    let event = InboundEvent::new(
        "wh-crash-1",
        "ContactUpdate",
        serde_json::from_value::<WebhookContact>(serde_json::json!({
            "id": contact,
            "lastName": "AfterCrash",
        }))
        .unwrap(),
    );

    // Process 1 stores the event and dies before applying it.
    {
        let sync = TwoWaySync::new(
            sb.phorest.client_builder().build().unwrap(),
            store.clone(),
            config.clone(),
        );
        assert!(sync.enqueue(&event).await.unwrap());
        assert!(!sync.enqueue(&event).await.unwrap(), "stored once");
    }
    drop(store);
    let puts = |sb: &Sandboxes| {
        sb.phorest
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .count()
    };
    assert_eq!(puts(&sb), 0);

    // Process 2 starts on the same file and applies it.
    let store = Arc::new(sync_core::SqliteStore::open(&path).unwrap());
    let sync = TwoWaySync::new(
        sb.phorest.client_builder().build().unwrap(),
        store.clone(),
        config.clone(),
    );
    assert_eq!(sync.pending().await.unwrap().len(), 1);
    let done = sync.apply_pending().await.unwrap();
    assert!(
        matches!(done[0].1, TwoWayOutcome::Applied { .. }),
        "{done:?}"
    );
    assert_eq!(puts(&sb), 1);
    assert!(
        sync.apply_pending().await.unwrap().is_empty(),
        "applied once"
    );
    let p = sb
        .phorest
        .with_salon(|s| s.client(&client).cloned())
        .unwrap();
    assert_eq!(p.last_name, "AfterCrash");

    // A crash after the write, before the event was marked applied: it is pending again.
    store
        .set_value("two_way:pending", &serde_json::json!(["wh-crash-1"]))
        .await
        .unwrap();
    let done = sync.apply_pending().await.unwrap();
    assert!(
        matches!(done[0].1, TwoWayOutcome::NoChange { .. }),
        "{done:?}"
    );
    assert_eq!(puts(&sb), 1, "no second write");

    // And the forward run does not send the GHL edit back to GHL.
    let before = sb.ghl.requests().len();
    let report = sb
        .plan_builder(clients_only())
        .shared_store(store.clone())
        .build()
        .unwrap()
        .run(CancellationToken::new())
        .await;
    assert!(report.failure.is_none());
    let writes = sb.ghl.requests()[before..]
        .iter()
        .filter(|r| r.write)
        .count();
    assert_eq!(writes, 0);
}
