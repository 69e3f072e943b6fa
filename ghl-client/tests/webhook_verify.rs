//! `WebhookVerifier`: signatures over the exact bytes (Ed25519 and RSA), freshness, replay
//! protection, decoding through the verifier.

mod webhook_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use ghl_client::webhooks::{
    MemoryReplayStore, ReplayStore, SignatureScheme, WebhookError, WebhookEvent, WebhookEventType,
    WebhookPublicKey, WebhookVerifier,
};
use ghl_client::{ContactId, LocationId};
use webhook_support::{Signer, contact_create, read, with_envelope};

fn headers(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn fresh_body(id: &str) -> Vec<u8> {
    contact_create(Utc::now(), id)
}

#[tokio::test]
async fn ed25519_signature_over_the_exact_bytes_is_accepted() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = fresh_body("wh-ed-1");
    let sig = signer.ed25519(&body);
    let delivery = verifier
        .verify(&headers(&[("x-ghl-signature", sig)]), &body)
        .await
        .unwrap();
    assert_eq!(delivery.scheme, SignatureScheme::Ed25519);
    assert_eq!(delivery.key_fingerprint, signer.ed_public.fingerprint());
    assert_eq!(delivery.event_type(), &WebhookEventType::ContactCreate);
    assert_eq!(
        delivery.envelope.webhook_id.as_ref().unwrap().as_str(),
        "wh-ed-1"
    );
    assert_eq!(
        delivery.envelope.location_id,
        Some(LocationId::from("ve9EPM428h8vShlRW1KT"))
    );
    match delivery.event {
        WebhookEvent::ContactCreate(c) => {
            assert_eq!(c.id, Some(ContactId::from("nmFmQEsNgz6AVpgLVUJ0")));
        }
        other => panic!("expected ContactCreate, got {other:?}"),
    }
}

#[tokio::test]
async fn rsa_signature_over_the_exact_bytes_is_accepted() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = fresh_body("wh-rsa-1");
    let sig = signer.rsa(&body);
    let delivery = verifier
        .verify(&headers(&[("X-WH-Signature", sig)]), &body)
        .await
        .unwrap();
    assert_eq!(delivery.scheme, SignatureScheme::RsaSha256);
    assert_eq!(delivery.key_fingerprint, signer.rsa_public.fingerprint());
}

#[tokio::test]
async fn one_changed_byte_is_refused_under_both_schemes() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = fresh_body("wh-flip");
    let mut tampered = body.clone();
    // "John" -> "John" with one byte changed: {"name": "John Deo"} becomes "Jahn Deo".
    let at = tampered.windows(8).position(|w| w == b"John Deo").unwrap();
    tampered[at + 1] = b'a';
    for (name, sig) in [
        ("x-ghl-signature", signer.ed25519(&body)),
        ("x-wh-signature", signer.rsa(&body)),
    ] {
        let err = verifier
            .verify(&headers(&[(name, sig.clone())]), &tampered)
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookError::BadSignature { header, .. } if header == name),
            "{name}: {err:?}"
        );
        assert_eq!(err.http_status(), 401);
        // The untouched body still passes with the same signature (different verifier: the
        // id is fresh there).
        let fresh = signer.verifier_builder().build();
        fresh.verify(&headers(&[(name, sig)]), &body).await.unwrap();
    }
}

#[tokio::test]
async fn a_reserialised_body_is_refused() {
    // What HighLevel's Node SDK does (`JSON.stringify(req.body)`): same JSON value, other bytes.
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = fresh_body("wh-reser");
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let reserialised = serde_json::to_vec(&value).unwrap();
    assert_ne!(reserialised, body);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&reserialised).unwrap(),
        value
    );
    let pairs = headers(
        &signer
            .both(&body)
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect::<Vec<_>>(),
    );
    let err = verifier.verify(&pairs, &reserialised).await.unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::BadSignature {
                scheme: SignatureScheme::Ed25519,
                ..
            }
        ),
        "{err:?}"
    );
    let rsa_only = headers(&[("x-wh-signature", signer.rsa(&body))]);
    let err = verifier.verify(&rsa_only, &reserialised).await.unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::BadSignature {
                scheme: SignatureScheme::RsaSha256,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let trusted = Signer::trusted();
    let other = Signer::untrusted();
    let verifier = trusted.verifier_builder().build();
    let body = fresh_body("wh-other");
    for (name, sig) in [
        ("x-ghl-signature", other.ed25519(&body)),
        ("x-wh-signature", other.rsa(&body)),
    ] {
        let err = verifier
            .verify(&headers(&[(name, sig)]), &body)
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookError::BadSignature { .. }),
            "{name}: {err:?}"
        );
    }
    // HighLevel's own keys (the default) do not accept test signatures either.
    let default = WebhookVerifier::builder().build();
    let err = default
        .verify(
            &headers(&[("x-ghl-signature", trusted.ed25519(&body))]),
            &body,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::BadSignature { .. }), "{err:?}");
}

