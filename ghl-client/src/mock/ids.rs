//! Deterministic GHL-like ids (20 alphanumeric characters) and pseudo-random draws.

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// splitmix64: a tiny, well-distributed generator; enough for ids and fault decisions.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in `[0, 1)`.
pub(crate) fn unit(state: &mut u64) -> f64 {
    (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64
}

fn encode(mut a: u64, mut b: u64) -> String {
    let base = ALPHABET.len() as u64;
    let mut out = String::with_capacity(20);
    for i in 0..20 {
        let word = if i < 10 { &mut a } else { &mut b };
        let digit = (*word % base) as usize;
        *word /= base;
        out.push(char::from(ALPHABET.get(digit).copied().unwrap_or(b'0')));
    }
    out
}

/// An id derived from a label (FNV-1a then splitmix), stable across runs.
pub(crate) fn derive_id(label: &str) -> String {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in label.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01B3);
    }
    let a = splitmix(&mut hash);
    let b = splitmix(&mut hash);
    encode(a, b)
}

/// Sequential id generator seeded per sandbox.
#[derive(Debug)]
pub(crate) struct Ids {
    state: u64,
}

impl Ids {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 20-character id.
    pub(crate) fn next_id(&mut self) -> String {
        let a = splitmix(&mut self.state);
        let b = splitmix(&mut self.state);
        encode(a, b)
    }

    /// A longer opaque secret with a recognisable prefix (tokens, codes).
    pub(crate) fn secret(&mut self, prefix: &str) -> String {
        format!("{prefix}{}{}", self.next_id(), self.next_id())
    }
}
