//! The innermost cause of an error chain as text: what a user needs to read ("Connection
//! refused (os error 111)") where a client library's own message is generic ("error sending
//! request"). A leaf, used by `fetch` and `channel`.

/// The message of the last error in `e`'s source chain.
pub fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
