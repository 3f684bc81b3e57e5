//! The image table, its backup-storage copies, the download progress rows, and the image
//! inventory (`ImageInventory`).

use serde::{Deserialize, Serialize};
pub use zstack_header::image::IMAGE;
use zstack_kernel::api::Inventory;
use zstack_kernel::query::QueryMeta;
use zstack_kernel::resource::Link;
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "image" for IMAGE;
    query APIQueryImageMsg "/images" as "image";
    inventory Model = "org.zstack.header.image.ImageInventory";
    migration "m0500_image";
    remove crate::handlers::remove;
    extend copies;
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        url: String [2048],
        media_type: String [64],
        #[serde(skip_serializing_if = "Option::is_none")]
        guest_os_type: Option<String> [255],
        architecture: String [32],
        platform: String [64],
        format: String [64],
        system: bool,
        virtio: bool,
        /// Enabled or Disabled.
        state: String [32],
        /// Downloading, Ready or Deleted.
        status: String [32],
        size: i64,
        actual_size: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        md5_sum: Option<String> [255],
        r#type: String [64],
    }
}

/// The image table, its backup-storage copies and the task progress rows.
pub fn migration() -> CreateTables {
    use sea_orm_migration::prelude::{Index, Table};
    use sea_orm_migration::schema::{big_integer, string_len, timestamp_with_time_zone};
    declared::migration()
        .table(
            Table::create()
                .table(backup_storage_ref::TABLE)
                .col(string_len("image_uuid", 32))
                .col(string_len("backup_storage_uuid", 32))
                .col(string_len("install_path", 2048))
                .col(string_len("status", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date"))
                .primary_key(Index::create().col("image_uuid").col("backup_storage_uuid")),
        )
        .index(
            Index::create()
                .name("idx_image_backup_storage_ref_bs_uuid")
                .table(backup_storage_ref::TABLE)
                .col("backup_storage_uuid"),
        )
        // Progress before the task-progress service; nothing writes it any more.
        .table(
            Table::create()
                .table("task_progress")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("api_id", 64))
                .col(string_len("task_name", 255))
                .col(string_len("task_uuid", 32))
                .col(string_len("content", 2048))
                .col(string_len("type", 32))
                .col(big_integer("time"))
                .col(timestamp_with_time_zone("create_date")),
        )
        .index(
            Index::create()
                .name("idx_task_progress_api_id")
                .table("task_progress")
                .col("api_id"),
        )
}

/// Which backup storage holds a copy of an image: the copies' cleanup, and the way from a
/// backup storage to its images in queries.
pub const COPIES: Link = Link {
    table: backup_storage_ref::TABLE,
    from: ("image_uuid", "image"),
    to: ("backup_storage_uuid", "backup storage"),
};

/// The copies in queries: `backupStorageRefs`, and `image.backupStorage`.
fn copies(meta: QueryMeta) -> QueryMeta {
    use zstack_kernel::query::FieldKind::{Date, Str};
    let (table, from, to) = (COPIES.table, COPIES.from.0, COPIES.to.0);
    meta.rows(
        "backupStorageRefs",
        table,
        from,
        &[
            ("imageUuid", Str),
            ("backupStorageUuid", Str),
            ("installPath", Str),
            ("status", Str),
            ("createDate", Date),
            ("lastOpDate", Date),
        ],
        "create_date",
    )
    .list_class(
        "backupStorageRefs",
        "org.zstack.header.image.ImageBackupStorageRefInventory",
    )
    .relation_via(
        "backupStorage",
        "backupStorage",
        "uuid",
        (table, from, to),
        "uuid",
    )
}

/// An image with its backup-storage copies, as the AddImage reply carries it (queries return
/// the image columns alone).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInventory {
    #[serde(flatten)]
    pub image: Model,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_storage_refs: Option<Vec<backup_storage_ref::Model>>,
}

impl From<Model> for ImageInventory {
    fn from(image: Model) -> Self {
        ImageInventory {
            image,
            backup_storage_refs: None,
        }
    }
}

