//! The client library's recipes (`zabkeeper::client`) with several sessions and processes,
//! each scenario run against a Zabkeeper server and against Apache ZooKeeper 3.8: contention,
//! a holder killed with SIGKILL, a holder whose session expires behind a cut connection, a
//! cancelled acquire, close and re-acquire, readers and writers, leader election, the double
//! barrier and group membership. Every acquisition history is checked for exclusion and for
//! the sequence order of the fair lock.

mod support;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::apache::ApacheZooKeeper;
use support::proxy::FaultProxy;
use support::Server;
use zabkeeper::client::{
    instances, DoubleBarrier, GroupMember, LeaderLatch, LeaderSelector, Lock, ReadWriteLock,
};
use zookeeper_client as zk;

/// Every bounded wait of these tests.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(address: &str, session_timeout: Duration) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(session_timeout)
        .connect(address)
        .await
        .expect("connects")
}

async fn connect_all(address: &str, count: usize) -> Vec<zk::Client> {
    let mut clients = Vec::new();
    for _ in 0..count {
        clients.push(connect(address, Duration::from_secs(10)).await);
    }
    clients
}

/// Runs `scenario` against a Zabkeeper server, then against Apache ZooKeeper.
async fn on_both_servers<F, Fut>(scenario: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let server = Server::start();
    scenario(server.address()).await;
    drop(server);
    if let Some(reference) = ApacheZooKeeper::start() {
        eprintln!(
            "the same against Apache ZooKeeper at {}",
            reference.address()
        );
        scenario(reference.address()).await;
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within {PATIENCE:?}"))
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Acquired {
        who: usize,
        exclusive: bool,
        sequence: i32,
        token: i64,
    },
    Released {
        who: usize,
    },
}

/// Acquisitions and releases in the order they happened: each is recorded while the lock is
/// held (after acquiring, before releasing), so the order under this mutex is a real order.
#[derive(Clone, Default)]
struct History(Arc<Mutex<Vec<Event>>>);

impl History {
    fn acquired(&self, who: usize, lock: &Lock, exclusive: bool) {
        let event = Event::Acquired {
            who,
            exclusive,
            sequence: lock.sequence().expect("a holder has a sequence"),
            token: lock.fencing_token().expect("a holder has a token"),
        };
        self.0.lock().expect("not poisoned").push(event);
    }

    fn released(&self, who: usize) {
        self.0
            .lock()
            .expect("not poisoned")
            .push(Event::Released { who });
    }

    /// Acquires, holds a moment and releases, `rounds` times, recording each.
    async fn hold_rounds(&self, who: usize, lock: &mut Lock, exclusive: bool, rounds: usize) {
        for _ in 0..rounds {
            lock.acquire().await.expect("acquires");
            self.acquired(who, lock, exclusive);
            tokio::time::sleep(Duration::from_millis(3)).await;
            self.released(who);
            lock.release().await.expect("releases");
        }
    }

    /// Checks exclusion (a writer holds alone; readers share), that the lock went in
    /// sequence order (for readers: after every earlier writer) and with growing fencing tokens
    /// among writers, and how many times each contender acquired it.
    fn check(&self, contenders: usize, rounds: usize) {
        let events = self.0.lock().expect("not poisoned").clone();
        let mut holders: Vec<(usize, bool)> = Vec::new();
        let mut latest_sequence = i32::MIN;
        let mut latest_writer_sequence = i32::MIN;
        let mut last_writer_token = i64::MIN;
        let mut acquisitions = vec![0; contenders];
        for event in &events {
            match *event {
                Event::Acquired {
                    who,
                    exclusive,
                    sequence,
                    token,
                } => {
                    assert!(
                        holders.iter().all(|(_, other)| !exclusive && !other),
                        "{who} acquired while {holders:?} held: {events:#?}"
                    );
                    // Sequence order: a writer comes after everyone before it; a reader
                    // after the writers before it (readers sharing the lock record their
                    // acquisitions in either order).
                    let latest = if exclusive {
                        latest_sequence
                    } else {
                        latest_writer_sequence
                    };
                    assert!(
                        sequence > latest,
                        "acquired out of sequence order: {events:#?}"
                    );
                    latest_sequence = latest_sequence.max(sequence);
                    if exclusive {
                        latest_writer_sequence = sequence;
                    }
                    if exclusive {
                        assert!(token > last_writer_token, "fencing token went back");
                        last_writer_token = token;
                    }
                    holders.push((who, exclusive));
                    acquisitions[who] += 1;
                }
                Event::Released { who } => {
                    let position = holders
                        .iter()
                        .position(|(holder, _)| *holder == who)
                        .unwrap_or_else(|| panic!("{who} released without holding"));
                    holders.remove(position);
                }
            }
        }
        assert!(holders.is_empty(), "still held at the end: {holders:?}");
        assert_eq!(acquisitions, vec![rounds; contenders], "{events:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contenders_hold_the_lock_one_at_a_time_in_sequence_order() {
    on_both_servers(|address| async move {
        const CONTENDERS: usize = 4;
        const ROUNDS: usize = 5;
        let history = History::default();
        let mut tasks = Vec::new();
        for (who, client) in connect_all(&address, CONTENDERS)
            .await
            .into_iter()
            .enumerate()
        {
            let history = history.clone();
            tasks.push(tokio::spawn(async move {
                // Half use kazoo's node names, half Curator's: one line all the same.
                let mut lock = if who % 2 == 0 {
                    Lock::new(&client, "/recipes/contention")
                } else {
                    Lock::curator(&client, "/recipes/contention")
                };
                history.hold_rounds(who, &mut lock, true, ROUNDS).await;
            }));
        }
        for task in tasks {
            within("a contender's rounds", task)
                .await
                .expect("no panic");
        }
        history.check(CONTENDERS, ROUNDS);
    })
    .await;
}

fn example(name: &str) -> std::path::PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    let profile = test
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_killed_with_sigkill_hands_the_lock_on_when_its_session_expires() {
    on_both_servers(|address| async move {
        use tokio::io::AsyncBufReadExt;
        let mut holder = tokio::process::Command::new(example("lock_contender"))
            .args(["--server", &address, "--path", "/recipes/killed"])
            .args(["--hold-ms", "0", "--session-timeout-ms", "2000"])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the contender example starts (cargo test builds examples)");
        let mut lines = tokio::io::BufReader::new(holder.stdout.take().expect("stdout")).lines();
        let line = within("the holder's acquisition", lines.next_line())
            .await
            .expect("reads")
            .expect("a line");
        let holder_token: i64 = line
            .strip_prefix("holding ")
            .and_then(|token| token.parse().ok())
            .unwrap_or_else(|| panic!("unexpected output {line}"));

        let client = connect(&address, Duration::from_secs(10)).await;
        let mut waiter = Lock::new(&client, "/recipes/killed");
        let early = tokio::time::timeout(Duration::from_millis(700), waiter.acquire()).await;
        assert!(early.is_err(), "acquired while the holder lives");

        holder.start_kill().expect("SIGKILL");
        holder.wait().await.expect("the holder is gone");
        let killed = Instant::now();
        within("the waiter's acquisition", waiter.acquire())
            .await
            .expect("acquires");
        assert!(
            waiter.fencing_token().expect("holds") > holder_token,
            "the new holder's token is larger"
        );
        // The dead holder's node went with its session, after the session timeout at least.
        assert!(killed.elapsed() < PATIENCE);
        let children = client
            .list_children("/recipes/killed")
            .await
            .expect("lists");
        assert_eq!(
            children.len(),
            1,
            "only the waiter's node is left: {children:?}"
        );
        waiter.release().await.expect("releases");
    })
    .await;
}

/// A shared resource that accepts a write only with a fencing token at least as large as
/// every token it accepted before.
#[derive(Default)]
struct FencedResource(Mutex<i64>);

impl FencedResource {
    fn write(&self, token: i64) -> bool {
        let mut largest = self.0.lock().expect("not poisoned");
        if token < *largest {
            return false;
        }
        *largest = token;
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_session_expires_is_fenced_off_by_its_token() {
    on_both_servers(|address| async move {
        let target = address.parse().expect("an address");
        let proxy = FaultProxy::start(target);
        let cut_off = connect(
            &format!("127.0.0.1:{}", proxy.port()),
            Duration::from_secs(2),
        )
        .await;
        let resource = FencedResource::default();
        let mut stale = Lock::new(&cut_off, "/recipes/fenced");
        stale.acquire().await.expect("acquires");
        let stale_token = stale.fencing_token().expect("holds");
        assert!(resource.write(stale_token));

        proxy.cut();
        let client = connect(&address, Duration::from_secs(10)).await;
        let mut next = Lock::new(&client, "/recipes/fenced");
        within("the lock passing on after the expiry", next.acquire())
            .await
            .expect("acquires");
        let token = next.fencing_token().expect("holds");
        assert!(resource.write(token));

        // The fencing limit: the old holder has not heard, and still believes it holds...
        assert!(stale.holds());
        // ...but the resource refuses its writes.
        assert!(!resource.write(stale_token));

        proxy.heal();
        within("the old holder hearing of its loss", stale.lost())
            .await
            .expect("hears");
        next.release().await.expect("releases");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_acquire_leaves_no_node_and_a_closed_holder_can_acquire_again() {
    on_both_servers(|address| async move {
        let clients = connect_all(&address, 3).await;
        let path = "/recipes/cancelled";
        let mut first = Lock::new(&clients[0], path);
        first.acquire().await.expect("acquires");
        let first_sequence = first.sequence().expect("holds");

        let mut impatient = Lock::new(&clients[1], path);
        let cancelled = tokio::time::timeout(Duration::from_millis(300), impatient.acquire()).await;
        assert!(cancelled.is_err(), "the lock is held");

        let patient_client = clients[2].clone();
        let patient = tokio::spawn(async move {
            let mut lock = Lock::new(&patient_client, path);
            lock.acquire().await.expect("acquires");
            lock
        });
        // The cancelled contender's node goes in the background.
        within("the cancelled node's deletion", async {
            while clients[0].list_children(path).await.expect("lists").len() != 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;

        first.release().await.expect("releases");
        let mut patient = within("the patient contender", patient)
            .await
            .expect("no panic");
        assert!(patient.holds());
        patient.release().await.expect("releases");

        first.acquire().await.expect("acquires again");
        assert!(first.sequence().expect("holds") > first_sequence);
        first.acquire().await.expect("re-enters");
        first.release().await.expect("gives one hold back");
        assert!(first.holds(), "re-entrant: one hold is left");
        first.release().await.expect("releases");
        assert!(!first.holds());
        let children = clients[0].list_children(path).await.expect("lists");
        assert!(children.is_empty(), "nothing is left: {children:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_hold_alone_and_readers_share() {
    on_both_servers(|address| async move {
        const ROUNDS: usize = 3;
        let history = History::default();
        let mut tasks = Vec::new();
        for (who, client) in connect_all(&address, 4).await.into_iter().enumerate() {
            let history = history.clone();
            let exclusive = who % 2 == 0;
            tasks.push(tokio::spawn(async move {
                let rw = if who < 2 {
                    ReadWriteLock::new(&client, "/recipes/read-write")
                } else {
                    ReadWriteLock::curator(&client, "/recipes/read-write")
                };
                let mut lock = if exclusive {
                    rw.write_lock()
                } else {
                    rw.read_lock()
                };
                history.hold_rounds(who, &mut lock, exclusive, ROUNDS).await;
            }));
        }
        for task in tasks {
            within("a contender's rounds", task)
                .await
                .expect("no panic");
        }
        history.check(4, ROUNDS);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leader_at_a_time_with_latches_and_selectors() {
    on_both_servers(|address| async move {
        let clients = connect_all(&address, 3).await;
        let leaders = Arc::new(Mutex::new(0_usize));
        let terms = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (who, client) in clients.iter().cloned().enumerate() {
            let (leaders, terms) = (leaders.clone(), terms.clone());
            tasks.push(tokio::spawn(async move {
                let mut selector =
                    LeaderSelector::new(&client, "/recipes/selector", who.to_string().as_bytes());
                for _ in 0..2 {
                    let leaders = leaders.clone();
                    selector
                        .lead(|token| async move {
                            {
                                let mut count = leaders.lock().expect("not poisoned");
                                *count += 1;
                                assert_eq!(*count, 1, "two leaders at once");
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            *leaders.lock().expect("not poisoned") -= 1;
                            token
                        })
                        .await
                        .map(|token| terms.lock().expect("not poisoned").push((who, token)))
                        .expect("leads");
                }
            }));
        }
        for task in tasks {
            within("a selector's terms", task).await.expect("no panic");
        }
        let terms = terms.lock().expect("not poisoned").clone();
        assert_eq!(terms.len(), 6, "{terms:?}");
        assert!(
            terms.windows(2).all(|pair| pair[0].1 < pair[1].1),
            "terms in token order: {terms:?}"
        );

        let mut latches = Vec::new();
        for client in &clients {
            latches.push(LeaderLatch::new(client, "/recipes/latch", b"latch"));
        }
        for round in 0..latches.len() {
            let mut rest = latches.split_off(1);
            let mut leader = latches.pop().expect("a latch");
            within("leadership", leader.await_leadership())
                .await
                .expect("leads");
            for other in &mut rest {
                let waiting =
                    tokio::time::timeout(Duration::from_millis(100), other.await_leadership())
                        .await;
                assert!(waiting.is_err(), "round {round}: a second leader");
            }
            leader.close().await.expect("closes");
            latches = rest;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barrier_members_enter_together_and_leave_together() {
    on_both_servers(|address| async move {
        const MEMBERS: usize = 3;
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (who, client) in connect_all(&address, MEMBERS).await.into_iter().enumerate() {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                let note = |what: &'static str| log.lock().expect("not poisoned").push((what, who));
                // Members arrive at different times.
                tokio::time::sleep(Duration::from_millis(40 * who as u64)).await;
                let name = format!("member-{who}");
                let mut barrier = DoubleBarrier::new(&client, "/recipes/barrier", &name, MEMBERS);
                note("arrive");
                barrier.enter().await.expect("enters");
                note("entered");
                tokio::time::sleep(Duration::from_millis(40 * (MEMBERS - who) as u64)).await;
                note("leave");
                barrier.leave().await.expect("leaves");
                note("left");
            }));
        }
        for task in tasks {
            within("a member's barrier", task).await.expect("no panic");
        }
        let log = log.lock().expect("not poisoned").clone();
        let position = |what: &str, who: usize| {
            log.iter()
                .position(|entry| *entry == (what, who))
                .expect("logged")
        };
        let last_arrival = (0..MEMBERS).map(|who| position("arrive", who)).max();
        let first_entry = (0..MEMBERS).map(|who| position("entered", who)).min();
        assert!(
            first_entry > last_arrival,
            "entered before all arrived: {log:?}"
        );
        let last_leave = (0..MEMBERS).map(|who| position("leave", who)).max();
        let first_exit = (0..MEMBERS).map(|who| position("left", who)).min();
        assert!(
            first_exit > last_leave,
            "left before all started leaving: {log:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_views_follow_joins_leaves_and_expiry() {
    on_both_servers(|address| async move {
        let clients = connect_all(&address, 3).await;
        let path = "/recipes/services/search";
        let mut first = GroupMember::join(&clients[0], path, "a", b"10.0.0.1:80")
            .await
            .expect("joins");
        let second = GroupMember::join(&clients[1], path, "b", b"10.0.0.2:80")
            .await
            .expect("joins");
        let names = |view: &[String]| view.join(",");
        within("the first member seeing the second", async {
            while names(first.members()) != "a,b" {
                first.changed().await.expect("changes");
            }
        })
        .await;
        let third = GroupMember::join(&clients[2], path, "c", b"10.0.0.3:80")
            .await
            .expect("joins");
        assert_eq!(names(third.members()), "a,b,c");
        within("the first member seeing the third", async {
            while names(first.members()) != "a,b,c" {
                first.changed().await.expect("changes");
            }
        })
        .await;
        let registered = instances(&clients[0], path).await.expect("reads");
        assert_eq!(
            registered,
            vec![
                ("a".to_string(), b"10.0.0.1:80".to_vec()),
                ("b".to_string(), b"10.0.0.2:80".to_vec()),
                ("c".to_string(), b"10.0.0.3:80".to_vec()),
            ]
        );
        second.leave().await.expect("leaves");
        drop(third);
        within("the first member seeing the others go", async {
            while names(first.members()) != "a" {
                first.changed().await.expect("changes");
            }
        })
        .await;
        // A member whose session expires is gone from the views too.
        let proxy = FaultProxy::start(address.parse().expect("an address"));
        let cut_off = connect(
            &format!("127.0.0.1:{}", proxy.port()),
            Duration::from_secs(2),
        )
        .await;
        let expiring = GroupMember::join(&cut_off, path, "d", b"")
            .await
            .expect("joins");
        within("the first member seeing the fourth", async {
            while names(first.members()) != "a,d" {
                first.changed().await.expect("changes");
            }
        })
        .await;
        proxy.cut();
        within("the first member seeing the expired member go", async {
            while names(first.members()) != "a" {
                first.changed().await.expect("changes");
            }
        })
        .await;
        drop(expiring);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_single_node_lock_is_exclusive_and_a_cancelled_create_is_given_back() {
    use zabkeeper::client::SingleNodeLock;
    on_both_servers(|address| async move {
        let holders = Arc::new(Mutex::new(0_usize));
        let mut tasks = Vec::new();
        for client in connect_all(&address, 3).await {
            let holders = holders.clone();
            tasks.push(tokio::spawn(async move {
                let mut lock = SingleNodeLock::new(&client, "/recipes/single/owner");
                for _ in 0..3 {
                    lock.acquire().await.expect("acquires");
                    assert!(lock.holds());
                    {
                        let mut count = holders.lock().expect("not poisoned");
                        *count += 1;
                        assert_eq!(*count, 1, "two holders at once");
                    }
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    *holders.lock().expect("not poisoned") -= 1;
                    lock.release().await.expect("releases");
                }
            }));
        }
        for task in tasks {
            within("a contender's rounds", task)
                .await
                .expect("no panic");
        }
        // An acquire dropped at once, before its create is answered: if the create made the
        // node, the background cleanup deletes it (and only if this session owns it).
        let client = connect(&address, Duration::from_secs(10)).await;
        for _ in 0..20 {
            let mut lock = SingleNodeLock::new(&client, "/recipes/single/owner");
            let _ = tokio::time::timeout(Duration::from_micros(1), lock.acquire()).await;
            drop(lock);
            within("the node to be free", async {
                while client
                    .check_stat("/recipes/single/owner")
                    .await
                    .expect("reads")
                    .is_some()
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_whose_connection_drops_briefly_still_acquires_in_turn() {
    on_both_servers(|address| async move {
        let path = "/recipes/reconnect";
        let holder_client = connect(&address, Duration::from_secs(10)).await;
        let mut holder = Lock::new(&holder_client, path);
        holder.acquire().await.expect("acquires");

        let proxy = FaultProxy::start(address.parse().expect("an address"));
        let waiter_client = connect(
            &format!("127.0.0.1:{}", proxy.port()),
            Duration::from_secs(10),
        )
        .await;
        let waiter = tokio::spawn(async move {
            let mut lock = Lock::new(&waiter_client, path);
            lock.acquire().await.expect("acquires after reconnecting");
            lock.release().await.expect("releases");
        });
        // The waiter is queued (its node exists), then loses its connection for a moment,
        // far shorter than its session timeout: its session and watch survive.
        within("the waiter's node", async {
            while holder_client
                .list_children(path)
                .await
                .expect("lists")
                .len()
                < 2
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        proxy.cut();
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.heal();
        tokio::time::sleep(Duration::from_millis(300)).await;
        holder.release().await.expect("releases");
        within("the waiter's turn", waiter).await.expect("no panic");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_session_expires_is_replaced_and_hears_of_it() {
    on_both_servers(|address| async move {
        let path = "/recipes/leader-expiry";
        let proxy = FaultProxy::start(address.parse().expect("an address"));
        let cut_off = connect(
            &format!("127.0.0.1:{}", proxy.port()),
            Duration::from_secs(2),
        )
        .await;
        let mut leader = LeaderLatch::new(&cut_off, path, b"first");
        leader.await_leadership().await.expect("leads");
        let first_token = leader.fencing_token().expect("leads");

        let client = connect(&address, Duration::from_secs(10)).await;
        let next = tokio::spawn(async move {
            let mut latch = LeaderLatch::new(&client, path, b"second");
            latch.await_leadership().await.expect("leads");
            latch
        });
        let early = tokio::time::timeout(Duration::from_millis(300), async {
            while !next.is_finished() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            early.is_err(),
            "a second leader while the first's session lives"
        );

        proxy.cut();
        let next = within("the next leader after the expiry", next)
            .await
            .expect("no panic");
        assert!(next.fencing_token().expect("leads") > first_token);
        assert!(
            leader.has_leadership(),
            "the cut-off leader has not heard yet"
        );
        proxy.heal();
        within("the old leader hearing of its loss", leader.lost())
            .await
            .expect("hears");
        next.close().await.expect("closes");
    })
    .await;
}
