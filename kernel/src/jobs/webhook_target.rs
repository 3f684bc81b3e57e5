//! Where an `X-Web-Hook` may point, and the one HTTP client that delivers to it. A receiver is
//! refused when it is an unspecified, link-local or cloud-metadata address (a node must not be
//! turned into a probe of its own cloud), when its URL carries a user name or password, has no
//! host, or writes an address in a numeric form other than a dotted quad; `--webhook-allow`
//! restricts receivers further. Names are resolved once per connection, at delivery, and only
//! the addresses that pass these rules are connected to; redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::hostname::{Host, parse_authority};
use crate::node::NodeConfig;

/// The longest receiver URL kept (the job table's column).
pub const MAX_URL_LEN: usize = 2048;

/// Names of cloud metadata services, refused whatever they resolve to.
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
];

/// Cloud metadata addresses outside the link-local ranges (which are refused whole):
/// Alibaba Cloud, Oracle Cloud's legacy address, and AWS's IPv6 endpoint.
const METADATA_V4: &[Ipv4Addr] = &[
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(192, 0, 0, 192),
];
const METADATA_V6: &[Ipv6Addr] = &[Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)];

/// One entry of `--webhook-allow`: a network in CIDR notation (or a single address), or a host
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    Net(IpNet),
    Name(String),
}

impl AllowEntry {
    pub fn parse(text: &str) -> Result<AllowEntry, String> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(AllowEntry::Net(net.trunc()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(AllowEntry::Net(IpNet::from(ip)));
        }
        match parse_authority(text) {
            Ok(a) if a.port.is_none() => match a.host {
                Host::Name(name) => Ok(AllowEntry::Name(name)),
                Host::Ip(ip) => Ok(AllowEntry::Net(IpNet::from(ip))),
            },
            _ => Err(format!(
                "[{text}] is neither a network (10.0.0.0/8, fd00::/8), an address nor a host name"
            )),
        }
    }
}

/// The rules every receiver is checked against, at submission and again at delivery.
#[derive(Debug, Clone, Default)]
pub struct WebhookRules {
    allow: Vec<AllowEntry>,
}

impl WebhookRules {
    pub fn new(allow: Vec<AllowEntry>) -> Self {
        WebhookRules { allow }
    }