impl Inventory for ImageInventory {
    const CLASS: &'static str = "org.zstack.header.image.ImageInventory";
    const VO_NAME: Option<&'static str> = Some("ImageVO");
}

/// A copy of an image on one backup storage (`ImageBackupStorageRefVO`).
pub mod backup_storage_ref {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    pub const TABLE: &str = "image_backup_storage_ref";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "image_backup_storage_ref")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub image_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub backup_storage_uuid: String,
        pub install_path: String,
        /// Downloading or Ready.
        pub status: String,
        #[serde(with = "zstack_kernel::time")]
        pub create_date: DateTime<Utc>,
        #[serde(with = "zstack_kernel::time")]
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    /// Replies cross nodes as JSON: the flattened inventory must read back what it wrote.
    #[test]
    fn an_image_inventory_with_its_copies_reads_back() {
        // Inventory dates carry whole seconds.
        let at = DateTime::from_timestamp(1_700_000_000, 0).expect("a date");
        let image = Model {
            uuid: "a".repeat(32),
            name: "img".into(),
            description: None,
            url: "http://x/a.qcow2".into(),
            media_type: "RootVolumeTemplate".into(),
            guest_os_type: None,
            architecture: "x86_64".into(),
            platform: "Linux".into(),
            format: "qcow2".into(),
            system: false,
            virtio: true,
            state: "Enabled".into(),
            status: "Ready".into(),
            size: 1 << 30,
            actual_size: 1 << 30,
            md5_sum: Some("b".repeat(32)),
            r#type: "zstack".into(),
            create_date: at,
            last_op_date: at,
        };
        let copy = backup_storage_ref::Model {
            image_uuid: image.uuid.clone(),
            backup_storage_uuid: "c".repeat(32),
            install_path: "/bs/images/a.qcow2".into(),
            status: "Ready".into(),
            create_date: at,
            last_op_date: at,
        };
        let inv = ImageInventory {
            image: image.clone(),
            backup_storage_refs: Some(vec![copy.clone()]),
        };
        let json = serde_json::to_value(&inv).expect("serializes");
        assert_eq!(json["md5Sum"], "b".repeat(32));
        assert_eq!(
            json["backupStorageRefs"][0]["installPath"],
            "/bs/images/a.qcow2"
        );
        assert!(json.get("description").is_none());
        let back: ImageInventory = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back.image, image);
        assert_eq!(back.backup_storage_refs, Some(vec![copy]));
    }
}

/// Records, on their simulated storage, the bits of the copies made before storage kept files:
/// deleting them gives their capacity back like any other.
pub struct RecordBits;

mod record_bits {
    use sea_orm_migration::prelude::*;

    use super::{RecordBits, backup_storage_ref};

    impl MigrationName for RecordBits {
        fn name(&self) -> &str {
            "m0510_image_bits"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for RecordBits {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let copies = Alias::new(backup_storage_ref::TABLE);
            let image = Alias::new("image");
            let select = Query::select()
                .column((copies.clone(), Alias::new("backup_storage_uuid")))
                .column((copies.clone(), Alias::new("install_path")))
                .column((image.clone(), Alias::new("actual_size")))
                .column((copies.clone(), Alias::new("create_date")))
                .from(copies.clone())
                .inner_join(
                    image.clone(),
                    Expr::col((image.clone(), Alias::new("uuid")))
                        .equals((copies.clone(), Alias::new("image_uuid"))),
                )
                .and_where(Expr::col((copies, Alias::new("status"))).eq("Ready"))
                .to_owned();
            let insert = Query::insert()
                .into_table(Alias::new(zstack_kernel::simulator::FILE_TABLE))
                .columns([
                    Alias::new("storage_uuid"),
                    Alias::new("path"),
                    Alias::new("size"),
                    Alias::new("create_date"),
                ])
                .select_from(select)
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned();
            manager.get_connection().execute(&insert).await?;
            Ok(())
        }

        async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
            Ok(())
        }
    }
}
