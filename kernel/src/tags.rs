//! The tag contract: the `systemTags` and `userTags` of a create request travel to the create in
//! [`SYSTEM_TAGS_HEADER`] / [`USER_TAGS_HEADER`] (the tag service checks them in the API pipeline
//! and writes them in the create's transaction), and a service tags its own resources with
//! [`AttachTagsMsg`]. Services declare the system tags
//! their resources accept as patterns (`reservedMemory::{size}` on `HostVO`).

use crate::api::EmptyReply;
use crate::message::Message;

/// The headers that carry a create request's `systemTags` and `userTags` (JSON lists) to the
/// create, which writes them in its own transaction.
pub const SYSTEM_TAGS_HEADER: &str = "systemTags";
pub const USER_TAGS_HEADER: &str = "userTags";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachTagsMsg {
    pub resource_type: String,
    pub resource_uuid: String,
    pub system_tags: Vec<String>,
    pub user_tags: Vec<String>,
    /// System tags a service puts on its own resources (capabilities); users cannot delete
    /// them.
    #[serde(default)]
    pub inherent: bool,
}

impl Message for AttachTagsMsg {
    const NAME: &'static str = "AttachTagsMsg";
    type Reply = EmptyReply;
}

/// The system tags of `resource_type` resources that start with `prefix`, for the services that
/// act on their own tags (a host's `reservedMemory::{size}`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSystemTagsMsg {
    pub resource_type: String,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTag {
    pub resource_uuid: String,
    pub tag: String,
}

impl Message for ListSystemTagsMsg {
    const NAME: &'static str = "ListSystemTagsMsg";
    type Reply = Vec<ResourceTag>;
}

/// A system tag a resource type accepts: `{name}` stands for any non-empty token without `::`.
#[derive(Debug, Clone)]
pub struct TagPattern {
    pub resource_type: &'static str,
    pub pattern: &'static str,
}

impl TagPattern {
    pub fn matches(&self, tag: &str) -> bool {
        let want: Vec<&str> = self.pattern.split("::").collect();
        let got: Vec<&str> = tag.split("::").collect();
        want.len() == got.len()
            && want.iter().zip(&got).all(|(w, g)| {
                if w.starts_with('{') && w.ends_with('}') {
                    !g.is_empty()
                } else {
                    w == g
                }
            })
    }
}

/// Every system tag pattern the services declared.
#[derive(Default)]
pub struct TagPatterns {
    patterns: crate::frozen::Frozen<Vec<TagPattern>>,
}

impl TagPatterns {
    pub fn add(&self, resource_type: &'static str, pattern: &'static str) {
        self.patterns.write(|patterns| {
            patterns.push(TagPattern {
                resource_type,
                pattern,
            })
        });
    }

    pub fn freeze(&self) {
        self.patterns.freeze();
    }

    /// The pattern `tag` matches for `resource_type`, if any.
    pub fn find(&self, resource_type: &str, tag: &str) -> Option<TagPattern> {
        self.patterns.read(|patterns| {
            patterns
                .iter()
                .find(|p| p.resource_type == resource_type && p.matches(tag))
                .cloned()
        })
    }

    /// The patterns of `resource_type`, to tell a user what is accepted.
    pub fn of(&self, resource_type: &str) -> Vec<&'static str> {
        self.patterns.read(|patterns| {
            patterns
                .iter()
                .filter(|p| p.resource_type == resource_type)
                .map(|p| p.pattern)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_token_for_token() {
        let p = TagPattern {
            resource_type: "HostVO",
            pattern: "reservedMemory::{size}",
        };
        assert!(p.matches("reservedMemory::1G"));
        assert!(!p.matches("reservedMemory::"));
        assert!(!p.matches("reservedMemory::1G::x"));
        assert!(!p.matches("reservedCpu::1"));
    }
}
