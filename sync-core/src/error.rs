//! The crate's error type.

use crate::store::StoreError;

/// An error that stops a sync run (record-level problems are never errors:
/// they are skips or failures in the [`SyncReport`](crate::report::SyncReport)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mapping, checkpoint or key-value store failed.
    #[error("store error: {0}")]
    Store(#[from] StoreError),
    /// A Phorest API call failed.
    #[error("Phorest API error: {0}")]
    Phorest(#[from] phorest_client::Error),
    /// A GHL API call failed.
    #[error("GoHighLevel API error: {0}")]
    Ghl(#[from] ghl_client::Error),
    /// The plan's configuration is unusable (what is wrong and how to fix it).
    #[error("configuration error: {0}")]
    Config(String),
    /// The run was cancelled by the host; it can be resumed.
    #[error("the run was cancelled")]
    Cancelled,
}

impl Error {
    /// Whether retrying the run later may succeed (transient API or store
    /// trouble), as opposed to a configuration problem a human must fix.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Store(StoreError::Corrupt(_)) | Error::Config(_) => false,
            Error::Store(_) | Error::Cancelled => true,
            Error::Phorest(e) => e.is_retryable(),
            Error::Ghl(e) => e.is_retryable(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_retryability() {
        let e = Error::from(StoreError::Corrupt("bad JSON".into()));
        assert_eq!(
            e.to_string(),
            "store error: stored data is not readable: bad JSON"
        );
        assert!(!e.is_retryable());
        assert!(Error::from(StoreError::Task("panicked".into())).is_retryable());
        let c = Error::Config("no calendar id; set calendar_id".into());
        assert_eq!(
            c.to_string(),
            "configuration error: no calendar id; set calendar_id"
        );
        assert!(!c.is_retryable());
        assert!(Error::Cancelled.is_retryable());
    }
}
