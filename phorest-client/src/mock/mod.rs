//! The sandbox (work in progress).
