//! Which addresses a fetch may reach. Addresses that came from the network (redirects, a
//! page's announced feed, a stored permanent redirect) or from a third-party file (OPML) are
//! limited to http/https, and may reach loopback, link-local or private ranges only on the
//! host the user configured (unless `[http] allow_private`). Also the DNS resolver that
//! enforces the same rule for host names that resolve to such ranges. Pure decisions plus
//! one resolver; used by [`super::Fetcher`].

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};

/// Whether `ip` is loopback, link-local, private (RFC 1918 / ULA), shared (CGNAT),
/// unspecified, broadcast or multicast: nothing a public feed lives on.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || v6 == Ipv6Addr::from(0x64_ff9b_0000_0000_0000_0000_a9fe_a9fe_u128) // NAT64 of 169.254.169.254
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
}

/// Host names that always mean this machine.
fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost") || h == "localhost.localdomain"
}

/// Whether the host of `url` is, by its literal form, a private address or a local name.
pub fn literal_is_private(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => private_v4(v4),
        Some(url::Host::Ipv6(v6)) => is_private(IpAddr::V6(v6)),
        Some(url::Host::Domain(d)) => is_local_name(d),
        None => false,
    }
}

/// Scheme, host and port: what "the same site" means for credentials.
pub fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn same_host(a: &url::Url, b: &url::Url) -> bool {
    match (a.host_str(), b.host_str()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

/// Why an address may not be fetched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error(
        "refusing {scheme}: address {url}: only http and https are fetched from addresses that came from a server or an OPML file"
    )]
    Scheme { scheme: String, url: String },
    #[error(
        "refusing {url}: a loopback, link-local or private address reached from {from} (set [http] allow_private = true if this is intended)"
    )]
    Private { url: String, from: String },
}

/// Checks an address that was not written by the user: http(s) only, and no private range
/// unless on the host of `configured` or `allow_private` is set.
pub fn check_remote(
    url: &url::Url,
    configured: &url::Url,
    allow_private: bool,
) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme {
            scheme: url.scheme().to_string(),
            url: crate::redact::url(url.as_str()),
        });
    }
    if !allow_private && !same_host(url, configured) && literal_is_private(url) {
        return Err(Refused::Private {
            url: crate::redact::url(url.as_str()),
            from: crate::redact::url(configured.as_str()),
        });
    }
    Ok(())
}

/// A DNS resolver that drops private addresses for names the user did not configure, so a
/// redirect to `metadata.internal` fares as one to 169.254.169.254 does.
#[derive(Clone, Default)]
pub struct GuardedResolver {
    pub allow_private: bool,
    /// Host names the user configured (feeds, proxy): these may resolve anywhere.
    pub trusted: Arc<RwLock<HashSet<String>>>,
}

impl GuardedResolver {
    /// Marks `host` as configured by the user.
    pub fn trust(&self, host: &str) {
        let h = host.to_ascii_lowercase();
        let known = self.trusted.read().map(|s| s.contains(&h)).unwrap_or(false);
        if !known && let Ok(mut s) = self.trusted.write() {
            s.insert(h);
        }
    }

    fn trusted(&self, host: &str) -> bool {
        self.allow_private
            || self
                .trusted
                .read()
                .map(|s| s.contains(&host.to_ascii_lowercase()))
                .unwrap_or(false)
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let open = self.trusted(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = if open {
                addrs
            } else {
                addrs.into_iter().filter(|a| !is_private(a.ip())).collect()
            };
            if kept.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to loopback, link-local or private addresses (set [http] allow_private = true if this is intended)"
                )
                .into();
                return Err(err);
            }
            let it: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(it)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn private_ranges() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "172.32.0.1", "2a00:1450::1", "100.128.0.1"] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn remote_addresses() {
        let conf = u("http://127.0.0.1:8080/feed.xml");
        assert!(check_remote(&u("http://127.0.0.1:9999/x"), &conf, false).is_ok());
        assert!(matches!(
            check_remote(&u("http://169.254.169.254/latest/"), &conf, false),
            Err(Refused::Private { .. })
        ));
        assert!(matches!(
            check_remote(&u("http://localhost/x"), &conf, false),
            Err(Refused::Private { .. })
        ));
        assert!(check_remote(&u("http://169.254.169.254/latest/"), &conf, true).is_ok());
        assert!(matches!(
            check_remote(&u("file:///etc/passwd"), &conf, true),
            Err(Refused::Scheme { .. })
        ));
        assert!(check_remote(&u("https://example.org/feed"), &conf, false).is_ok());
        assert!(same_origin(&u("http://a/x"), &u("http://a:80/y")));
        assert!(!same_origin(&u("https://a/x"), &u("http://a/x")));
        assert!(!same_origin(&u("http://a:1/x"), &u("http://a:2/x")));
    }
}
