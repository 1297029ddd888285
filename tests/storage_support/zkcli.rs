//! What zkCli prints for `ls -R /`, `get -s` and `getAcl`, parsed, and the same text rendered
//! from a recovered database, so the two can be compared line by line.
//!
//! A dump is zkCli's output for: `ls -R /`, then per znode `version` (a separator whose output
//! starts every block), `get -s PATH` and `getAcl PATH`. zkCli formats a stat with
//! `StatPrinter` (times as `java.util.Date.toString()`, here in UTC), an ACL entry as the jute
//! `Id` record's CSV form (`'scheme,'id`) and `: ` plus `ZKUtil.getPermString`.

use std::collections::BTreeMap;
use zabkeeper::models::replica::Database;
use zabkeeper::models::tree::{perms, Acl, Node};

/// The lines zkCli prints for one znode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZnodeView {
    /// `get`'s data line: the data as text, "null" for null data.
    pub data: String,
    /// The eleven `StatPrinter` lines.
    pub stat: Vec<String>,
    /// Two lines per ACL entry.
    pub acl: Vec<String>,
}

const SEPARATOR: &str = "ZooKeeper CLI version:";
const STAT_LINES: usize = 11;

/// Parses a dump into its znodes, by path.
pub fn parse_dump(text: &str) -> BTreeMap<String, ZnodeView> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| *line != "WATCHER::" && !line.starts_with("WatchedEvent "))
        .collect();
    let first_block = lines
        .iter()
        .position(|line| line.starts_with(SEPARATOR))
        .expect("the dump has a block per znode");
    let paths: Vec<String> = lines[..first_block]
        .iter()
        .filter(|line| line.starts_with('/'))
        .map(|line| line.to_string())
        .collect();
    let blocks: Vec<&[&str]> = lines[first_block..]
        .split(|line| line.starts_with(SEPARATOR))
        .skip(1)
        .collect();
    assert_eq!(paths.len(), blocks.len(), "one block per path of ls -R");
    paths
        .into_iter()
        .zip(blocks)
        .map(|(path, block)| {
            let stat_start = block
                .iter()
                .position(|line| line.starts_with("cZxid = "))
                .unwrap_or_else(|| panic!("no stat for {path}"));
            let data = block[stat_start - 1].to_string();
            let stat_end = stat_start + STAT_LINES;
            let stat = block[stat_start..stat_end]
                .iter()
                .map(|line| line.to_string())
                .collect();
            let acl = block[stat_end..]
                .iter()
                .filter(|line| !line.is_empty())
                .map(|line| line.to_string())
                .collect();
            (path, ZnodeView { data, stat, acl })
        })
        .collect()
}

/// Every znode of `database` as zkCli would print it.
pub fn render_database(database: &Database) -> BTreeMap<String, ZnodeView> {
    database
        .tree
        .iter()
        .map(|(path, node)| (path.to_string(), render_node(node)))
        .collect()
}

fn render_node(node: &Node) -> ZnodeView {
    let stat = node.stat();
    ZnodeView {
        // zkCli prints null data as "null".
        data: node.data.as_deref().map_or_else(
            || "null".to_string(),
            |data| String::from_utf8_lossy(data).into_owned(),
        ),
        stat: vec![
            format!("cZxid = 0x{:x}", stat.czxid.0),
            format!("ctime = {}", java_date(stat.ctime_ms)),
            format!("mZxid = 0x{:x}", stat.mzxid.0),
            format!("mtime = {}", java_date(stat.mtime_ms)),
            format!("pZxid = 0x{:x}", stat.pzxid.0),
            format!("cversion = {}", stat.cversion),
            format!("dataVersion = {}", stat.version),
            format!("aclVersion = {}", stat.aversion),
            format!("ephemeralOwner = 0x{:x}", stat.ephemeral_owner),
            format!("dataLength = {}", stat.data_length),
            format!("numChildren = {}", stat.num_children),
        ],
        acl: node.acl.iter().flat_map(render_acl).collect(),
    }
}

fn render_acl(acl: &Acl) -> [String; 2] {
    [
        format!("{},{}", csv_string(&acl.id.scheme), csv_string(&acl.id.id)),
        format!(": {}", perm_string(acl.perms)),
    ]
}

/// `CsvOutputArchive`'s string form: a quote, then the text with a few characters escaped.
fn csv_string(text: &str) -> String {
    let mut out = String::from("'");
    for character in text.chars() {
        match character {
            '\0' => out.push_str("%00"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            ',' => out.push_str("%2C"),
            '}' => out.push_str("%7D"),
            '%' => out.push_str("%25"),
            other => out.push(other),
        }
    }
    out
}

/// `ZKUtil.getPermString`: c, d, r, w, a in that order.
fn perm_string(bits: i32) -> String {
    [
        (perms::CREATE, 'c'),
        (perms::DELETE, 'd'),
        (perms::READ, 'r'),
        (perms::WRITE, 'w'),
        (perms::ADMIN, 'a'),
    ]
    .iter()
    .filter(|(bit, _)| bits & bit != 0)
    .map(|(_, letter)| letter)
    .collect()
}

/// `java.util.Date.toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970`.
pub fn java_date(epoch_ms: i64) -> String {
    let seconds = epoch_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        year
    )
}

/// Checks that `database` holds exactly the znodes of `dump`, each with the same data, stat and
/// ACL. The core keeps no difference between null and empty data: "null" matches empty.
pub fn assert_database_matches_dump(database: &Database, dump: &BTreeMap<String, ZnodeView>) {
    let ours = render_database(database);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        dump.keys().collect::<Vec<_>>(),
        "the same znodes"
    );
    for (path, expected) in dump {
        let actual = &ours[path];
        assert_eq!(actual.stat, expected.stat, "stat of {path}");
        assert_eq!(actual.acl, expected.acl, "ACL of {path}");
        let data_matches =
            actual.data == expected.data || actual.data.is_empty() && expected.data == "null";
        assert!(
            data_matches,
            "data of {path}: {:?}, zkCli printed {:?}",
            actual.data, expected.data
        );
    }
}

#[test]
fn java_dates_match_zookeepers_output() {
    assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
    assert_eq!(java_date(1_795_333_034_123), "Sun Nov 22 07:37:14 UTC 2026");
    assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
}