    /// Checks a receiver URL as the client wrote it; the error says why it is refused.
    pub fn check_url(&self, raw: &str) -> Result<Host, String> {
        if raw.len() > MAX_URL_LEN {
            return Err(format!("is longer than {MAX_URL_LEN} characters"));
        }
        if raw.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err("contains spaces or control characters".into());
        }
        let scheme_ok = raw
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        if !scheme_ok {
            // The node is built without TLS, so an https receiver could never be reached.
            return Err("is not an http:// URL (https receivers are not supported)".into());
        }
        let rest = &raw[7..];
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') {
            return Err("carries a user name or password".into());
        }
        let host = parse_authority(authority)
            .map_err(|why| format!("has a bad host: {why}"))?
            .host;
        // Whatever parses the URL at delivery must read the same host as checked here.
        let parsed = reqwest::Url::parse(raw).map_err(|e| format!("is not a valid URL: {e}"))?;
        let same = match (&host, parsed.host_str()) {
            (Host::Name(name), Some(h)) => h.strip_suffix('.').unwrap_or(h) == name,
            (Host::Ip(ip), Some(h)) => {
                let literal = h.trim_start_matches('[').trim_end_matches(']');
                literal.parse::<IpAddr>().is_ok_and(|other| other == *ip)
            }
            _ => false,
        };
        if !same {
            return Err("has a host that URL parsers read differently".into());
        }
        self.check_host(&host)?;
        Ok(host)
    }

    /// [`check_url`](Self::check_url), and when only networks could allow a host name, that it
    /// resolves into one of them.
    pub async fn check_submission(&self, raw: &str) -> Result<(), String> {
        let host = self.check_url(raw)?;
        if let Host::Name(name) = &host
            && !self.allow.is_empty()
            && !self.allows_name(name)
        {
            let resolved = tokio::time::timeout(Duration::from_secs(5), resolve(self, name))
                .await
                .unwrap_or_else(|_| Err(format!("resolving [{name}] took too long")))?;
            if resolved.is_empty() {
                return Err(format!("has a host [{name}] that resolves to no address"));
            }
        }
        Ok(())
    }

    fn check_host(&self, host: &Host) -> Result<(), String> {
        match host {
            Host::Name(name) if METADATA_NAMES.contains(&name.as_str()) => {
                return Err(format!("names a cloud metadata service [{name}]"));
            }
            Host::Name(_) => {}
            Host::Ip(ip) => {
                if let Some(why) = refused_ip(*ip) {
                    return Err(format!("has a host {ip} that is {why}"));
                }
            }
        }
        if self.allow.is_empty() {
            return Ok(());
        }
        let allowed = match host {
            // A name not listed may still resolve into a listed network.
            Host::Name(name) => self.allows_name(name) || self.has_networks(),
            Host::Ip(ip) => self.in_allowed_net(*ip),
        };
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "has a host {host} that --webhook-allow does not list"
            ))
        }
    }

    fn allows_name(&self, name: &str) -> bool {
        self.allow
            .iter()
            .any(|e| matches!(e, AllowEntry::Name(n) if n == name))
    }

    fn has_networks(&self) -> bool {
        self.allow.iter().any(|e| matches!(e, AllowEntry::Net(_)))
    }

    fn in_allowed_net(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allow
            .iter()
            .any(|e| matches!(e, AllowEntry::Net(net) if net.contains(&ip)))
    }

    /// Whether `addr`, one address `name` resolved to, may be connected to.
    fn address_ok(&self, name: &str, addr: IpAddr) -> bool {
        refused_ip(addr).is_none()
            && (self.allow.is_empty() || self.allows_name(name) || self.in_allowed_net(addr))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Why no receiver may be at `ip`, if none may.
pub fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // NAT64's well-known prefix carries an IPv4 address.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return refused_v4(Ipv4Addr::new(a, b, c, d));
            }
            if v6.is_unspecified() {
                Some("unspecified")
            } else if METADATA_V6.contains(&v6) {
                Some("a cloud metadata address")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local (fe80::/10)")
            } else if s[..6] == [0; 6] && !v6.is_loopback() {
                Some("an IPv4-compatible IPv6 address (deprecated)")
            } else if v6.is_multicast() {
                Some("not a unicast address")
            } else {
                None
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip.octets()[0] == 0 {
        Some("unspecified (0.0.0.0/8)")
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) || METADATA_V4.contains(&ip) {
        Some("a cloud metadata address")
    } else if ip.is_link_local() {
        Some("link-local (169.254.0.0/16)")
    } else if ip.is_broadcast() || ip.is_multicast() {
        Some("not a unicast address")
    } else {
        None
    }
}

