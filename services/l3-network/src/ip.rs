//! IPv4 range arithmetic and the checks of AddIpRange and AddIpRangeByNetworkCidr.

use std::net::Ipv4Addr;

use zstack_kernel::ErrorCode;
use zstack_kernel::error::argerr;

/// A range as the checks accepted it, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub prefix: u32,
}

impl Range {
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.start) & u32::from(self.netmask))
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network(), self.prefix)
    }
}

pub fn parse(field: &str, text: &str) -> Result<Ipv4Addr, ErrorCode> {
    // Ipv4Addr's parser alone accepts only dotted quads, which is what ZStack takes.
    text.parse::<Ipv4Addr>()
        .map_err(|_| argerr(format!("{field}[{text}] is not a valid IPv4 address")))
}

/// The prefix length of a netmask whose ones are contiguous.
fn prefix_of(netmask: Ipv4Addr) -> Result<u32, ErrorCode> {
    let bits = u32::from(netmask);
    let prefix = bits.leading_ones();
    if bits.checked_shl(prefix).unwrap_or(0) != 0 || prefix == 0 {
        return Err(argerr(format!(
            "netmask[{netmask}] is not a valid netmask: its one bits must come first and not be empty"
        )));
    }
    Ok(prefix)
}

fn mask_of(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
}

/// The checks of AddIpRange: syntax, order, one network, gateway in it but outside the range.
/// Without a gateway, the network's first address is the gateway.
pub fn check(
    start: &str,
    end: &str,
    netmask: &str,
    gateway: Option<&str>,
) -> Result<Range, ErrorCode> {
    let start = parse("startIp", start)?;
    let end = parse("endIp", end)?;
    let netmask = parse("netmask", netmask)?;
    let prefix = prefix_of(netmask)?;
    let mask = u32::from(netmask);
    if u32::from(start) > u32::from(end) {
        return Err(argerr(format!(
            "startIp[{start}] is after endIp[{end}]; the start of a range must not be after its end"
        )));
    }
    let network = u32::from(start) & mask;
    if u32::from(end) & mask != network {
        return Err(argerr(format!(
            "startIp[{start}] and endIp[{end}] are not in the same network under netmask[{netmask}]"
        )));
    }
    let broadcast = network | !mask;
    // /31 and /32 have no network or broadcast address to keep free.
    if prefix < 31 {
        if u32::from(start) == network {
            return Err(argerr(format!(
                "startIp[{start}] is the network address of {}/{prefix}",
                Ipv4Addr::from(network)
            )));
        }
        if u32::from(end) == broadcast {
            return Err(argerr(format!(
                "endIp[{end}] is the broadcast address of {}/{prefix}",
                Ipv4Addr::from(network)
            )));
        }
    }
    let gateway = match gateway {
        Some(text) => parse("gateway", text)?,
        None => Ipv4Addr::from(network.wrapping_add(1)),
    };
    if u32::from(gateway) & mask != network {
        return Err(argerr(format!(
            "gateway[{gateway}] is not in the network {}/{prefix} of the range",
            Ipv4Addr::from(network)
        )));
    }
    if (u32::from(start)..=u32::from(end)).contains(&u32::from(gateway)) {
        return Err(argerr(format!(
            "gateway[{gateway}] is inside the range [{start} - {end}]; it must be outside it"
        )));
    }
    Ok(Range {
        start,
        end,
        netmask,
        gateway,
        prefix,
    })
}

/// AddIpRangeByNetworkCidr: the gateway is the first usable address unless given (it must then
/// be the first or the last one), the range is the rest of the usable addresses.
pub fn from_cidr(cidr: &str, gateway: Option<&str>) -> Result<Range, ErrorCode> {
    let bad = || {
        argerr(format!(
            "networkCidr[{cidr}] is not a valid IPv4 CIDR such as 192.168.10.0/24"
        ))
    };
    let (addr, prefix) = cidr.split_once('/').ok_or_else(bad)?;
    let addr = parse("networkCidr", addr)?;
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    if !(1..=30).contains(&prefix) {
        return Err(argerr(format!(
            "networkCidr[{cidr}]: the prefix length must be between 1 and 30 to leave room for a gateway and a range"
        )));
    }
    let mask = mask_of(prefix);
    let network = u32::from(addr) & mask;
    let (first, last) = (network + 1, (network | !mask) - 1);
    let gateway = match gateway {
        Some(text) => u32::from(parse("gateway", text)?),
        None => first,
    };
    let (start, end) = if gateway == first {
        (first + 1, last)
    } else if gateway == last {
        (first, last - 1)
    } else {
        return Err(argerr(format!(
            "gateway[{}] must be the first or the last usable address of networkCidr[{cidr}]",
            Ipv4Addr::from(gateway)
        )));
    };
    check(
        &Ipv4Addr::from(start).to_string(),
        &Ipv4Addr::from(end).to_string(),
        &Ipv4Addr::from(mask).to_string(),
        Some(&Ipv4Addr::from(gateway).to_string()),
    )
}

/// Whether two ranges share an address.
pub fn overlap(a: (Ipv4Addr, Ipv4Addr), b: (Ipv4Addr, Ipv4Addr)) -> bool {
    u32::from(a.0) <= u32::from(b.1) && u32::from(b.0) <= u32::from(a.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges_leave_out_network_gateway_and_broadcast() {
        let r = from_cidr("192.168.10.0/24", None).unwrap();
        assert_eq!(r.start.to_string(), "192.168.10.2");
        assert_eq!(r.end.to_string(), "192.168.10.254");
        assert_eq!(r.gateway.to_string(), "192.168.10.1");
        assert_eq!(r.cidr(), "192.168.10.0/24");
        let r = from_cidr("10.0.0.0/30", Some("10.0.0.2")).unwrap();
        assert_eq!(
            (r.start.to_string(), r.end.to_string()),
            ("10.0.0.1".into(), "10.0.0.1".into())
        );
        assert!(from_cidr("10.0.0.0/31", None).is_err());
        assert!(from_cidr("10.0.0.0/24", Some("10.0.0.7")).is_err());
    }

    #[test]
    fn netmasks_must_be_contiguous() {
        assert!(check("10.0.0.2", "10.0.0.9", "255.0.255.0", None).is_err());
        assert!(check("10.0.0.2", "10.0.0.9", "0.0.0.0", None).is_err());
        assert_eq!(
            check("10.0.0.2", "10.0.0.9", "255.255.255.0", None)
                .unwrap()
                .prefix,
            24
        );
    }
}
