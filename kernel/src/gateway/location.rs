//! The URL a job is polled at (the 202's `location`). Clients follow it, so it is built only from
//! what the node can vouch for: `--public-url` when set; else `http://` and the `Host` header
//! when that is a well-formed host with an optional port, or the node's own host and port.
//! Forwarding headers (`Forwarded`, `X-Forwarded-Host`, `X-Forwarded-Proto`) count only with
//! `--trust-forwarded`, and then only when well-formed.

use actix_web::HttpRequest;

use crate::hostname::{Authority, parse_authority};
use crate::node::NodeConfig;

pub struct Locator {
    /// `--public-url` without a trailing `/`.
    public_url: Option<String>,
    trust_forwarded: bool,
    /// The node's own host and port.
    fallback: String,
}

impl Locator {
    pub fn new(config: &NodeConfig) -> Self {
        let fallback = match parse_authority(&config.host_name) {
            Ok(Authority { host, .. }) => Authority {
                host,
                port: Some(config.port),
            }
            .to_string(),
            // `--host-name ::1`: an IPv6 address written without brackets.
            Err(_) => match config.host_name.parse::<std::net::Ipv6Addr>() {
                Ok(ip) => format!("[{ip}]:{}", config.port),
                Err(_) => format!("127.0.0.1:{}", config.port),
            },
        };
        Locator {
            public_url: config
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            trust_forwarded: config.trust_forwarded,
            fallback,
        }
    }

    pub fn job(&self, req: &HttpRequest, job_uuid: &str) -> String {
        let path = format!("/zstack/v1/api-jobs/{job_uuid}");
        if let Some(public) = &self.public_url {
            return format!("{public}{path}");
        }
        let (mut scheme, mut host) = ("http", None);
        if self.trust_forwarded {
            let (proto, forwarded_host) = forwarded(req);
            if let Some(proto) = proto {
                scheme = proto;
            }
            host = forwarded_host;
        }
        let host = host
            .or_else(|| header(req, "Host").and_then(well_formed))
            .unwrap_or_else(|| self.fallback.clone());
        format!("{scheme}://{host}{path}")
    }
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    // A repeated header is ambiguous: none of its values is used.
    let mut values = req.headers().get_all(name);
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

fn well_formed(authority: &str) -> Option<String> {
    parse_authority(authority.trim())
        .ok()
        .map(|a| a.to_string())
}

fn scheme(proto: &str) -> Option<&'static str> {
    match proto.trim().to_ascii_lowercase().as_str() {
        "http" => Some("http"),
        "https" => Some("https"),
        _ => None,
    }
}

/// The scheme and host forwarded by a proxy, each when well-formed: `Forwarded` (its first
/// element, the one the first proxy added), else `X-Forwarded-Proto` / `X-Forwarded-Host`.
fn forwarded(req: &HttpRequest) -> (Option<&'static str>, Option<String>) {
    if let Some(value) = header(req, "Forwarded") {
        let first = value.split(',').next().unwrap_or_default();
        let (mut proto, mut host) = (None, None);
        for pair in first.split(';') {
            let Some((key, v)) = pair.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "proto" => proto = scheme(v),
                "host" => host = well_formed(v),
                _ => {}
            }
        }
        if proto.is_some() || host.is_some() {
            return (proto, host);
        }
    }
    let first = |name| header(req, name).map(|v| v.split(',').next().unwrap_or_default());
    (
        first("X-Forwarded-Proto").and_then(scheme),
        first("X-Forwarded-Host").and_then(well_formed),
    )
}

/// Checks `--public-url`: an http or https URL with a host, and neither user, query nor fragment;
/// the URL to use, without a trailing `/`.
pub fn check_public_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("[{text}] is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("[{text}] is not an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(|h| parse_authority(h).is_err()) {
        return Err(format!("[{text}] has no well-formed host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("[{text}] carries a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("[{text}] has a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls() {
        assert_eq!(
            check_public_url("https://zstack.example.com/").unwrap(),
            "https://zstack.example.com"
        );
        assert_eq!(
            check_public_url("http://10.0.0.1:8080/api/").unwrap(),
            "http://10.0.0.1:8080/api"
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x/",
            "http://u:p@x/",
            "http://x/?a=1",
            "x.example.com",
        ] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
    }
}
