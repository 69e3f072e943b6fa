//! sync-core: work in progress.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
