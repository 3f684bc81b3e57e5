//! The long-job table (ZStack's `LongJobVO`); its inventory is its row, but for who submitted
//! it, which stays inside the node.

pub use zstack_header::longjob::LONG_JOB;
use zstack_kernel::query::QueryMeta;

zstack_kernel::resource_table! {
    table "long_job" for LONG_JOB;
    query APIQueryLongJobMsg "/longjobs" as "longJob";
    inventory Model = "org.zstack.header.longjob.LongJobInventory";
    migration "m1200_long_job";
    extend hide_submitter;
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        /// The id the API runs under: its task progress, its cancellation.
        api_id: String [32],
        /// The API it runs (`APIAddImageMsg`).
        job_name: String [255],
        /// The API's parameters, as JSON text.
        job_data: String [65535],
        /// The API's reply body, or `{"error": ...}`, as JSON text.
        #[serde(skip_serializing_if = "Option::is_none")]
        job_result: Option<String> [65535],
        state: String [32, index],
        #[serde(skip_serializing_if = "Option::is_none")]
        target_resource_uuid: Option<String> [255],
        /// The node running it.
        #[serde(skip_serializing_if = "Option::is_none")]
        management_node_uuid: Option<String> [32, index],
        /// Seconds from its start to its end, once it has ended.
        #[serde(skip_serializing_if = "Option::is_none")]
        execute_time: Option<i64>,
        /// The account behind the session that submitted it (JSON), which later runs act as.
        #[serde(skip_serializing, default)]
        submitter: String [1024],
    }
}

/// Who submitted a job is not a field of its inventory.
fn hide_submitter(mut meta: QueryMeta) -> QueryMeta {
    meta.fields.retain(|f| f.name != "submitter");
    meta
}
