//! Why a fetch failed: [`FetchError`], with the underlying error kept as its source
//! ([`Cause`], shared so outcomes stay cheap to clone). Used by the rest of [`super`].

use super::{MAX_HOPS, guard};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FetchError {
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {}", .0.root())]
    Connect(#[source] Cause),
    #[error("response larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("more than {MAX_HOPS} redirects")]
    TooManyRedirects,
    #[error("redirect without a usable Location")]
    BadRedirect,
    #[error("{0}")]
    Refused(#[from] guard::Refused),
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("bad URL: {source}")]
    BadUrl {
        #[source]
        source: url::ParseError,
    },
    #[error("bad file URL {0}")]
    BadFileUrl(String),
    /// The HTTP client could not be built (`what`: "bad proxy", "HTTP client").
    #[error("{what}: {source}")]
    Client {
        what: &'static str,
        #[source]
        source: Cause,
    },
    #[error("reading body: {}", .0.root())]
    Body(#[source] Cause),
    /// Any other failure of the request (TLS, protocol, …): the innermost cause is shown.
    #[error("{}", .0.root())]
    Request(#[source] Cause),
}

/// An underlying error kept as a [`FetchError`]'s source; shared so that outcomes stay
/// cheap to clone. Equal when their messages are (for tests comparing outcomes).
#[derive(Debug, Clone)]
pub struct Cause(std::sync::Arc<reqwest::Error>);

impl Cause {
    pub(super) fn new(e: reqwest::Error) -> Cause {
        Cause(std::sync::Arc::new(e))
    }

    /// The innermost error message (reqwest's own is just "error sending request").
    pub fn root(&self) -> String {
        crate::cause::innermost(&*self.0)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.root() == other.root()
    }
}

pub(super) fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Connect(Cause::new(e))
    } else {
        FetchError::Request(Cause::new(e))
    }
}