#[tokio::test]
async fn missing_empty_and_malformed_signatures() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = fresh_body("wh-missing");
    let none: Vec<(String, String)> = vec![("content-type".into(), "application/json".into())];
    let err = verifier.verify(&none, &body).await.unwrap_err();
    assert!(
        matches!(err, WebhookError::MissingSignature { .. }),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 401);
    let empty = headers(&[("x-ghl-signature", "  ".into())]);
    assert!(matches!(
        verifier.verify(&empty, &body).await.unwrap_err(),
        WebhookError::MissingSignature { .. }
    ));
    for bad in ["not base64!", "AAAA"] {
        let err = verifier
            .verify(&headers(&[("x-ghl-signature", bad.into())]), &body)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                WebhookError::MalformedSignature {
                    scheme: SignatureScheme::Ed25519,
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    let short_rsa = headers(&[("x-wh-signature", signer.ed25519(&body))]);
    assert!(matches!(
        verifier.verify(&short_rsa, &body).await.unwrap_err(),
        WebhookError::MalformedSignature {
            scheme: SignatureScheme::RsaSha256,
            ..
        }
    ));
}

#[tokio::test]
async fn ed25519_decides_alone_and_rsa_can_be_switched_off() {
    let signer = Signer::trusted();
    let other = Signer::untrusted();
    let body = fresh_body("wh-order");
    // A good RSA signature does not rescue a bad Ed25519 one.
    let mixed = headers(&[
        ("x-wh-signature", signer.rsa(&body)),
        ("x-ghl-signature", other.ed25519(&body)),
    ]);
    let verifier = signer.verifier_builder().build();
    let err = verifier.verify(&mixed, &body).await.unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::BadSignature {
                scheme: SignatureScheme::Ed25519,
                ..
            }
        ),
        "{err:?}"
    );
    // Without RSA keys, an RSA-only delivery has no signature the verifier accepts.
    let ed_only = signer.verifier_builder().without_rsa().build();
    assert!(
        ed_only
            .keys()
            .iter()
            .all(|k| k.scheme() == SignatureScheme::Ed25519)
    );
    let err = ed_only
        .verify(&headers(&[("x-wh-signature", signer.rsa(&body))]), &body)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::MissingSignature { accepted } if accepted == "x-ghl-signature"),
        "{err:?}"
    );
    // Without Ed25519 keys, `x-ghl-signature` is ignored and RSA decides.
    let rsa_only = WebhookVerifier::builder()
        .keys([signer.rsa_public.clone()])
        .build();
    let both = headers(&[
        ("x-wh-signature", signer.rsa(&body)),
        ("x-ghl-signature", other.ed25519(&body)),
    ]);
    let delivery = rsa_only.verify(&both, &body).await.unwrap();
    assert_eq!(delivery.scheme, SignatureScheme::RsaSha256);
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused_small_skew_is_not() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let sign = |body: &[u8]| headers(&[("x-ghl-signature", signer.ed25519(body))]);

    let stale = contact_create(Utc::now() - TimeDelta::minutes(10), "wh-stale");
    let err = verifier.verify(&sign(&stale), &stale).await.unwrap_err();
    match &err {
        WebhookError::StaleTimestamp { age, tolerance, .. } => {
            assert!(*age >= Duration::from_secs(599), "{age:?}");
            assert_eq!(*tolerance, Duration::from_secs(300));
        }
        other => panic!("expected StaleTimestamp, got {other:?}"),
    }
    assert_eq!(err.http_status(), 401);

    let future = contact_create(Utc::now() + TimeDelta::minutes(10), "wh-future");
    let err = verifier.verify(&sign(&future), &future).await.unwrap_err();
    assert!(
        matches!(err, WebhookError::FutureTimestamp { .. }),
        "{err:?}"
    );

    let skewed = contact_create(Utc::now() + TimeDelta::seconds(20), "wh-skew");
    verifier.verify(&sign(&skewed), &skewed).await.unwrap();

    // A wider window accepts the ten-minute-old delivery.
    let patient = signer
        .verifier_builder()
        .tolerance(Duration::from_secs(15 * 60))
        .build();
    patient.verify(&sign(&stale), &stale).await.unwrap();

    let untimed = with_envelope(&read("ContactCreate.json"), None, Some("wh-untimed"));
    let err = verifier
        .verify(&sign(&untimed), &untimed)
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::MissingTimestamp), "{err:?}");
    let lax = signer.verifier_builder().require_timestamp(false).build();
    lax.verify(&sign(&untimed), &untimed).await.unwrap();
}

