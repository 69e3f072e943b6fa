//! The end-to-end sync (work in progress).
fn main() {
    eprintln!("phorest-ghl-sync: not implemented yet");
}
