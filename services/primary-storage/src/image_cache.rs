//! The image cache of primary storage (ZStack's ImageCacheVO): the copy of an image a storage
//! keeps for the VMs made from it. The first VM from an image on a storage downloads the image
//! there (simulated: one operation on the storage), which takes the image's size of the
//! storage's capacity; the copy stays for the VMs that follow.

use zstack_header::primary_storage::{
    CacheImageMsg, CachedImage, PRIMARY_STORAGE, UncacheImageMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::resource::Link;
use zstack_kernel::schema::CreateTables;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, simulator};

use crate::capacity;

/// Which images each primary storage has a copy of.
pub const IMAGE_CACHE: Link = Link {
    table: "primary_storage_image_cache",
    from: ("primary_storage_uuid", "primary storage"),
    to: ("image_uuid", "image"),
};

pub fn migration() -> CreateTables {
    IMAGE_CACHE.migration(CreateTables::new("m0401_primary_storage_image_cache"))
}

pub async fn cache(
    node: NodeContext,
    msg: CacheImageMsg,
    _ctx: MsgContext,
) -> ApiResult<CachedImage> {
    let ps = &msg.primary_storage_uuid;
    if IMAGE_CACHE
        .linked(&node.db, ps)
        .await?
        .contains(&msg.image_uuid)
    {
        return Ok(CachedImage { downloaded: false });
    }
    simulator::operate(&node.db, PRIMARY_STORAGE, ps).await?;
    capacity::take(&node, ps, msg.size).await?;
    // The table's key decides between racing downloads of one image: the one that lost gives
    // its capacity back and uses the winner's copy.
    if IMAGE_CACHE
        .attach(&node.db, ps, &msg.image_uuid)
        .await
        .is_err()
    {
        capacity::put_back(&node, ps, msg.size).await?;
        return Ok(CachedImage { downloaded: false });
    }
    Ok(CachedImage { downloaded: true })
}

pub async fn uncache(
    node: NodeContext,
    msg: UncacheImageMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let ps = &msg.primary_storage_uuid;
    // Detaching what is not cached fails: there is nothing to give back then.
    if IMAGE_CACHE
        .detach(&node.db, ps, &msg.image_uuid)
        .await
        .is_ok()
    {
        capacity::put_back(&node, ps, msg.size).await?;
    }
    Ok(EmptyReply {})
}
