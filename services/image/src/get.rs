//! What other families read of an image (`zstack_header::image::GetImageMsg`).

use zstack_header::image::{GetImageMsg, ImageSummary};
use zstack_kernel::resource::find;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::Entity as Image;

pub async fn get(node: NodeContext, msg: GetImageMsg, _ctx: MsgContext) -> ApiResult<ImageSummary> {
    let image = find::<Image, _>(&node.db, "image", &msg.uuid).await?;
    Ok(ImageSummary {
        uuid: image.uuid,
        name: image.name,
        media_type: image.media_type,
        platform: image.platform,
        architecture: image.architecture,
        format: image.format,
        state: image.state,
        status: image.status,
        size: image.size,
    })
}
