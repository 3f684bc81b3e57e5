//! The license each node runs under, kept in memory: read from the database at start, on
//! UpdateLicense (the node that stored it) and on ReloadLicense (the nodes named), and read by
//! every API call the pipeline checks.

use std::sync::{Arc, PoisonError, RwLock};

use ed25519_dalek::VerifyingKey;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use zstack_kernel::ApiResult;
use zstack_kernel::message::Event;

use crate::document::{LicensePayload, verify};
use crate::entity::{Column, Entity as StoredLicense};

/// A license that passed verification.
#[derive(Debug, Clone)]
pub struct Installed {
    pub payload: LicensePayload,
}

pub struct LicenseState {
    /// The issuer this node trusts.
    pub key: VerifyingKey,
    /// `None`: no license, the node runs as Free.
    current: RwLock<Option<Arc<Installed>>>,
}

impl LicenseState {
    pub fn new(key: VerifyingKey) -> Self {
        LicenseState {
            key,
            current: RwLock::new(None),
        }
    }

    pub fn current(&self) -> Option<Arc<Installed>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set(&self, installed: Option<Arc<Installed>>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = installed;
    }

    /// Reads the stored license again and runs under it from now on.
    pub async fn reload(&self, db: &DatabaseConnection) -> ApiResult<Option<Arc<Installed>>> {
        let installed = self.read_stored(db).await?;
        self.set(installed.clone());
        Ok(installed)
    }

    /// The stored license, verified by this node. One that does not verify (written around the
    /// API, or signed by an issuer this node does not trust) counts as none, loudly.
    pub(crate) async fn read_stored(
        &self,
        db: &DatabaseConnection,
    ) -> ApiResult<Option<Arc<Installed>>> {
        let Some(row) = StoredLicense::find()
            .order_by_desc(Column::UploadDate)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        match verify(&row.license, &self.key) {
            Ok(payload) => Ok(Some(Arc::new(Installed { payload }))),
            Err(why) => {
                tracing::warn!(
                    license = %row.uuid,
                    why,
                    "the stored license does not verify on this node; running as Free"
                );
                Ok(None)
            }
        }
    }
}

/// Tells nodes to read the stored license again: those named, or all when none is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseReloadEvent {
    /// The node that published it (and has reloaded already).
    pub from: String,
    pub management_node_uuids: Vec<String>,
}

impl Event for LicenseReloadEvent {
    const NAME: &'static str = "LicenseReloadEvent";
}

impl LicenseReloadEvent {
    pub fn names(&self, node: &str) -> bool {
        self.management_node_uuids.is_empty()
            || self.management_node_uuids.iter().any(|n| n == node)
    }
}
