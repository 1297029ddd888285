//! ZooKeeper's operation codes (`ZooDefs.OpCode`): the `type` of a RequestHeader, MultiHeader,
//! TxnHeader and of each sub-txn of a multi.

use thiserror::Error;

/// A value that names no ZooKeeper operation. A server answers such a request with an error
/// instead of guessing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("unknown op code {0}")]
pub struct UnknownOpCode(pub i32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum OpCode {
    /// The type of a watch notification (sent with xid -1).
    Notification = 0,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetAcl = 6,
    SetAcl = 7,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    /// A version check, inside a multi (and a `CheckVersionTxn` in the log).
    Check = 13,
    Multi = 14,
    Create2 = 15,
    Reconfig = 16,
    CheckWatches = 17,
    RemoveWatches = 18,
    CreateContainer = 19,
    /// Sent by the server's container manager, never by clients.
    DeleteContainer = 20,
    CreateTtl = 21,
    MultiRead = 22,
    Auth = 100,
    SetWatches = 101,
    Sasl = 102,
    GetEphemerals = 103,
    GetAllChildrenNumber = 104,
    SetWatches2 = 105,
    AddWatch = 106,
    WhoAmI = 107,
    CreateSession = -10,
    CloseSession = -11,
    /// A failed request's txn, or a failed op inside a multi.
    Error = -1,
}

impl OpCode {
    pub const ALL: [OpCode; 33] = [
        OpCode::Notification,
        OpCode::Create,
        OpCode::Delete,
        OpCode::Exists,
        OpCode::GetData,
        OpCode::SetData,
        OpCode::GetAcl,
        OpCode::SetAcl,
        OpCode::GetChildren,
        OpCode::Sync,
        OpCode::Ping,
        OpCode::GetChildren2,
        OpCode::Check,
        OpCode::Multi,
        OpCode::Create2,
        OpCode::Reconfig,
        OpCode::CheckWatches,
        OpCode::RemoveWatches,
        OpCode::CreateContainer,
        OpCode::DeleteContainer,
        OpCode::CreateTtl,
        OpCode::MultiRead,
        OpCode::Auth,
        OpCode::SetWatches,
        OpCode::Sasl,
        OpCode::GetEphemerals,
        OpCode::GetAllChildrenNumber,
        OpCode::SetWatches2,
        OpCode::AddWatch,
        OpCode::WhoAmI,
        OpCode::CreateSession,
        OpCode::CloseSession,
        OpCode::Error,
    ];

    /// The wire value.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// Whether a client may send this op as a request. Notifications and errors only travel
    /// from server to client; a session starts with a ConnectRequest, not a createSession;
    /// containers are deleted by the server's container manager, not by clients.
    pub fn is_client_request(self) -> bool {
        !matches!(
            self,
            OpCode::Notification | OpCode::Error | OpCode::CreateSession | OpCode::DeleteContainer
        )
    }
}

impl TryFrom<i32> for OpCode {
    type Error = UnknownOpCode;

    fn try_from(code: i32) -> Result<OpCode, UnknownOpCode> {
        OpCode::ALL
            .iter()
            .copied()
            .find(|op_code| op_code.code() == code)
            .ok_or(UnknownOpCode(code))
    }
}

impl From<OpCode> for i32 {
    fn from(op_code: OpCode) -> i32 {
        op_code.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_code_round_trips() {
        for op_code in OpCode::ALL {
            assert_eq!(OpCode::try_from(op_code.code()), Ok(op_code));
        }
    }

    #[test]
    fn values_match_zoo_defs() {
        assert_eq!(OpCode::Create.code(), 1);
        assert_eq!(OpCode::GetChildren2.code(), 12);
        assert_eq!(OpCode::CreateTtl.code(), 21);
        assert_eq!(OpCode::MultiRead.code(), 22);
        assert_eq!(OpCode::SetWatches2.code(), 105);
        assert_eq!(OpCode::WhoAmI.code(), 107);
        assert_eq!(OpCode::CreateSession.code(), -10);
        assert_eq!(OpCode::CloseSession.code(), -11);
        assert_eq!(OpCode::Error.code(), -1);
    }

    #[test]
    fn clients_send_every_op_but_the_servers_own() {
        let servers_own = [
            OpCode::Notification,
            OpCode::Error,
            OpCode::CreateSession,
            OpCode::DeleteContainer,
        ];
        for op_code in OpCode::ALL {
            assert_eq!(
                op_code.is_client_request(),
                !servers_own.contains(&op_code),
                "{op_code:?}"
            );
        }
    }

    #[test]
    fn unknown_values_are_typed_errors() {
        assert_eq!(OpCode::try_from(10), Err(UnknownOpCode(10)));
        assert_eq!(OpCode::try_from(23), Err(UnknownOpCode(23)));
        assert_eq!(OpCode::try_from(-2), Err(UnknownOpCode(-2)));
    }

    #[test]
    fn agree_with_the_models_op_code_table() {
        use zabkeeper_models::tree::op_code;
        assert_eq!(OpCode::Create.code(), op_code::CREATE);
        assert_eq!(OpCode::Check.code(), op_code::CHECK);
        assert_eq!(OpCode::CreateTtl.code(), op_code::CREATE_TTL);
        assert_eq!(OpCode::DeleteContainer.code(), op_code::DELETE_CONTAINER);
        assert_eq!(OpCode::Reconfig.code(), op_code::RECONFIG);
        assert_eq!(OpCode::WhoAmI.code(), op_code::WHO_AM_I);
        assert_eq!(OpCode::CloseSession.code(), op_code::CLOSE_SESSION);
        assert_eq!(OpCode::Error.code(), op_code::ERROR);
    }
}
