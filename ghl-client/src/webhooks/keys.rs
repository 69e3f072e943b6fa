//! Trusted public keys: HighLevel's published RSA and Ed25519 keys, and keys from PEM.

use std::fmt;

use base64::Engine as _;
use ring::signature::{self, UnparsedPublicKey};

/// The signature schemes HighLevel signs deliveries with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// Ed25519 over the raw body, base64 in `x-ghl-signature` (the current scheme).
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-256 over the raw body, base64 in `x-wh-signature` (the legacy
    /// scheme; HighLevel announced its end for July 1, 2026).
    RsaSha256,
}

impl SignatureScheme {
    /// The header carrying this scheme's signature.
    pub fn header(self) -> &'static str {
        match self {
            Self::Ed25519 => ED25519_HEADER,
            Self::RsaSha256 => RSA_HEADER,
        }
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ed25519 => "Ed25519",
            Self::RsaSha256 => "RSA-SHA256",
        })
    }
}

/// Header of the Ed25519 signature.
pub const ED25519_HEADER: &str = "x-ghl-signature";
/// Header of the RSA signature.
pub const RSA_HEADER: &str = "x-wh-signature";

/// HighLevel's RSA (4096-bit) webhook public key, as published in its webhook authentication
/// guide, for `x-wh-signature`.
pub const GHL_RSA_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
";

/// HighLevel's Ed25519 webhook public key for `x-ghl-signature`, as published in its webhook
/// integration guide (and quoted by integrators; see the module documentation).
pub const GHL_ED25519_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
";

/// Why a public key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookKeyError {
    /// Not PEM (or bare base64) text.
    #[error("not a PEM public key: {0}")]
    InvalidPem(String),
    /// Not a DER SubjectPublicKeyInfo.
    #[error("not a DER SubjectPublicKeyInfo: {0}")]
    InvalidDer(&'static str),
    /// A key type other than RSA and Ed25519.
    #[error("unsupported public key algorithm (OID {0}); expected RSA or Ed25519")]
    UnsupportedAlgorithm(String),
    /// An RSA modulus outside 2048–8192 bits.
    #[error("RSA key of {0} bits; expected 2048 to 8192")]
    RsaKeySize(usize),
}

/// A public key trusted to sign webhook deliveries (Ed25519 or RSA).
///
/// Build one from PEM ([`WebhookPublicKey::from_pem`]) when HighLevel rotates its keys; the
/// published ones are [`WebhookPublicKey::ghl_ed25519`] and [`WebhookPublicKey::ghl_rsa`].
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookPublicKey {
    scheme: SignatureScheme,
    /// What ring verifies with: the raw 32 bytes (Ed25519) or the PKCS#1 `RSAPublicKey` DER.
    key: Vec<u8>,
    fingerprint: String,
}

impl fmt::Debug for WebhookPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookPublicKey")
            .field("scheme", &self.scheme)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

impl WebhookPublicKey {
    /// HighLevel's published Ed25519 key ([`GHL_ED25519_PUBLIC_KEY_PEM`]).
    pub fn ghl_ed25519() -> Self {
        Self::from_pem(GHL_ED25519_PUBLIC_KEY_PEM).expect("the embedded Ed25519 key parses")
    }

    /// HighLevel's published RSA key ([`GHL_RSA_PUBLIC_KEY_PEM`]).
    pub fn ghl_rsa() -> Self {
        Self::from_pem(GHL_RSA_PUBLIC_KEY_PEM).expect("the embedded RSA key parses")
    }

