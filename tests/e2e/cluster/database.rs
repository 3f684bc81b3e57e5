//! A node that loses its database stops claiming ownership instead of acting on stale state; the
//! others declare it dead and take over; it rejoins when the database is back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::*;

/// A TCP relay to PostgreSQL that the test can cut (every connection dropped, new ones refused)
/// and restore: a network failure between one node and the database.
struct DbLink {
    port: u16,
    cut: Arc<AtomicBool>,
    relays: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl DbLink {
    async fn start(to: &'static str) -> DbLink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("an address").port();
        let cut = Arc::new(AtomicBool::new(false));
        let relays: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (is_cut, tasks) = (cut.clone(), relays.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(relay);
            }
        });
        DbLink { port, cut, relays }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for relay in self.relays.lock().unwrap().drain(..) {
            relay.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[actix_web::test]
async fn a_node_cut_off_from_the_database_steps_down_and_rejoins_when_it_is_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let link = DbLink::start("127.0.0.1:5432").await;
    let port = link.port;
    // Node 0 reaches the database through the link; the others directly.
    let through_link = move |i: usize, url: &str| {
        if i == 0 {
            assert!(url.contains("@127.0.0.1:5432/"), "{url}");
            url.replace("@127.0.0.1:5432/", &format!("@127.0.0.1:{port}/"))
        } else {
            url.to_string()
        }
    };
    let Some(cluster) = TestCluster::start_with(3, &|_| Vec::new(), &through_link).await else {
        return;
    };
    let session = cluster.nodes[1].api.login().await;
    assert_eq!(cluster.nodes[0].metric("zstack_cluster_owning").await, 1.0);

    link.cut();
    let cut_at = Instant::now();
    // It stops claiming ownership first (half the dead-after period)...
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.nodes[0].metric("zstack_cluster_owning").await != 0.0 {
        assert!(Instant::now() < deadline, "node 0 still claims ownership");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stepped_down_after = cut_at.elapsed();
    // ...then the others declare it dead.
    let deadline = Instant::now() + Duration::from_secs(15);
    let dead = cluster.nodes[0].uuid.clone();
    while cluster.nodes[1]
        .listed_nodes(&session)
        .await
        .contains(&dead)
    {
        assert!(Instant::now() < deadline, "node 0 was not declared dead");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let declared_dead_after = cut_at.elapsed();
    eprintln!(
        "stepped down after {stepped_down_after:?}, declared dead after {declared_dead_after:?}"
    );
    assert!(
        stepped_down_after < declared_dead_after,
        "stepped down after {stepped_down_after:?}, declared dead after {declared_dead_after:?}"
    );
    // Zone updates are now owned by nodes 1 and 2 only.
    let zone = create_zone(&cluster.nodes[1], &session, "kept").await;
    let done = update_zone_done(&cluster.nodes[2], &session, &zone, "without node 0").await;
    assert_eq!(done.status, 200, "{:?}", done.body);

    link.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    while cluster.nodes[0].metric("zstack_cluster_owning").await != 1.0 {
        assert!(Instant::now() < deadline, "node 0 did not rejoin");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster.wait_until_all_see(3).await;
    assert_eq!(
        cluster.nodes[1].listed_nodes(&session).await,
        cluster.uuids()
    );
    cluster.stop().await;
}
