//! A consistent-hash ring with virtual nodes: a resource uuid belongs to the first node point at
//! or after its hash, wrapping around. Adding or removing a node moves only the keys on its arcs.

use std::collections::BTreeMap;

/// Points per node. Enough that three nodes each own a third of the key space within about
/// three percent.
pub const VIRTUAL_NODES: usize = 4000;

/// FNV-1a over the bytes, then MurmurHash3's 64-bit finalizer: stable across processes and
/// releases (every node must compute the same ring), and well spread for keys that differ only
/// in their last characters (`<node uuid>0`, `<node uuid>1`, ...).
pub fn hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[derive(Debug, Clone, Default)]
pub struct HashRing {
    nodes: Vec<String>,
    /// Point → index into `nodes`.
    points: BTreeMap<u64, u16>,
}

impl HashRing {
    /// The ring over `nodes`. It depends only on the set, never on the order nodes arrived in,
    /// so every node that sees the same members computes the same owners.
    pub fn new<'a>(nodes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut nodes: Vec<String> = nodes.into_iter().map(String::from).collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes.truncate(usize::from(u16::MAX));
        let mut points = BTreeMap::new();
        for (index, node) in (0u16..).zip(&nodes) {
            for i in 0..VIRTUAL_NODES {
                // On the (rare) collision the smaller node uuid keeps the point, whatever the order.
                points.entry(hash(&format!("{node}{i}"))).or_insert(index);
            }
        }
        HashRing { nodes, points }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The nodes in ring order starting at `key`'s position, each once: the owner first, then
    /// the nodes that would own `key` if the ones before them were gone.
    pub fn walk<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> + 'a {
        let at = hash(key);
        let mut seen = vec![false; self.nodes.len()];
        self.points
            .range(at..)
            .chain(self.points.range(..at))
            .filter_map(move |(_, &index)| {
                let index = usize::from(index);
                if std::mem::replace(&mut seen[index], true) {
                    None
                } else {
                    Some(self.nodes[index].as_str())
                }
            })
    }

    /// The node that owns `key`.
    pub fn owner(&self, key: &str) -> Option<&str> {
        self.walk(key).next()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::message::new_uuid;

    fn shares(ring: &HashRing, keys: &[String]) -> HashMap<String, usize> {
        let mut owned = HashMap::new();
        for key in keys {
            *owned
                .entry(ring.owner(key).unwrap().to_string())
                .or_insert(0) += 1;
        }
        owned
    }

    /// Each node's exact fraction of the hash space.
    fn arcs(ring: &HashRing) -> Vec<f64> {
        let mut owned = vec![0f64; ring.nodes.len()];
        let mut previous = ring.points.keys().next_back().copied().unwrap_or(0);
        for (&point, &index) in &ring.points {
            owned[usize::from(index)] += point.wrapping_sub(previous) as f64;
            previous = point;
        }
        owned.iter().map(|o| o / 2f64.powi(64)).collect()
    }

    #[test]
    fn three_nodes_split_the_key_space_evenly_whatever_their_uuids() {
        for _ in 0..50 {
            let nodes = [new_uuid(), new_uuid(), new_uuid()];
            let ring = HashRing::new(nodes.iter().map(String::as_str));
            for share in arcs(&ring) {
                assert!(
                    (0.3..=0.367).contains(&share),
                    "a node owns {share} of the ring"
                );
            }
        }
    }

    #[test]
    fn three_nodes_each_own_a_third_of_3000_random_uuids_within_ten_percent() {
        // Fixed uuids: with fresh random ones a node owning a 0.30 arc falls below 900 keys
        // now and then by sampling alone, and the test would fail at random.
        let fixed = |name: String| {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes())
                .simple()
                .to_string()
        };
        let nodes = [0, 1, 2].map(|i| fixed(format!("node-{i}")));
        let ring = HashRing::new(nodes.iter().map(String::as_str));
        let keys: Vec<String> = (0..3000).map(|i| fixed(format!("key-{i}"))).collect();
        let owned = shares(&ring, &keys);
        assert_eq!(owned.len(), 3);
        for (node, owned) in owned {
            assert!((900..=1100).contains(&owned), "{node} owns {owned} of 3000");
        }
    }

    #[test]
    fn ownership_moves_only_from_the_node_that_left() {
        let nodes = [new_uuid(), new_uuid(), new_uuid()];
        let all = HashRing::new(nodes.iter().map(String::as_str));
        let two = HashRing::new(nodes[..2].iter().map(String::as_str));
        for _ in 0..2000 {
            let key = new_uuid();
            let before = all.owner(&key).unwrap();
            let after = two.owner(&key).unwrap();
            if before != nodes[2] {
                assert_eq!(before, after);
            }
        }
    }

    #[test]
    fn the_ring_depends_on_the_members_not_their_order() {
        let a = HashRing::new(["n1", "n2", "n3"]);
        let b = HashRing::new(["n3", "n1", "n2", "n1"]);
        assert_eq!(a.points, b.points);
        let walk: Vec<&str> = a.walk("some-key").collect();
        assert_eq!(walk.len(), 3);
        assert_eq!(Some(walk[0]), a.owner("some-key"));
        assert!(HashRing::new([]).owner("x").is_none());
    }
}
