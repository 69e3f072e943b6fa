//! Signing like HighLevel for the webhook tests: test keys from `tests/fixtures/webhooks/keys`,
//! and realistic payloads built from the documented examples.
#![allow(dead_code)]

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use ghl_client::webhooks::{WebhookPublicKey, WebhookVerifier, WebhookVerifierBuilder};
use ring::signature::{Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};

pub fn read(path: &str) -> String {
    let full = format!(
        "{}/tests/fixtures/webhooks/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An RSA and an Ed25519 test key pair.
pub struct Signer {
    rsa: RsaKeyPair,
    ed: Ed25519KeyPair,
    pub rsa_public: WebhookPublicKey,
    pub ed_public: WebhookPublicKey,
}

impl Signer {
    fn load(rsa: &str, ed: &str) -> Self {
        let rsa = RsaKeyPair::from_pkcs8(&pem_der(&read(&format!("keys/{rsa}.key.pem"))))
            .expect("RSA PKCS#8");
        let ed = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(&read(&format!(
            "keys/{ed}.key.pem"
        ))))
        .expect("Ed25519 PKCS#8");
        let rsa_public =
            WebhookPublicKey::rsa_from_pkcs1_der(rsa.public().as_ref()).expect("RSA public key");
        let ed_public = WebhookPublicKey::ed25519_from_bytes(
            ed.public_key().as_ref().try_into().expect("32 bytes"),
        );
        Self {
            rsa,
            ed,
            rsa_public,
            ed_public,
        }
    }

    /// The keys the verifiers under test trust.
    pub fn trusted() -> Self {
        Self::load("signer-rsa-2048", "signer-ed25519")
    }

    /// Keys no verifier under test trusts.
    pub fn untrusted() -> Self {
        Self::load("untrusted-rsa-2048", "untrusted-ed25519")
    }

    /// A 4096-bit RSA key (the size of HighLevel's) and the trusted Ed25519 key.
    pub fn bench() -> Self {
        Self::load("bench-rsa-4096", "signer-ed25519")
    }

    /// Base64 RSA PKCS#1 v1.5 SHA-256 signature, as in `x-wh-signature`.
    pub fn rsa(&self, body: &[u8]) -> String {
        let mut signature = vec![0; self.rsa.public().modulus_len()];
        self.rsa
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                body,
                &mut signature,
            )
            .expect("RSA signing");
        b64(&signature)
    }

    /// Base64 Ed25519 signature, as in `x-ghl-signature`.
    pub fn ed25519(&self, body: &[u8]) -> String {
        b64(self.ed.sign(body).as_ref())
    }

    /// Both signature headers, as HighLevel sends them during the transition.
    pub fn both(&self, body: &[u8]) -> Vec<(String, String)> {
        vec![
            ("x-wh-signature".to_owned(), self.rsa(body)),
            ("x-ghl-signature".to_owned(), self.ed25519(body)),
        ]
    }

    /// A verifier builder trusting exactly these keys (memory replay store, defaults).
    pub fn verifier_builder(&self) -> WebhookVerifierBuilder {
        WebhookVerifier::builder().keys([self.ed_public.clone(), self.rsa_public.clone()])
    }
}

pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The documented `ContactCreate` example, pretty-printed as on the page, with `timestamp` and
/// `webhookId` added as HighLevel does: the exact bytes a receiver gets.
pub fn contact_create(timestamp: DateTime<Utc>, webhook_id: &str) -> Vec<u8> {
    with_envelope(
        &read("ContactCreate.json"),
        Some(timestamp),
        Some(webhook_id),
    )
}

/// A payload text with `timestamp` / `webhookId` inserted after the opening brace.
pub fn with_envelope(
    payload: &str,
    timestamp: Option<DateTime<Utc>>,
    webhook_id: Option<&str>,
) -> Vec<u8> {
    let rest = payload
        .trim_start()
        .strip_prefix('{')
        .expect("a JSON object");
    let mut head = String::from("{\n");
    if let Some(ts) = timestamp {
        head.push_str(&format!("  \"timestamp\": \"{}\",\n", iso(ts)));
    }
    if let Some(id) = webhook_id {
        head.push_str(&format!("  \"webhookId\": \"{id}\",\n"));
    }
    format!("{head}{}", rest.trim_start_matches(['\n', ' '])).into_bytes()
}
