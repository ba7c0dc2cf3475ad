//! Local feed files (`path =` or a `file://` URL the user wrote in their own config): regular
//! files only (no devices, FIFOs or sockets, checked on the opened handle), the body-size cap
//! applied while reading, and a deadline. The modification time and size play the part of
//! Last-Modified. Used by [`super::Fetcher`].

use super::{FetchError, FetchOutcome, FetchRequest, Fetched};
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Reads `path` as a feed document, at most `max` bytes, within `deadline`.
pub async fn read(path: &Path, req: &FetchRequest, max: u64, deadline: Duration) -> FetchOutcome {
    match tokio::time::timeout(deadline, read_inner(path, req, max)).await {
        Ok(outcome) => outcome,
        Err(_) => FetchOutcome::Failed {
            status: None,
            error: FetchError::Timeout,
        },
    }
}

async fn read_inner(path: &Path, req: &FetchRequest, max: u64) -> FetchOutcome {
    let fail = |m: String| FetchOutcome::Failed {
        status: None,
        error: FetchError::File {
            path: path.display().to_string(),
            message: m,
        },
    };
    // Opening a FIFO for reading blocks until a writer appears: open without blocking, then
    // look at what was opened before reading from it.
    let file = {
        let mut o = tokio::fs::OpenOptions::new();
        o.read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        match o.open(path).await {
            Ok(f) => f,
            Err(e) => return fail(e.to_string()),
        }
    };
    let meta = match file.metadata().await {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    if !meta.is_file() {
        return fail("not a regular file (devices, pipes and sockets are not read)".into());
    }
    if meta.len() > max {
        return FetchOutcome::Failed {
            status: None,
            error: FetchError::TooLarge { limit: max },
        };
    }
    let stamp = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}-{}", d.as_secs(), d.subsec_nanos(), meta.len()));
    if stamp.is_some() && stamp == req.last_modified {
        return FetchOutcome::NotModified {
            permanent_redirect: None,
            max_age: None,
        };
    }
    // The file may grow between the size check and the read: the cap holds while reading.
    let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    match file
        .take(max.saturating_add(1))
        .read_to_end(&mut body)
        .await
    {
        Ok(_) if body.len() as u64 > max => FetchOutcome::Failed {
            status: None,
            error: FetchError::TooLarge { limit: max },
        },
        Ok(_) => FetchOutcome::Modified(Box::new(Fetched {
            status: 200,
            body,
            content_type: None,
            etag: None,
            last_modified: stamp,
            final_url: req.url.clone(),
            permanent_redirect: None,
            max_age: None,
            budget: Default::default(),
        })),
        Err(e) => fail(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> FetchRequest {
        FetchRequest::default()
    }

    #[tokio::test]
    async fn devices_and_pipes_are_not_read() {
        let out = read(
            Path::new("/dev/zero"),
            &req(),
            1 << 20,
            Duration::from_secs(5),
        )
        .await;
        assert!(
            matches!(&out, FetchOutcome::Failed { error: FetchError::File { message, .. }, .. } if message.contains("not a regular file")),
            "{out:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path and mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let out = read(&fifo, &req(), 1 << 20, Duration::from_secs(5)).await;
        assert!(matches!(out, FetchOutcome::Failed { .. }), "{out:?}");
    }

    #[tokio::test]
    async fn size_cap_and_not_modified() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.xml");
        std::fs::write(&p, vec![b'x'; 5000]).unwrap();
        let out = read(&p, &req(), 4000, Duration::from_secs(5)).await;
        assert!(matches!(
            out,
            FetchOutcome::Failed {
                error: FetchError::TooLarge { .. },
                ..
            }
        ));
        let FetchOutcome::Modified(f) = read(&p, &req(), 1 << 20, Duration::from_secs(5)).await
        else {
            panic!("not read")
        };
        assert_eq!(f.body.len(), 5000);
        let again = FetchRequest {
            last_modified: f.last_modified.clone(),
            ..req()
        };
        assert!(matches!(
            read(&p, &again, 1 << 20, Duration::from_secs(5)).await,
            FetchOutcome::NotModified { .. }
        ));
    }
}
