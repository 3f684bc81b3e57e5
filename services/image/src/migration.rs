//! Creates the image tables and the task progress table.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, boolean, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0500_image")
        .table(
            Table::create()
                .table("image")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("url", 2048))
                .col(string_len("media_type", 64))
                .col(string_len_null("guest_os_type", 255))
                .col(string_len("architecture", 32))
                .col(string_len("platform", 64))
                .col(string_len("format", 64))
                .col(boolean("system"))
                .col(boolean("virtio"))
                .col(string_len("state", 32))
                .col(string_len("status", 32))
                .col(big_integer("size"))
                .col(big_integer("actual_size"))
                .col(string_len_null("md5_sum", 255))
                .col(string_len("type", 64))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .table(
            Table::create()
                .table("image_backup_storage_ref")
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
                .table("image_backup_storage_ref")
                .col("backup_storage_uuid"),
        )
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
