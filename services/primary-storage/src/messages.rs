//! The primary storage APIs.

use zstack_header::cluster::CLUSTER;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{PRIMARY_STORAGE, PrimaryStorageInventory};

api_message! {
    /// Adds simulated local storage (the hosts' own disks) to a zone.
    pub struct APIAddLocalPrimaryStorageMsg {
        url: String => checks().max_len(2048),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        r#type: Option<String> => checks().valid_values(&["LocalStorage"]),
        zone_uuid: String => checks().resource(ZONE),
        resource_uuid: Option<String> => checks().uuid(),
        /// The simulator's declared capacity in bytes (default 1 TiB).
        total_capacity: Option<i64> => checks().range(1, i64::MAX),
    }
    route = Route::post("/primary-storage/local-storage");
    reply = InventoryReply<PrimaryStorageInventory>;
}

api_message! {
    /// Adds a simulated NFS share (`host:/path`) to a zone.
    pub struct APIAddNfsPrimaryStorageMsg {
        url: String => checks().max_len(2048),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        r#type: Option<String> => checks().valid_values(&["NFS"]),
        zone_uuid: String => checks().resource(ZONE),
        resource_uuid: Option<String> => checks().uuid(),
        /// The simulator's declared capacity in bytes (default 1 TiB).
        total_capacity: Option<i64> => checks().range(1, i64::MAX),
    }
    route = Route::post("/primary-storage/nfs");
    reply = InventoryReply<PrimaryStorageInventory>;
}

api_message! {
    /// Changes a primary storage's name, description or url.
    pub struct APIUpdatePrimaryStorageMsg {
        uuid: String => checks().resource(PRIMARY_STORAGE),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        url: Option<String> => checks().max_len(2048),
    }
    route = Route::action("/primary-storage/{uuid}/actions");
    reply = InventoryReply<PrimaryStorageInventory>;
    resource = uuid;
}

api_message! {
    /// Enables, disables or puts a primary storage into maintenance.
    pub struct APIChangePrimaryStorageStateMsg {
        uuid: String => checks().resource(PRIMARY_STORAGE),
        state_event: String => checks().valid_values(&["enable", "disable", "maintain"]),
    }
    route = Route::action("/primary-storage/{uuid}/actions");
    reply = InventoryReply<PrimaryStorageInventory>;
    resource = uuid;
}

zstack_kernel::standard_apis! {
    of PRIMARY_STORAGE, inventory PrimaryStorageInventory, path "/primary-storage";
    reconnect APIReconnectPrimaryStorageMsg;
    delete APIDeletePrimaryStorageMsg;
}

api_message! {
    /// Attaches a primary storage to a cluster of its zone.
    pub struct APIAttachPrimaryStorageToClusterMsg {
        cluster_uuid: String => checks().resource(CLUSTER),
        primary_storage_uuid: String => checks().resource(PRIMARY_STORAGE),
    }
    route = Route::post("/clusters/{clusterUuid}/primary-storage/{primaryStorageUuid}");
    reply = InventoryReply<PrimaryStorageInventory>;
    resource = primary_storage_uuid;
}

api_message! {
    /// Detaches a primary storage from a cluster.
    pub struct APIDetachPrimaryStorageFromClusterMsg {
        cluster_uuid: String => checks().resource(CLUSTER),
        primary_storage_uuid: String => checks().resource(PRIMARY_STORAGE),
    }
    route = Route::delete("/clusters/{clusterUuid}/primary-storage/{primaryStorageUuid}");
    reply = InventoryReply<PrimaryStorageInventory>;
    resource = primary_storage_uuid;
}
