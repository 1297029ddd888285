//! What can be wrong with a configuration, and what is merely worth a log line. Every message
//! names the file, the line when there is one, and the key, so that an operator can go
//! straight to it: `zoo.cfg:7: tickTime: expected a positive integer, got "abc"`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::models::ServerId;

use super::server_config::PeerRole;

/// A place in a configuration file: the whole file, or one line of it (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "{}:{line}", self.file.display()),
            None => write!(formatter, "{}", self.file.display()),
        }
    }
}

/// Why a configuration cannot be used. The server must not start with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file itself could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    ReadFile { file: PathBuf, source: io::Error },
    /// `Properties.load` fails on this too, so ZooKeeper would not start either.
    #[error(
        "{}:{line}: malformed \\uXXXX escape (\\u must be followed by four hex digits)",
        file.display()
    )]
    MalformedUnicodeEscape { file: PathBuf, line: usize },
    /// A key's value is wrong, or keys contradict each other. Boxed: it is the largest
    /// variant, and errors travel through every `Result` of the reader.
    #[error(transparent)]
    Key(Box<KeyError>),
    /// The `myid` file an ensemble needs is missing, unreadable or wrong.
    #[error("{}: {problem}", file.display())]
    MyId { file: PathBuf, problem: MyIdProblem },
}

impl ConfigError {
    pub(super) fn key(location: Location, key: &str, problem: KeyProblem) -> Self {
        Self::Key(Box::new(KeyError {
            location,
            key: key.to_owned(),
            problem,
        }))
    }
}

/// A key that cannot be used as the file gives it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {key}: {problem}")]
pub struct KeyError {
    pub location: Location,
    pub key: String,
    pub problem: KeyProblem,
}

/// What is wrong with one key (or with how it fits the others).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("expected {expected}, got {got:?}")]
    Expected { expected: &'static str, got: String },
    #[error("expected at most {maximum}, got {got:?}")]
    TooLarge { maximum: u64, got: String },
    #[error("required")]
    Missing,
    #[error("required when server.N lines define an ensemble")]
    MissingForEnsemble,
    #[error("not supported: {0}")]
    NotSupported(&'static str),
    /// ZooKeeper refuses to start rather than pick one of the two session timeouts.
    #[error(
        "{min} must not be larger than maxSessionTimeout {max}{}",
        if *.max_is_default { " (the default, 20 × tickTime)" } else { "" }
    )]
    MinSessionTimeoutAboveMax {
        min: u32,
        max: u32,
        max_is_default: bool,
    },
    /// Only reported when minSessionTimeout is the default: otherwise that key is blamed.
    #[error("{max} must not be smaller than minSessionTimeout {min} (the default, 2 × tickTime)")]
    MaxSessionTimeoutBelowDefaultMin { max: u32, min: u32 },
    #[error("is set but clientPort is not")]
    AddressWithoutClientPort,
    #[error("server id {id} is already defined on line {earlier_line}")]
    DuplicateServerId { id: ServerId, earlier_line: usize },
    #[error("the quorum port and the election port must differ, both are {port}")]
    QuorumPortIsElectionPort { port: u16 },
    /// Two listeners on one address: the second server could never bind it.
    #[error(
        "{endpoint} ({use_here}) is already the {use_there} of {other_key} on line {other_line}"
    )]
    EndpointInUse {
        endpoint: String,
        use_here: &'static str,
        use_there: &'static str,
        other_key: String,
        other_line: usize,
    },
    #[error("observers need at least one participant server")]
    ObserversWithoutParticipants,
    #[error(
        "observers need an ensemble, but a single participant with standaloneEnabled=true runs \
         standalone"
    )]
    ObserversWithoutEnsemble,
    #[error("false needs at least one participant server.N line")]
    NoParticipants,
    #[error(
        "{static_address} differs from {server_key}'s client address {line_address} (line {line})"
    )]
    ClientAddressMismatch {
        static_address: String,
        server_key: String,
        line_address: String,
        line: usize,
    },
    #[error(
        "required: set clientPort, or give {server_key} a client port \
         (server.N=host:quorumPort:electionPort;clientPort)"
    )]
    NoClientAddress { server_key: String },
}

/// What is wrong with the `myid` file.
#[derive(Debug, thiserror::Error)]
pub enum MyIdProblem {
    #[error(
        "cannot read: {0}; server.N lines define an ensemble, so this file must hold this \
         server's id"
    )]
    Unreadable(io::Error),
    #[error("expected a server id between 0 and 255, got {0:?}")]
    NotAServerId(String),
    #[error("server id {id} has no server.{id} line in {}", config_file.display())]
    NotInEnsemble { id: ServerId, config_file: PathBuf },
}

/// Something the server starts with anyway, but an operator should hear about. The caller logs
/// these (through `tracing`): this module only reads files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    pub location: Location,
    pub key: String,
    pub kind: WarningKind,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}: {}", self.location, self.key, self.kind)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// ZooKeeper turns such keys into Java system properties; there is no JVM here.
    UnknownKey,
    RepeatedKey {
        earlier_line: usize,
    },
    /// ZooKeeper's own correction of a too-small `snapCount` or `autopurge.snapRetainCount`.
    RaisedToMinimum {
        given: i64,
        minimum: u32,
    },
    RelativePath,
    OneParticipantRunsStandalone,
    NoFailureTolerated {
        participants: usize,
    },
    EvenParticipants {
        participants: usize,
    },
    PeerTypeMismatch {
        configured: PeerRole,
        server_key: String,
        from_server_line: PeerRole,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey => write!(formatter, "not a setting Zabkeeper knows, ignored"),
            Self::RepeatedKey { earlier_line } => write!(
                formatter,
                "also set on line {earlier_line}; this later value wins"
            ),
            Self::RaisedToMinimum { given, minimum } => write!(
                formatter,
                "{given} is below the minimum {minimum}; using {minimum}, as ZooKeeper does"
            ),
            Self::RelativePath => write!(
                formatter,
                "relative path, resolved against the working directory"
            ),
            Self::OneParticipantRunsStandalone => write!(
                formatter,
                "the only participant: running standalone and ignoring the server lines, as \
                 ZooKeeper does (standaloneEnabled=false makes a one-server ensemble)"
            ),
            Self::NoFailureTolerated { participants: 1 } => {
                write!(
                    formatter,
                    "1 participant tolerates no failure; 3 tolerate one"
                )
            }
            Self::NoFailureTolerated { participants } => write!(
                formatter,
                "{participants} participants tolerate no failure; 3 tolerate one"
            ),
            Self::EvenParticipants { participants } => write!(
                formatter,
                "{participants} participants tolerate no more failures than {}; an odd count is \
                 better",
                participants - 1
            ),
            Self::PeerTypeMismatch {
                configured,
                server_key,
                from_server_line,
            } => write!(
                formatter,
                "says {configured} but {server_key} says {from_server_line}; the server line \
                 wins, as in ZooKeeper"
            ),
        }
    }
}