async fn duplicates_are_refused_with(store: Arc<dyn ReplayStore>) {
    let signer = Signer::trusted();
    let verifier = signer
        .verifier_builder()
        .shared_replay_store(Arc::clone(&store))
        .build();
    let body = fresh_body(&format!(
        "wh-dup-{}",
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let sig = headers(&[("x-ghl-signature", signer.ed25519(&body))]);

    // A refused delivery never consumes its id: a forged copy first...
    let forged = headers(&[("x-ghl-signature", Signer::untrusted().ed25519(&body))]);
    assert!(verifier.verify(&forged, &body).await.is_err());
    // ...then the genuine one passes once, and its replay is refused.
    verifier.verify(&sig, &body).await.unwrap();
    let err = verifier.verify(&sig, &body).await.unwrap_err();
    assert!(err.is_duplicate(), "{err:?}");
    assert_eq!(err.http_status(), 200);
    // The RSA-signed copy of the same delivery is the same delivery.
    let rsa = headers(&[("x-wh-signature", signer.rsa(&body))]);
    assert!(
        verifier
            .verify(&rsa, &body)
            .await
            .unwrap_err()
            .is_duplicate()
    );
    // Another verifier sharing the store sees the id too.
    let second = signer.verifier_builder().shared_replay_store(store).build();
    assert!(second.verify(&sig, &body).await.unwrap_err().is_duplicate());
}

#[tokio::test]
async fn duplicate_webhook_ids_are_refused_memory_store() {
    duplicates_are_refused_with(Arc::new(MemoryReplayStore::new(100))).await;
}

#[cfg(feature = "webhooks-sqlite")]
#[tokio::test]
async fn duplicate_webhook_ids_are_refused_sqlite_store() {
    let store = ghl_client::webhooks::SqliteReplayStore::open_in_memory().unwrap();
    duplicates_are_refused_with(Arc::new(store)).await;
}

#[tokio::test]
async fn missing_webhook_id_and_no_replay_store() {
    let signer = Signer::trusted();
    let body = with_envelope(&read("ContactCreate.json"), Some(Utc::now()), None);
    let sig = headers(&[("x-ghl-signature", signer.ed25519(&body))]);
    let err = signer
        .verifier_builder()
        .build()
        .verify(&sig, &body)
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::MissingWebhookId), "{err:?}");
    signer
        .verifier_builder()
        .require_webhook_id(false)
        .build()
        .verify(&sig, &body)
        .await
        .unwrap();
    // Without a store, duplicates are the host's business.
    let body = fresh_body("wh-nostore");
    let sig = headers(&[("x-ghl-signature", signer.ed25519(&body))]);
    let open = signer.verifier_builder().without_replay_store().build();
    open.verify(&sig, &body).await.unwrap();
    open.verify(&sig, &body).await.unwrap();
}

#[tokio::test]
async fn rotated_keys_are_trusted_side_by_side() {
    let old = Signer::trusted();
    let new = Signer::untrusted();
    let body = fresh_body("wh-rotate");
    let both_trusted = WebhookVerifier::builder()
        .keys([old.ed_public.clone()])
        .trust_key(new.ed_public.clone())
        .without_replay_store()
        .build();
    let by_old = both_trusted
        .verify(&headers(&[("x-ghl-signature", old.ed25519(&body))]), &body)
        .await
        .unwrap();
    let by_new = both_trusted
        .verify(&headers(&[("x-ghl-signature", new.ed25519(&body))]), &body)
        .await
        .unwrap();
    assert_eq!(by_old.key_fingerprint, old.ed_public.fingerprint());
    assert_eq!(by_new.key_fingerprint, new.ed_public.fingerprint());
    // From PEM, as an operator would paste an announced key.
    let pem = read("keys/signer-ed25519.pub.pem");
    assert_eq!(WebhookPublicKey::from_pem(&pem).unwrap(), old.ed_public);
    let rsa_pem = read("keys/signer-rsa-2048.pub.pem");
    assert_eq!(
        WebhookPublicKey::from_pem(&rsa_pem).unwrap(),
        old.rsa_public
    );
    // Dropping the old key refuses its signatures.
    let new_only = WebhookVerifier::builder()
        .keys([new.ed_public.clone()])
        .build();
    assert!(matches!(
        new_only
            .verify(&headers(&[("x-ghl-signature", old.ed25519(&body))]), &body)
            .await
            .unwrap_err(),
        WebhookError::BadSignature { .. }
    ));
}

