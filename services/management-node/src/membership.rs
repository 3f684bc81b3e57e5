//! Membership: this node's row and heartbeat in the management-node table, and the cluster's view
//! of which nodes are alive.
//!
//! Every heartbeat interval a node stamps its row with the database's clock, then reads every
//! row: a node whose stamp is older than the dead-after period is fenced (its row deleted, by
//! exactly one node: the delete requires the stale stamp) and announced as left; the fencer fails
//! the jobs it was running. Rows that are alive but missing from the cluster are joined, members
//! without a live row are removed, so a missed join or leave event heals on the next tick.
//!
//! A node that cannot reach the database stops claiming ownership (it leaves its own cluster view)
//! before the others can declare it dead, and rejoins once its heartbeat is written again.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_kernel::node_ring::{NodeInfo, NodeJoined, NodeLeft};
use zstack_kernel::{ApiResult, NodeContext, db, jobs};

use crate::entity::{ActiveModel, Column, Entity as ManagementNode, Model};

fn node_info(row: &Model) -> NodeInfo {
    NodeInfo {
        uuid: row.uuid.clone(),
        services: row.services.as_ref().map(|list| {
            list.split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        }),
    }
}

/// Writes (or rewrites, after a restart or after being fenced) this node's row.
async fn write_row(node: &NodeContext) -> ApiResult<()> {
    let at = db::now(&node.db).await?;
    let row = ActiveModel {
        uuid: Set(node.config.node_uuid.clone()),
        host_name: Set(node.config.host_name.clone()),
        port: Set(i64::from(node.config.port)),
        join_date: Set(at),
        heart_beat: Set(at),
        services: Set(node.config.services.as_ref().map(|s| s.join(","))),
    };
    ManagementNode::delete_by_id(node.config.node_uuid.clone())
        .exec(&node.db)
        .await?;
    ManagementNode::insert(row).exec(&node.db).await?;
    Ok(())
}

/// Stamps this node's row; tells whether the row was still there.
async fn beat(node: &NodeContext) -> ApiResult<bool> {
    let at = db::now(&node.db).await?;
    let res = ManagementNode::update_many()
        .col_expr(Column::HeartBeat, Expr::value(at))
        .filter(Column::Uuid.eq(node.config.node_uuid.clone()))
        .exec(&node.db)
        .await?;
    Ok(res.rows_affected == 1)
}

fn age(now: DateTime<Utc>, beat: DateTime<Utc>) -> Duration {
    (now - beat).to_std().unwrap_or(Duration::ZERO)
}

/// Joins: writes this node's row, learns the live nodes, listens to join and leave events and
/// announces itself. Call before the node serves.
pub async fn join(node: &NodeContext) -> ApiResult<()> {
    write_row(node).await?;
    let cluster = node.bus.ring().clone();
    let me = cluster.me().uuid.clone();
    node.bus
        .subscribe(move |e: &NodeJoined| {
            if e.node.uuid != me {
                cluster.join(e.node.clone());
            }
        })
        .forever();
    let cluster = node.bus.ring().clone();
    let me = cluster.me().uuid.clone();
    node.bus
        .subscribe(move |e: &NodeLeft| {
            // A node told that it left (it was fenced) finds out from its own heartbeat.
            if e.uuid != me {
                cluster.leave(&e.uuid);
            }
        })
        .forever();
    reconcile(node).await?;
    node.bus.publish(NodeJoined {
        node: node.bus.ring().me().clone(),
    });
    Ok(())
}

/// Reads every row: fences the dead, joins the live, drops members without a row.
async fn reconcile(node: &NodeContext) -> ApiResult<()> {
    let rows = ManagementNode::find().all(&node.db).await?;
    let now = db::now(&node.db).await?;
    let cluster = node.bus.ring();
    let me = cluster.me().uuid.clone();
    let dead_after = node.config.node_dead_after;
    // Without a transport to other nodes, routing to them could only fail: a node on the
    // in-process bus stays alone even if others share its database.
    let reachable = node.bus.has_remote();
    let mut alive = HashSet::new();
    for row in &rows {
        if row.uuid == me {
            continue;
        }
        if age(now, row.heart_beat) > dead_after {
            fence(node, row, now).await?;
        } else if reachable {
            alive.insert(row.uuid.clone());
            cluster.join(node_info(row));
        }
    }
    for member in cluster.members() {
        if member.uuid != me && !alive.contains(&member.uuid) {
            tracing::info!(node = %member.uuid, "management node left");
            cluster.leave(&member.uuid);
        }
    }
    Ok(())
}