    /// A key from a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo, RSA or Ed25519, recognised
    /// by its algorithm), a PEM `RSA PUBLIC KEY` block (PKCS#1), or the bare base64 body of a
    /// SubjectPublicKeyInfo.
    ///
    /// # Errors
    ///
    /// [`WebhookKeyError`] when the text is not such a key.
    pub fn from_pem(pem: &str) -> Result<Self, WebhookKeyError> {
        let (label, body) = match pem.find("-----BEGIN ") {
            Some(begin) => {
                let rest = &pem[begin + "-----BEGIN ".len()..];
                let label_end = rest
                    .find("-----")
                    .ok_or_else(|| WebhookKeyError::InvalidPem("unterminated BEGIN line".into()))?;
                let label = &rest[..label_end];
                let body = &rest[label_end + "-----".len()..];
                let end = body.find("-----END ").ok_or_else(|| {
                    WebhookKeyError::InvalidPem(format!("no END line for {label}"))
                })?;
                (label, &body[..end])
            }
            None => ("PUBLIC KEY", pem),
        };
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| WebhookKeyError::InvalidPem(e.to_string()))?;
        match label {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::rsa_from_pkcs1_der(&der),
            other => Err(WebhookKeyError::InvalidPem(format!(
                "a {other} block, expected PUBLIC KEY or RSA PUBLIC KEY"
            ))),
        }
    }

    /// An RSA key from its PKCS#1 `RSAPublicKey` DER (what a PEM `RSA PUBLIC KEY` holds).
    ///
    /// # Errors
    ///
    /// [`WebhookKeyError`] when the bytes are not an RSA public key of 2048 to 8192 bits.
    pub fn rsa_from_pkcs1_der(der: &[u8]) -> Result<Self, WebhookKeyError> {
        let mut bits = vec![0u8];
        bits.extend_from_slice(der);
        let mut spki = der_element(
            0x30,
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
            ],
        );
        spki.extend(der_element(0x03, &bits));
        Self::from_spki_der(&der_element(0x30, &spki))
    }

    /// A key from DER SubjectPublicKeyInfo bytes.
    ///
    /// # Errors
    ///
    /// [`WebhookKeyError`] when the bytes are not an RSA or Ed25519 SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, WebhookKeyError> {
        let (spki, rest) =
            tlv(der, 0x30).ok_or(WebhookKeyError::InvalidDer("no outer SEQUENCE"))?;
        if !rest.is_empty() {
            return Err(WebhookKeyError::InvalidDer("trailing bytes"));
        }
        let (algorithm, after) =
            tlv(spki, 0x30).ok_or(WebhookKeyError::InvalidDer("no AlgorithmIdentifier"))?;
        let (oid, _params) = tlv(algorithm, 0x06).ok_or(WebhookKeyError::InvalidDer("no OID"))?;
        let (bits, after) = tlv(after, 0x03).ok_or(WebhookKeyError::InvalidDer(
            "no subjectPublicKey BIT STRING",
        ))?;
        if !after.is_empty() {
            return Err(WebhookKeyError::InvalidDer(
                "trailing bytes in SubjectPublicKeyInfo",
            ));
        }
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(WebhookKeyError::InvalidDer("BIT STRING with unused bits")),
        };
        let fingerprint = fingerprint(der);
        if oid == OID_ED25519 {
            if key.len() != 32 {
                return Err(WebhookKeyError::InvalidDer("Ed25519 key is not 32 bytes"));
            }
            return Ok(Self {
                scheme: SignatureScheme::Ed25519,
                key: key.to_vec(),
                fingerprint,
            });
        }
        if oid == OID_RSA {
            let (rsa, rest) =
                tlv(key, 0x30).ok_or(WebhookKeyError::InvalidDer("no RSAPublicKey SEQUENCE"))?;
            let (modulus, rsa_rest) =
                tlv(rsa, 0x02).ok_or(WebhookKeyError::InvalidDer("no RSA modulus"))?;
            tlv(rsa_rest, 0x02).ok_or(WebhookKeyError::InvalidDer("no RSA exponent"))?;
            if !rest.is_empty() {
                return Err(WebhookKeyError::InvalidDer(
                    "trailing bytes after RSAPublicKey",
                ));
            }
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            let bits = significant * 8;
            if !(2048..=8192).contains(&bits) {
                return Err(WebhookKeyError::RsaKeySize(bits));
            }
            return Ok(Self {
                scheme: SignatureScheme::RsaSha256,
                key: key.to_vec(),
                fingerprint,
            });
        }
        Err(WebhookKeyError::UnsupportedAlgorithm(oid_text(oid)))
    }

    /// An Ed25519 key from its 32 raw bytes.
    pub fn ed25519_from_bytes(key: [u8; 32]) -> Self {
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(&key);
        Self {
            scheme: SignatureScheme::Ed25519,
            key: key.to_vec(),
            fingerprint: fingerprint(&spki),
        }
    }

    /// The scheme this key verifies.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The key as PEM, readable by [`WebhookPublicKey::from_pem`]: a `PUBLIC KEY` block
    /// (SubjectPublicKeyInfo) for Ed25519, an `RSA PUBLIC KEY` block (PKCS#1) for RSA. For
    /// handing a key to a receiver configured with key files (e.g. a sandbox's test key).
    pub fn to_pem(&self) -> String {
        let (label, der) = match self.scheme {
            SignatureScheme::Ed25519 => {
                let mut spki = vec![
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                spki.extend_from_slice(&self.key);
                ("PUBLIC KEY", spki)
            }
            SignatureScheme::RsaSha256 => ("RSA PUBLIC KEY", self.key.clone()),
        };
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = format!("-----BEGIN {label}-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {label}-----\n"));
        pem
    }

    /// A short fingerprint (first 16 hex digits of the SHA-256 of the SubjectPublicKeyInfo),
    /// to log which key verified a delivery during a rotation.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether `signature` is this key's signature of `message`.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &dyn signature::VerificationAlgorithm = match self.scheme {
            SignatureScheme::Ed25519 => &signature::ED25519,
            SignatureScheme::RsaSha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        };
        UnparsedPublicKey::new(algorithm, &self.key)
            .verify(message, signature)
            .is_ok()
    }
}

