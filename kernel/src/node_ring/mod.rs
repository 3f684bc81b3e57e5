//! The management nodes this node knows to be alive, which services each runs, and the ring that
//! decides who owns a resource. A plain data structure: membership (the heartbeat) writes it, the
//! bus reads it to route, and neither knows the other.

mod hash_ring;

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

pub use hash_ring::{HashRing, VIRTUAL_NODES, hash};

use crate::message::Event;

/// A live management node and the services it runs (`None`: every service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub uuid: String,
    pub services: Option<Vec<String>>,
}

impl NodeInfo {
    pub fn runs(&self, service: &str) -> bool {
        self.services
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == service))
    }
}

/// Published by a node that has joined (and again after it rejoined).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeJoined {
    pub node: NodeInfo,
}

impl Event for NodeJoined {
    const NAME: &'static str = "ManagementNodeJoinedEvent";
}

/// Published when a node has left: stopped, or declared dead by the node that fenced it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeLeft {
    pub uuid: String,
}

impl Event for NodeLeft {
    const NAME: &'static str = "ManagementNodeLeftEvent";
}

type LeaveListener = Arc<dyn Fn(&str) + Send + Sync>;

struct Members {
    nodes: BTreeMap<String, NodeInfo>,
    ring: HashRing,
}

pub struct NodeRing {
    me: NodeInfo,
    members: RwLock<Members>,
    on_leave: RwLock<Vec<LeaveListener>>,
}

impl NodeRing {
    /// A cluster that so far holds only this node.
    pub fn new(me: NodeInfo) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(me.uuid.clone(), me.clone());
        let ring = HashRing::new([me.uuid.as_str()]);
        NodeRing {
            me,
            members: RwLock::new(Members { nodes, ring }),
            on_leave: RwLock::new(Vec::new()),
        }
    }

    pub fn me(&self) -> &NodeInfo {
        &self.me
    }

    /// Adds (or updates) a member; tells whether anything changed.
    pub fn join(&self, node: NodeInfo) -> bool {
        let mut members = self.members.write().unwrap_or_else(PoisonError::into_inner);
        if members.nodes.get(&node.uuid) == Some(&node) {
            return false;
        }
        let fresh = !members.nodes.contains_key(&node.uuid);
        members.nodes.insert(node.uuid.clone(), node);
        if fresh {
            members.ring = HashRing::new(members.nodes.keys().map(String::as_str));
        }
        true
    }

    /// Removes a member and tells the leave listeners; tells whether it was a member.
    pub fn leave(&self, uuid: &str) -> bool {
        {
            let mut members = self.members.write().unwrap_or_else(PoisonError::into_inner);
            if members.nodes.remove(uuid).is_none() {
                return false;
            }
            members.ring = HashRing::new(members.nodes.keys().map(String::as_str));
        }
        let listeners = self
            .on_leave
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for listener in listeners {
            listener(uuid);
        }
        true
    }

    /// Runs `f` with the uuid of every node that leaves from now on.
    pub fn on_leave(&self, f: impl Fn(&str) + Send + Sync + 'static) {
        self.on_leave
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(f));
    }

    pub fn is_member(&self, uuid: &str) -> bool {
        self.members
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .nodes
            .contains_key(uuid)
    }

    pub fn members(&self) -> Vec<NodeInfo> {
        self.members
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .nodes
            .values()
            .cloned()
            .collect()
    }

    /// The live node that owns `key` among those running `service`: the first such node on the
    /// ring from `key`'s position.
    pub fn owner(&self, key: &str, service: &str) -> Option<String> {
        let members = self.members.read().unwrap_or_else(PoisonError::into_inner);
        members
            .ring
            .walk(key)
            .find(|uuid| members.nodes.get(*uuid).is_some_and(|n| n.runs(service)))
            .map(String::from)
    }

    /// Where a message about no particular resource goes: this node when it runs `service`,
    /// else the owner of `spread_key` among the nodes that do.
    pub fn pick(&self, service: &str, spread_key: &str) -> Option<String> {
        if self.me.runs(service) && self.is_member(&self.me.uuid) {
            return Some(self.me.uuid.clone());
        }
        self.owner(spread_key, service)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn node(uuid: &str, services: Option<&[&str]>) -> NodeInfo {
        NodeInfo {
            uuid: uuid.into(),
            services: services.map(|s| s.iter().map(|x| x.to_string()).collect()),
        }
    }

    #[test]
    fn owners_are_members_running_the_service() {
        let cluster = NodeRing::new(node("a", Some(&["zone"])));
        cluster.join(node("b", Some(&["zone", "host"])));
        cluster.join(node("c", Some(&["account"])));
        for i in 0..200 {
            let key = format!("k{i}");
            let owner = cluster.owner(&key, "zone").unwrap();
            assert!(owner == "a" || owner == "b");
            assert!(cluster.owner(&key, "account").unwrap() != "a");
        }
        assert_eq!(cluster.pick("zone", "x").as_deref(), Some("a"));
        assert_ne!(cluster.pick("account", "x").as_deref(), Some("a"));
        assert!(cluster.owner("k", "image").is_none());
    }

    #[test]
    fn leaving_tells_the_listeners_once_and_a_node_without_itself_owns_nothing() {
        let cluster = NodeRing::new(node("a", None));
        cluster.join(node("b", None));
        let left = Arc::new(Mutex::new(Vec::new()));
        let seen = left.clone();
        cluster.on_leave(move |uuid| seen.lock().unwrap().push(uuid.to_string()));
        assert!(cluster.leave("b"));
        assert!(!cluster.leave("b"));
        assert!(cluster.leave("a"));
        assert_eq!(*left.lock().unwrap(), ["b", "a"]);
        assert!(cluster.owner("k", "zone").is_none());
        assert!(cluster.pick("zone", "k").is_none());
    }
}
