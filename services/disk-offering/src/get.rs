//! What other families read of a disk offering (`GetDiskOfferingMsg`).

use zstack_header::disk_offering::{DiskOfferingSummary, GetDiskOfferingMsg};
use zstack_kernel::resource::find;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::Entity as DiskOffering;

pub async fn get(
    node: NodeContext,
    msg: GetDiskOfferingMsg,
    _ctx: MsgContext,
) -> ApiResult<DiskOfferingSummary> {
    let o = find::<DiskOffering, _>(&node.db, "disk offering", &msg.uuid).await?;
    Ok(DiskOfferingSummary {
        uuid: o.uuid,
        disk_size: o.disk_size,
        state: o.state,
    })
}