/// Writes one DER element.
fn der_element(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Reads one DER element of the expected tag: its content and what follows it.
fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let count = usize::from(len0 & 0x7f);
        if count == 0 || count > 3 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

fn oid_text(oid: &[u8]) -> String {
    oid.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn fingerprint(spki_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, spki_der);
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn keys_round_trip_through_pem() {
        for key in [WebhookPublicKey::ghl_ed25519(), WebhookPublicKey::ghl_rsa()] {
            let again = WebhookPublicKey::from_pem(&key.to_pem()).unwrap();
            assert_eq!(again, key);
            assert_eq!(again.fingerprint(), key.fingerprint());
        }
    }

    use super::*;

    #[test]
    fn published_keys_parse_with_their_schemes() {
        let rsa = WebhookPublicKey::ghl_rsa();
        assert_eq!(rsa.scheme(), SignatureScheme::RsaSha256);
        let ed = WebhookPublicKey::ghl_ed25519();
        assert_eq!(ed.scheme(), SignatureScheme::Ed25519);
        assert_ne!(rsa.fingerprint(), ed.fingerprint());
        assert_eq!(rsa.fingerprint().len(), 16);
    }

    #[test]
    fn pkcs1_rsa_key_is_the_same_key_as_its_spki() {
        let rsa = WebhookPublicKey::ghl_rsa();
        let from_pkcs1 = WebhookPublicKey::rsa_from_pkcs1_der(&rsa.key).unwrap();
        assert_eq!(from_pkcs1, rsa);
        use base64::Engine as _;
        let pem = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&rsa.key)
        );
        assert_eq!(WebhookPublicKey::from_pem(&pem).unwrap(), rsa);
    }

    #[test]
    fn raw_ed25519_key_has_the_fingerprint_of_its_spki() {
        let ed = WebhookPublicKey::ghl_ed25519();
        let raw: [u8; 32] = ed.key.as_slice().try_into().unwrap();
        assert_eq!(WebhookPublicKey::ed25519_from_bytes(raw), ed);
    }

    #[test]
    fn bare_base64_and_garbage() {
        let bare = "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=";
        assert_eq!(
            WebhookPublicKey::from_pem(bare).unwrap(),
            WebhookPublicKey::ghl_ed25519()
        );
        assert!(matches!(
            WebhookPublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----"),
            Err(WebhookKeyError::InvalidPem(_))
        ));
        assert!(matches!(
            WebhookPublicKey::from_pem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            ),
            Err(WebhookKeyError::InvalidPem(_))
        ));
        assert!(matches!(
            WebhookPublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(WebhookKeyError::InvalidDer(_))
        ));
        // An EC P-256 key (id-ecPublicKey) is refused by algorithm.
        let ec = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiTLcxN7mnAfXx6gYgyHpaU3hRWYH\
                  xZwLT48ypNA6wmCS31u3slCq+LUKs0IvLrEAQYMJtb0/ZKqrzYOwSh6xBg==";
        assert!(matches!(
            WebhookPublicKey::from_pem(ec),
            Err(WebhookKeyError::UnsupportedAlgorithm(_))
        ));
    }
}
