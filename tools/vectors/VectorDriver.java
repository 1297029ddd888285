// Drives Apache ZooKeeper 3.8's own Java client through every request the test vectors need.
// capture.py runs it with `java -cp <zookeeper jars> VectorDriver.java HOST:PORT CONTROL_PORT`;
// HOST:PORT is the recording proxy, CONTROL_PORT the proxy's control socket. Before each step
// the driver tells the proxy the step's label, so every frame is stored under the step that
// caused it. Every call below is synchronous (or waited for), so no frame of one step can
// arrive under the next step's label.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.admin.ZooKeeperAdmin;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public class VectorDriver {
    private static PrintWriter control;
    private static BufferedReader controlReplies;

    /** Events delivered to a client's default watcher, so a step can wait for its notification. */
    static final class Events implements Watcher {
        final LinkedBlockingQueue<WatchedEvent> queue = new LinkedBlockingQueue<>();

        @Override
        public void process(WatchedEvent event) {
            queue.add(event);
        }

        WatchedEvent await(Watcher.Event.EventType type, KeeperState state) throws Exception {
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                WatchedEvent event = queue.poll(100, TimeUnit.MILLISECONDS);
                if (event != null && event.getType() == type && event.getState() == state) {
                    return event;
                }
            }
            throw new IllegalStateException("no " + type + "/" + state + " event");
        }

        void awaitConnected() throws Exception {
            await(Watcher.Event.EventType.None, KeeperState.SyncConnected);
        }

        void awaitNode(Watcher.Event.EventType type) throws Exception {
            await(type, KeeperState.SyncConnected);
        }
    }

    private static void proxy(String command) throws Exception {
        control.println(command);
        control.flush();
        if (!"ok".equals(controlReplies.readLine())) {
            throw new IllegalStateException("proxy refused " + command);
        }
    }

    private static void step(String label) throws Exception {
        proxy("label " + label);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] arguments) throws Exception {
        String server = arguments[0];
        Socket controlSocket = new Socket("127.0.0.1", Integer.parseInt(arguments[1]));
        control = new PrintWriter(controlSocket.getOutputStream(), true);
        controlReplies = new BufferedReader(new InputStreamReader(controlSocket.getInputStream()));
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        Stat stat = new Stat();

        step("connect");
        Events events = new Events();
        ZooKeeper zk = new ZooKeeper(server, 4000, events);
        events.awaitConnected();

        step("create");
        zk.create("/vectors", bytes("zabkeeper"), open, CreateMode.PERSISTENT);
        step("create-node-exists");
        try {
            zk.create("/vectors", bytes("again"), open, CreateMode.PERSISTENT);
            throw new IllegalStateException("created twice");
        } catch (KeeperException.NodeExistsException expected) {
        }
        step("create2-persistent-sequential");
        zk.create("/vectors/sequential-", bytes("s"), open, CreateMode.PERSISTENT_SEQUENTIAL, stat);
        step("create-ephemeral");
        zk.create("/vectors/ephemeral", bytes("e"), open, CreateMode.EPHEMERAL);
        step("create-ephemeral-sequential");
        zk.create("/vectors/ephemeral-sequential-", new byte[0], open, CreateMode.EPHEMERAL_SEQUENTIAL);
        step("create-container");
        zk.create("/vectors/container", bytes("c"), open, CreateMode.CONTAINER);
        step("create-in-container");
        zk.create("/vectors/container/child", bytes("child"), open, CreateMode.PERSISTENT);
        step("delete");
        zk.delete("/vectors/container/child", -1);
        step("create-ttl");
        zk.create("/vectors/ttl", bytes("t"), open, CreateMode.PERSISTENT_WITH_TTL, stat, 1000);
        step("create-null-data");
        zk.create("/vectors/null-data", null, open, CreateMode.PERSISTENT);
        step("get-data-null");
        zk.getData("/vectors/null-data", false, stat);

        step("get-data-watch");
        zk.getData("/vectors", true, stat);
        step("set-data");
        zk.setData("/vectors", bytes("changed"), -1);
        events.awaitNode(Watcher.Event.EventType.NodeDataChanged);
        step("set-data-bad-version");
        try {
            zk.setData("/vectors", bytes("stale"), 999);
            throw new IllegalStateException("bad version accepted");
        } catch (KeeperException.BadVersionException expected) {
        }
        step("get-children-watch");
        zk.getChildren("/vectors", true);
        step("get-children2");
        zk.getChildren("/vectors", false, stat);
        step("exists-missing-watch");
        zk.exists("/vectors/absent", true);
        step("create-triggers-watches");
        zk.create("/vectors/absent", bytes("now present"), open, CreateMode.PERSISTENT);
        events.awaitNode(Watcher.Event.EventType.NodeCreated);
        events.awaitNode(Watcher.Event.EventType.NodeChildrenChanged);
        step("exists");
        zk.exists("/vectors/absent", false);
        step("delete-absent");
        zk.delete("/vectors/absent", 0);

        step("auth");
        zk.addAuthInfo("digest", bytes("zabkeeper:secret"));
        // addAuthInfo does not wait for the reply; a round trip after it does.
        zk.exists("/", false);
        step("create-creator-all-acl");
        zk.create("/vectors/acl", bytes("a"), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
        step("get-acl");
        zk.getACL("/vectors/acl", stat);
        step("set-acl");
        Id digest = new Id("digest", DigestAuthenticationProvider.generateDigest("zabkeeper:secret"));
        zk.setACL(
                "/vectors/acl",
                Arrays.asList(
                        new ACL(ZooDefs.Perms.ALL, digest),
                        new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)),
                0);

        step("multi");
        zk.multi(Arrays.asList(
                Op.create("/vectors/multi", bytes("m"), open, CreateMode.PERSISTENT),
                Op.setData("/vectors/multi", bytes("m2"), 0),
                Op.check("/vectors/multi", 1),
                Op.create("/vectors/multi/child", bytes("c"), open, CreateMode.PERSISTENT),
                Op.delete("/vectors/multi/child", 0)));
        step("multi-failing");
        try {
            zk.multi(Arrays.asList(
                    Op.create("/vectors/multi-failed", bytes("f"), open, CreateMode.PERSISTENT),
                    Op.delete("/vectors/missing", -1),
                    Op.setData("/vectors", bytes("never"), -1)));
            throw new IllegalStateException("failing multi succeeded");
        } catch (KeeperException.NoNodeException expected) {
        }
        step("multi-read");
        zk.multi(Arrays.asList(
                Op.getChildren("/vectors/multi"),
                Op.getData("/vectors/multi"),
                Op.getData("/vectors/missing")));

        step("sync");
        CountDownLatch synced = new CountDownLatch(1);
        zk.sync("/vectors", (rc, path, context) -> synced.countDown(), null);
        synced.await(30, TimeUnit.SECONDS);
        step("get-ephemerals");
        zk.getEphemerals("/vectors");
        step("get-all-children-number");
        zk.getAllChildrenNumber("/vectors");
        step("who-am-i");
        zk.whoAmI();

        step("connect-read-only");
        Events adminEvents = new Events();
        ZooKeeperAdmin admin = new ZooKeeperAdmin(server, 4000, adminEvents, true);
        adminEvents.awaitConnected();
        step("reconfig");
        try {
            admin.reconfigure("server.5=127.0.0.1:2888:3888;2181", null, null, -1, stat);
            throw new IllegalStateException("reconfig accepted on a standalone server");
        } catch (KeeperException expected) {
        }
        step("close-session-without-ephemerals");
        admin.close();

        step("register-watches");
        zk.getData("/vectors", true, stat);
        zk.exists("/vectors/absent", true);
        zk.getChildren("/vectors", true);
        step("reconnect-set-watches");
        proxy("drop");
        events.await(Watcher.Event.EventType.None, KeeperState.Disconnected);
        events.awaitConnected();
        zk.exists("/", false);

        step("add-watch");
        zk.addWatch("/vectors", AddWatchMode.PERSISTENT_RECURSIVE);
        step("add-watch-persistent");
        zk.addWatch("/vectors/ephemeral", AddWatchMode.PERSISTENT);
        step("reconnect-set-watches2");
        proxy("drop");
        events.await(Watcher.Event.EventType.None, KeeperState.Disconnected);
        events.awaitConnected();
        zk.exists("/", false);
        step("remove-all-watches");
        zk.removeAllWatches("/vectors", Watcher.WatcherType.Any, false);
        step("check-watches");
        Watcher dataWatcher = event -> { };
        zk.getData("/vectors/multi", dataWatcher, stat);
        zk.removeWatches("/vectors/multi", dataWatcher, Watcher.WatcherType.Data, false);

        step("ping");
        // Idle for longer than a third of the 4 s session timeout: the client pings.
        Thread.sleep(2500);

        step("session-to-expire");
        Events expiringEvents = new Events();
        ZooKeeper expiring = new ZooKeeper(server, 4000, expiringEvents);
        expiringEvents.awaitConnected();
        expiring.create("/vectors/expiring", bytes("x"), open, CreateMode.EPHEMERAL);
        // The proxy swallows this connection and every new one, so the session expires.
        step("stalled");
        proxy("stall-newest");
        expiringEvents.await(Watcher.Event.EventType.None, KeeperState.Disconnected);
        Thread.sleep(8000);
        step("reconnect-expired");
        proxy("unstall-new");
        expiringEvents.await(Watcher.Event.EventType.None, KeeperState.Expired);
        expiring.close();

        step("close-session");
        zk.close();
        step("done");
        controlSocket.close();
    }
}
