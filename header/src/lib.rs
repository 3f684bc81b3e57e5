//! Each resource family's contract, apart from its implementation (ZStack's `header/` against
//! `plugin/`): the `ResourceRef` other families name in their checks, the messages they send
//! it, and the types those messages answer. A family crate depends on this crate, never on
//! another family's crate, so a family that talks to many others links none of them.
//!
//! Types here cross nodes as JSON: their names and field names are the wire.

pub mod account;
pub mod backup_storage;
pub mod cluster;
pub mod disk_offering;
pub mod host;
pub mod image;
pub mod instance_offering;
pub mod l2_network;
pub mod l3_network;
pub mod longjob;
pub mod notification;
pub mod primary_storage;
pub mod simulator;
pub mod vm_instance;
pub mod volume;
pub mod zone;
