//! The VM table and its NICs; the rows are the inventories (`VmInstanceInventory`,
//! `VmNicInventory`). A VM's query answer lists its NICs (`vmNics`) and volumes (`allVolumes`).

pub use zstack_header::vm_instance::{VM_INSTANCE, VM_NIC};
use zstack_header::volume::VOLUME_FIELDS;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "vm_instance" for VM_INSTANCE;
    query APIQueryVmInstanceMsg "/vm-instances" as "vmInstance";
    inventory Model = "org.zstack.header.vm.VmInstanceInventory";
    migration "m0900_vm_instance";
    extend lists;
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        zone_uuid: String [32] => "zone",
        #[serde(skip_serializing_if = "Option::is_none")]
        cluster_uuid: Option<String> [32] => "cluster",
        image_uuid: String [32] => "image",
        #[serde(skip_serializing_if = "Option::is_none")]
        host_uuid: Option<String> [32] => "host",
        #[serde(skip_serializing_if = "Option::is_none")]
        last_host_uuid: Option<String> [32],
        #[serde(skip_serializing_if = "Option::is_none")]
        instance_offering_uuid: Option<String> [32] => "instanceOffering",
        #[serde(skip_serializing_if = "Option::is_none")]
        root_volume_uuid: Option<String> [32],
        platform: String [64],
        architecture: String [32],
        #[serde(skip_serializing_if = "Option::is_none")]
        default_l3_network_uuid: Option<String> [32],
        r#type: String [64],
        hypervisor_type: String [32],
        memory_size: i64,
        reserved_memory_size: i64,
        cpu_num: i64,
        cpu_speed: i64,
        allocator_strategy: String [64],
        /// Created, Starting, Running, Stopping, Stopped, Destroyed, ...
        state: String [32],
    }
}

/// The VM table and the NIC table.
pub fn migration() -> CreateTables {
    declared::migration().and(nic::migration())
}

/// `vmNics` and `allVolumes`: list fields and relations of a VM.
fn lists(meta: QueryMeta) -> QueryMeta {
    let nic_fields: Vec<(&'static str, FieldKind)> = <nic::Entity as Queryable>::meta()
        .fields
        .iter()
        .map(|f| (f.name, f.kind))
        .collect();
    meta.relation("vmNics", "vmNic", "uuid", "vmInstanceUuid")
        .relation("allVolumes", "volume", "uuid", "vmInstanceUuid")
        .rows(
            "vmNics",
            VM_NIC.table,
            "vm_instance_uuid",
            &nic_fields,
            "device_id",
        )
        .rows(
            "allVolumes",
            zstack_header::volume::VOLUME.table,
            "vm_instance_uuid",
            VOLUME_FIELDS,
            "device_id",
        )
        .list_class("vmNics", "org.zstack.header.vm.VmNicInventory")
        .list_class("allVolumes", "org.zstack.header.volume.VolumeInventory")
}

/// A VM's NICs (`VmNicInventory`), created with the VMs in m0900_vm_instance.
pub mod nic {
    pub use zstack_header::vm_instance::VM_NIC;

    zstack_kernel::resource_table! {
        table "vm_nic" for VM_NIC;
        query APIQueryVmNicMsg "/vm-instances/nics" as "vmNic";
        inventory Model = "org.zstack.header.vm.VmNicInventory";
        migration "m0900_vm_instance";
        columns {
            vm_instance_uuid: String [32] => "vmInstance",
            l3_network_uuid: String [32] => "l3Network",
            ip: String [64],
            /// Unique: two NICs never share a MAC.
            mac: String [17, unique],
            netmask: String [64],
            gateway: String [64],
            ip_version: i64,
            hypervisor_type: String [32],
            device_id: i64,
            internal_name: String [64],
            driver_type: String [32],
            r#type: String [32],
        }
    }
}