/// Declares `row`'s node dead. Only the node whose delete removes the stale row goes on to
/// announce it and fail its jobs.
async fn fence(node: &NodeContext, row: &Model, now: DateTime<Utc>) -> ApiResult<()> {
    let stale_before = now
        - chrono::Duration::from_std(node.config.node_dead_after).unwrap_or(chrono::Duration::MAX);
    let res = ManagementNode::delete_many()
        .filter(Column::Uuid.eq(row.uuid.clone()))
        .filter(Column::HeartBeat.lt(stale_before))
        .exec(&node.db)
        .await?;
    if res.rows_affected != 1 {
        return Ok(());
    }
    tracing::warn!(
        node = %row.uuid,
        silent_for = ?age(now, row.heart_beat),
        "management node declared dead"
    );
    node.bus.ring().leave(&row.uuid);
    node.bus.publish(NodeLeft {
        uuid: row.uuid.clone(),
    });
    let why = format!("management node[uuid:{}] is unavailable", row.uuid);
    jobs::end_jobs_of(node, &row.uuid, &why).await?;
    Ok(())
}

/// The heartbeat loop; runs for the life of the node.
pub fn keep_beating(node: NodeContext) {
    tokio::spawn(async move {
        let me = node.bus.ring().me().clone();
        let mut last_beat = Instant::now();
        let mut tick = tokio::time::interval(node.config.heartbeat_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // A bug in one tick must not stop the heartbeat: the node would be declared dead
            // while it still serves.
            let ticked = AssertUnwindSafe(beat_once(&node, &me, &mut last_beat))
                .catch_unwind()
                .await;
            if ticked.is_err() {
                tracing::error!("a heartbeat tick panicked");
            }
        }
    });
}

/// One heartbeat: stamp the row (stepping down or rejoining as needed), then check the others.
async fn beat_once(node: &NodeContext, me: &NodeInfo, last_beat: &mut Instant) {
    let cluster = node.bus.ring();
    match beat(node).await {
        Ok(true) => {
            *last_beat = Instant::now();
            if !cluster.is_member(&me.uuid) {
                tracing::info!("the database is reachable again; claiming ownership again");
                cluster.join(me.clone());
                node.bus.publish(NodeJoined { node: me.clone() });
            }
        }
        Ok(false) => {
            tracing::warn!("another node declared this one dead; joining again");
            cluster.leave(&me.uuid);
            match write_row(node).await {
                Ok(()) => {
                    *last_beat = Instant::now();
                    cluster.join(me.clone());
                    node.bus.publish(NodeJoined { node: me.clone() });
                }
                Err(e) => tracing::warn!(error = %e, "could not rejoin"),
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "heartbeat failed");
            // Step down at half the dead-after period: before any other node can declare
            // this one dead and take its resources over.
            if last_beat.elapsed() >= node.config.node_dead_after / 2 && cluster.leave(&me.uuid) {
                tracing::error!(
                    "no heartbeat written for {:?}: this node stops claiming ownership",
                    last_beat.elapsed()
                );
            }
            return;
        }
    }
    if let Err(e) = reconcile(node).await {
        tracing::warn!(error = %e, "could not check the other management nodes");
    }
}

/// Leaves: deletes this node's row and announces it.
pub async fn leave(node: &NodeContext) -> ApiResult<()> {
    ManagementNode::delete_by_id(node.config.node_uuid.clone())
        .exec(&node.db)
        .await?;
    node.bus.publish(NodeLeft {
        uuid: node.config.node_uuid.clone(),
    });
    Ok(())
}
