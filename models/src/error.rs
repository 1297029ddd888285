//! ZooKeeper's error codes (`KeeperException.Code`), the values a client sees in a reply header
//! or in a multi's per-op results.

use serde::{Deserialize, Serialize};

/// An error code as it travels on the wire (`int err`). `Ok` is code 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum ErrorCode {
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    UnknownSession = -12,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    ThrottledOp = -127,
}

impl ErrorCode {
    const ALL: [ErrorCode; 32] = [
        ErrorCode::Ok,
        ErrorCode::SystemError,
        ErrorCode::RuntimeInconsistency,
        ErrorCode::DataInconsistency,
        ErrorCode::ConnectionLoss,
        ErrorCode::MarshallingError,
        ErrorCode::Unimplemented,
        ErrorCode::OperationTimeout,
        ErrorCode::BadArguments,
        ErrorCode::UnknownSession,
        ErrorCode::NewConfigNoQuorum,
        ErrorCode::ReconfigInProgress,
        ErrorCode::ApiError,
        ErrorCode::NoNode,
        ErrorCode::NoAuth,
        ErrorCode::BadVersion,
        ErrorCode::NoChildrenForEphemerals,
        ErrorCode::NodeExists,
        ErrorCode::NotEmpty,
        ErrorCode::SessionExpired,
        ErrorCode::InvalidCallback,
        ErrorCode::InvalidAcl,
        ErrorCode::AuthFailed,
        ErrorCode::SessionMoved,
        ErrorCode::NotReadOnly,
        ErrorCode::EphemeralOnLocalSession,
        ErrorCode::NoWatcher,
        ErrorCode::RequestTimeout,
        ErrorCode::ReconfigDisabled,
        ErrorCode::SessionClosedRequireSaslAuth,
        ErrorCode::QuotaExceeded,
        ErrorCode::ThrottledOp,
    ];

    /// The wire value.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The code for a wire value, or `None` for a value ZooKeeper does not define.
    pub fn from_code(code: i32) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|error| error.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for error in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(error.code()), Some(error));
        }
        assert_eq!(ErrorCode::from_code(-9), None);
    }

    /// Every code pinned to the value `KeeperException.Code` gives it: clients decode these
    /// numbers, so a changed one is a wire break.
    #[test]
    fn codes_match_keeper_exception() {
        let keeper_exception = [
            (ErrorCode::Ok, 0),
            (ErrorCode::SystemError, -1),
            (ErrorCode::RuntimeInconsistency, -2),
            (ErrorCode::DataInconsistency, -3),
            (ErrorCode::ConnectionLoss, -4),
            (ErrorCode::MarshallingError, -5),
            (ErrorCode::Unimplemented, -6),
            (ErrorCode::OperationTimeout, -7),
            (ErrorCode::BadArguments, -8),
            (ErrorCode::UnknownSession, -12),
            (ErrorCode::NewConfigNoQuorum, -13),
            (ErrorCode::ReconfigInProgress, -14),
            (ErrorCode::ApiError, -100),
            (ErrorCode::NoNode, -101),
            (ErrorCode::NoAuth, -102),
            (ErrorCode::BadVersion, -103),
            (ErrorCode::NoChildrenForEphemerals, -108),
            (ErrorCode::NodeExists, -110),
            (ErrorCode::NotEmpty, -111),
            (ErrorCode::SessionExpired, -112),
            (ErrorCode::InvalidCallback, -113),
            (ErrorCode::InvalidAcl, -114),
            (ErrorCode::AuthFailed, -115),
            (ErrorCode::SessionMoved, -118),
            (ErrorCode::NotReadOnly, -119),
            (ErrorCode::EphemeralOnLocalSession, -120),
            (ErrorCode::NoWatcher, -121),
            (ErrorCode::RequestTimeout, -122),
            (ErrorCode::ReconfigDisabled, -123),
            (ErrorCode::SessionClosedRequireSaslAuth, -124),
            (ErrorCode::QuotaExceeded, -125),
            (ErrorCode::ThrottledOp, -127),
        ];
        assert_eq!(keeper_exception.len(), ErrorCode::ALL.len());
        for (error, code) in keeper_exception {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }
}