/// Resolves `name` and keeps the addresses the rules allow; an error when none is left.
async fn resolve(rules: &WebhookRules, name: &str) -> Result<Vec<SocketAddr>, String> {
    if METADATA_NAMES.contains(&name.trim_end_matches('.').to_ascii_lowercase().as_str()) {
        return Err(format!("[{name}] names a cloud metadata service"));
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
        .await
        .map_err(|e| format!("cannot resolve [{name}]: {e}"))?
        .collect();
    let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
        .into_iter()
        .partition(|a| rules.address_ok(name, a.ip()));
    if allowed.is_empty() && !refused.is_empty() {
        let refused: Vec<String> = refused.iter().map(|a| a.ip().to_string()).collect();
        return Err(format!(
            "has a host [{name}] that resolves only to refused addresses ({})",
            refused.join(", ")
        ));
    }
    Ok(allowed)
}

/// The resolver of the delivering client: the addresses it hands over are the ones checked.
struct CheckedResolver {
    rules: Arc<WebhookRules>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = self.rules.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve(&rules, &name).await?;
            if addrs.is_empty() {
                return Err(format!("[{name}] resolves to no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The client webhooks are delivered with, and the rules it re-checks each URL against.
#[derive(Clone)]
pub struct WebhookClient {
    /// `None` when no client could be built: every delivery then fails (and says so).
    pub http: Option<reqwest::Client>,
    pub rules: Arc<WebhookRules>,
}

/// The one way to build a webhook client: no redirects, no proxies from the environment (they
/// would connect to the receiver by name, past the checks), names resolved by the checking
/// resolver.
pub fn client(config: &NodeConfig) -> WebhookClient {
    let rules = Arc::new(WebhookRules::new(config.webhook_allow.clone()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver {
            rules: rules.clone(),
        }))
        .build()
        .inspect_err(|e| tracing::error!(error = %e, "cannot build the webhook client"))
        .ok();
    WebhookClient { http, rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(rules: &WebhookRules, url: &str) -> bool {
        rules.check_url(url).is_err()
    }

    #[test]
    fn refuses_what_could_reach_the_node_or_its_cloud() {
        let rules = WebhookRules::default();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://169.254.1.1/",
            "http://0.0.0.0:8080/",
            "http://0.1.2.3/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://user:pw@example.com/",
            "http://user@127.0.0.1/",
            "http:///nohost",
            "http://[::]/",
            "http://[fe80::1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://[::a9fe:a9fe]/",
            "http://100.100.100.200/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./",
            "http://%31%32%37.0.0.1/",
            "http://ex%61mple.com/",
            "http://１２７.０.０.１/",
            "http:\\\\127.0.0.1/",
            "https://example.com/",
            "ftp://example.com/",
            "http://example.com /",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
        ] {
            assert!(refused(&rules, url), "{url}");
        }
        assert!(refused(
            &rules,
            &format!("http://example.com/{}", "a".repeat(MAX_URL_LEN))
        ));
    }

    #[test]
    fn loopback_and_ordinary_receivers_pass() {
        let rules = WebhookRules::default();
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost:8080/hook?x=1#f",
            "http://[::1]:8080/",
            "http://10.0.0.1/",
            "http://hooks.example.com/a/b",
            "HTTP://Example.COM/",
        ] {
            assert!(
                rules.check_url(url).is_ok(),
                "{url}: {:?}",
                rules.check_url(url)
            );
        }
    }

    #[test]
    fn the_allow_list_restricts_further() {
        let rules = WebhookRules::new(vec![
            AllowEntry::parse("10.0.0.0/8").unwrap(),
            AllowEntry::parse("hooks.example.com").unwrap(),
        ]);
        assert!(rules.check_url("http://10.1.2.3/").is_ok());
        assert!(rules.check_url("http://hooks.example.com/").is_ok());
        assert!(refused(&rules, "http://127.0.0.1/"));
        assert!(refused(&rules, "http://[::1]/"));
        // A listed network never lets a refused address through.
        let wide = WebhookRules::new(vec![AllowEntry::parse("169.254.0.0/16").unwrap()]);
        assert!(refused(&wide, "http://169.254.169.254/"));
        let names = WebhookRules::new(vec![AllowEntry::parse("hooks.example.com").unwrap()]);
        assert!(refused(&names, "http://other.example.com/"));
        assert!(refused(&names, "http://10.0.0.1/"));
    }

    #[test]
    fn allow_entries_parse() {
        assert!(AllowEntry::parse("10.0.0.0/8").is_ok());
        assert!(AllowEntry::parse("fd00::/8").is_ok());
        assert!(AllowEntry::parse("127.0.0.1").is_ok());
        assert_eq!(
            AllowEntry::parse(" Hooks.Example.com ").unwrap(),
            AllowEntry::Name("hooks.example.com".into())
        );
        assert!(AllowEntry::parse("10.0.0.0/33").is_err());
        assert!(AllowEntry::parse("http://x/").is_err());
        assert!(AllowEntry::parse("").is_err());
    }

    #[actix_web::test]
    async fn the_resolver_hands_over_only_checked_addresses() {
        // `localhost` resolves to loopback: allowed by default, refused when only 10/8 may be.
        let open = WebhookRules::default();
        let addrs = resolve(&open, "localhost").await.unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        let only_ten = WebhookRules::new(vec![AllowEntry::parse("10.0.0.0/8").unwrap()]);
        let err = resolve(&only_ten, "localhost").await.unwrap_err();
        assert!(err.contains("refused addresses"), "{err}");
        assert!(
            only_ten
                .check_submission("http://localhost/")
                .await
                .is_err()
        );
        assert!(resolve(&open, "metadata.google.internal").await.is_err());
    }

    #[test]
    fn resolved_addresses_are_checked_like_literals() {
        let open = WebhookRules::default();
        assert!(!open.address_ok("evil.example", "169.254.169.254".parse().unwrap()));
        assert!(!open.address_ok("evil.example", "0.0.0.0".parse().unwrap()));
        assert!(!open.address_ok("evil.example", "fe80::1".parse().unwrap()));
        assert!(!open.address_ok("evil.example", "::ffff:169.254.169.254".parse().unwrap()));
        assert!(open.address_ok("evil.example", "127.0.0.1".parse().unwrap()));
        let listed = WebhookRules::new(vec![AllowEntry::parse("hooks.example.com").unwrap()]);
        assert!(listed.address_ok("hooks.example.com", "192.0.2.1".parse().unwrap()));
        assert!(!listed.address_ok("hooks.example.com", "169.254.169.254".parse().unwrap()));
        assert!(!listed.address_ok("other.example", "192.0.2.1".parse().unwrap()));
    }
}
