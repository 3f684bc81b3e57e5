//! What other families read of an instance offering (`GetInstanceOfferingMsg`).

use zstack_header::instance_offering::{GetInstanceOfferingMsg, InstanceOfferingSummary};
use zstack_kernel::resource::find;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::Entity as InstanceOffering;

pub async fn get(
    node: NodeContext,
    msg: GetInstanceOfferingMsg,
    _ctx: MsgContext,
) -> ApiResult<InstanceOfferingSummary> {
    let o = find::<InstanceOffering, _>(&node.db, "instance offering", &msg.uuid).await?;
    Ok(InstanceOfferingSummary {
        uuid: o.uuid,
        cpu_num: o.cpu_num,
        cpu_speed: o.cpu_speed,
        memory_size: o.memory_size,
        reserved_memory_size: o.reserved_memory_size,
        allocator_strategy: o.allocator_strategy,
        state: o.state,
    })
}
