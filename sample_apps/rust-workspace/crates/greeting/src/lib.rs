/// The text both binaries serve: a library crate of the workspace, so a change here rebuilds
/// the crates that use it.
pub fn greeting(who: &str) -> String {
    format!("Hello from {who}!")
}
