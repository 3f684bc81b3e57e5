//! The one grammar for a host with an optional port, as a client writes it (`Host` header, the
//! authority of an `X-Web-Hook` URL): a DNS name, a canonical dotted quad or a bracketed IPv6
//! literal. It is checked on the raw text, because URL parsers rewrite what they accept
//! (`2130706433`, `0x7f000001` and `0177.0.0.1` all become `127.0.0.1`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
    Name(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub host: Host,
    pub port: Option<u16>,
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// Parses `host[:port]`; the error says what is wrong with it.
pub fn parse_authority(raw: &str) -> Result<Authority, String> {
    if raw.is_empty() {
        return Err("the host is empty".into());
    }
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (literal, after) = rest
            .split_once(']')
            .ok_or("an IPv6 literal lacks its closing ']'")?;
        // No zone ids (`fe80::1%eth0`): the standard parser refuses them.
        let ip: Ipv6Addr = literal
            .parse()
            .map_err(|_| format!("[{literal}] is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("only a port may follow an IPv6 literal")?,
            ),
        };
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = match raw.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (raw, None),
        };
        (parse_host(host)?, port)
    };
    let port = match port {
        None => None,
        Some(p) => Some(parse_port(p)?),
    };
    Ok(Authority { host, port })
}

fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the port [{text}] is not a number"));
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("the port [{text}] is out of range")),
    }
}

/// A host without brackets or port: a canonical dotted quad or a DNS name.
fn parse_host(text: &str) -> Result<Host, String> {
    if text.is_empty() {
        return Err("the host is empty".into());
    }
    if looks_numeric(text) {
        return canonical_ipv4(text)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or_else(|| {
                format!(
                    "the host [{text}] is a numeric form other than a dotted quad like 10.0.0.1"
                )
            });
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    let well_formed = name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !well_formed {
        return Err(format!(
            "the host [{text}] is not a DNS name (letters, digits, '-' and '_' in dot-separated labels; write other names in punycode)"
        ));
    }
    Ok(Host::Name(name.to_ascii_lowercase()))
}

/// What URL parsers read as an IPv4 address: the last label (before an optional trailing dot)
/// is decimal digits or `0x` hex.
fn looks_numeric(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    let last = text.rsplit('.').next().unwrap_or(text);
    if last.is_empty() {
        return false;
    }
    if let Some(hex) = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
        return hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    last.bytes().all(|b| b.is_ascii_digit())
}

/// `a.b.c.d` with each part 0-255 in decimal without leading zeros; nothing else.
fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(parts) {
        let canonical = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        if !canonical {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_quads_and_literals_with_ports() {
        let ok = |raw: &str| parse_authority(raw).map(|a| a.to_string());
        assert_eq!(ok("Example.COM").unwrap(), "example.com");
        assert_eq!(ok("example.com.:8080").unwrap(), "example.com:8080");
        assert_eq!(ok("10.0.0.1:80").unwrap(), "10.0.0.1:80");
        assert_eq!(ok("[::1]:8080").unwrap(), "[::1]:8080");
        assert_eq!(ok("[0:0::1]").unwrap(), "[::1]");
        assert_eq!(ok("my_host-1").unwrap(), "my_host-1");
        assert_eq!(ok("1host.example").unwrap(), "1host.example");
    }

    #[test]
    fn refuses_numeric_forms_other_than_dotted_quads() {
        for raw in [
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "127.0.0.1.",
            "127.000.0.1",
            "256.0.0.1",
            "1.2.3.4.5",
            "example.0x10",
            "example.123",
        ] {
            assert!(parse_authority(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn refuses_garbage() {
        for raw in [
            "",
            ":80",
            "a/b",
            "a b",
            "evil.com/path",
            "javascript:alert(1)",
            "user@host",
            "h:0",
            "h:99999",
            "h:8o",
            "[::1",
            "[::1]x",
            "[fe80::1%eth0]",
            "-bad.example",
            "a..b",
            "ex%61mple.com",
            "exämple.com",
        ] {
            assert!(parse_authority(raw).is_err(), "{raw}");
        }
    }
}