#[tokio::test]
async fn an_unknown_event_type_is_verified_and_kept_raw() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = format!(
        r#"{{"type":"FormSubmitted","timestamp":"{}","webhookId":"wh-unknown","locationId":"loc-9","form":{{"id":"f-1"}}}}"#,
        webhook_support::iso(Utc::now())
    )
    .into_bytes();
    let delivery = verifier
        .verify(
            &headers(&[("x-ghl-signature", signer.ed25519(&body))]),
            &body,
        )
        .await
        .unwrap();
    assert_eq!(delivery.event_type().as_str(), "FormSubmitted");
    assert_eq!(
        delivery.envelope.location_id,
        Some(LocationId::from("loc-9"))
    );
    match delivery.event {
        WebhookEvent::Unknown { event_type, raw } => {
            assert_eq!(event_type, "FormSubmitted");
            assert_eq!(raw["form"]["id"], "f-1");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[tokio::test]
async fn a_signed_but_malformed_payload_is_refused_with_its_path() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = format!(
        r#"{{"type":"NoteCreate","timestamp":"{}","webhookId":"wh-bad","contactId":["a","b"]}}"#,
        webhook_support::iso(Utc::now())
    )
    .into_bytes();
    // A list where one id is expected is malformed.
    let err = verifier
        .verify(
            &headers(&[("x-ghl-signature", signer.ed25519(&body))]),
            &body,
        )
        .await
        .unwrap_err();
    match &err {
        WebhookError::MalformedPayload {
            path, event_type, ..
        } => {
            assert_eq!(path, "contactId");
            assert_eq!(event_type.as_deref(), Some("NoteCreate"));
        }
        other => panic!("expected MalformedPayload, got {other:?}"),
    }
    assert_eq!(err.http_status(), 400);
    // The id was not consumed: fixed and re-signed with the same id, it passes.
    let fixed = String::from_utf8(body)
        .unwrap()
        .replace(r#"["a","b"]"#, r#""c-1""#)
        .into_bytes();
    verifier
        .verify(
            &headers(&[("x-ghl-signature", signer.ed25519(&fixed))]),
            &fixed,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn verify_as_decodes_a_provider_delivery_whose_type_is_the_channel() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().build();
    let body = with_envelope(
        &read("ProviderOutboundMessage.json"),
        Some(Utc::now()),
        Some("wh-provider"),
    );
    let delivery = verifier
        .verify_as(
            WebhookEventType::ProviderOutboundMessage,
            &headers(&[("x-ghl-signature", signer.ed25519(&body))]),
            &body,
        )
        .await
        .unwrap();
    assert_eq!(
        delivery.event_type(),
        &WebhookEventType::ProviderOutboundMessage
    );
    match delivery.event {
        WebhookEvent::ProviderOutboundMessage(m) => {
            assert_eq!(m.phone.as_deref(), Some("+15864603685"));
        }
        other => panic!("expected ProviderOutboundMessage, got {other:?}"),
    }
}

#[tokio::test]
async fn header_maps_of_every_kind() {
    let signer = Signer::trusted();
    let verifier = signer.verifier_builder().without_replay_store().build();
    let body = fresh_body("wh-headers");
    let sig = signer.ed25519(&body);

    let mut map = http::HeaderMap::new();
    map.insert("X-GHL-Signature", sig.parse().unwrap());
    verifier.verify(&map, &body).await.unwrap();

    let mut hash = HashMap::new();
    hash.insert("X-Ghl-Signature".to_owned(), sig.clone());
    verifier.verify(&hash, &body).await.unwrap();

    let array = [("x-ghl-signature", sig.as_str())];
    verifier.verify(&array, &body).await.unwrap();
    verifier.verify(&array[..], &body).await.unwrap();
    let signature = verifier.verify_signature(&array, &body).unwrap();
    assert_eq!(signature.scheme, SignatureScheme::Ed25519);
}

#[test]
fn errors_never_quote_signatures_or_payloads() {
    let err = WebhookError::BadSignature {
        header: "x-ghl-signature",
        scheme: SignatureScheme::Ed25519,
    };
    assert_eq!(
        err.to_string(),
        "the Ed25519 signature in x-ghl-signature does not match the body under any trusted key"
    );
    let verifier = WebhookVerifier::builder().build();
    let debug = format!("{verifier:?}");
    assert!(debug.contains("fingerprint"), "{debug}");
}
