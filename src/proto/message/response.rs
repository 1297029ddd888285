//! A server message: ReplyHeader, then the body the request's op code selects (a reply does not
//! say which op it answers; the client matches it to its request by xid). A reply whose header
//! carries an error has no body.

use crate::proto::jute::{self, Deserializer, JuteError};
use crate::proto::opcode::OpCode;
use crate::proto::records::{
    Create2Response, CreateResponse, ErrorResponse, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetDataResponse,
    GetEphemeralsResponse, MultiResponse, ReplyHeader, SetAclResponse, SetDataResponse,
    SetSaslResponse, SyncResponse, WatcherEvent, WhoAmIResponse,
};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResponseBody {
    /// Error replies, and the ops that answer with a header only: delete, check, ping,
    /// closeSession, auth, setWatches, setWatches2, checkWatches, removeWatches.
    Empty,
    /// A watch notification (xid -1).
    Notification(WatcherEvent),
    Create(CreateResponse),
    /// create2, createContainer and createTTL.
    Create2(Create2Response),
    Exists(ExistsResponse),
    /// getData, and reconfig (the new configuration and its stat).
    GetData(GetDataResponse),
    SetData(SetDataResponse),
    GetAcl(GetAclResponse),
    SetAcl(SetAclResponse),
    GetChildren(GetChildrenResponse),
    GetChildren2(GetChildren2Response),
    Sync(SyncResponse),
    /// multi and multiRead.
    Multi(MultiResponse),
    Sasl(SetSaslResponse),
    GetEphemerals(GetEphemeralsResponse),
    GetAllChildrenNumber(GetAllChildrenNumberResponse),
    WhoAmI(WhoAmIResponse),
    /// addWatch answers with an ErrorResponse of 0.
    AddWatch(ErrorResponse),
}

impl ResponseBody {
    /// Decodes the body of a successful reply to a request with op code `op_code`
    /// ([`OpCode::Notification`] for a notification); `input` must hold exactly the body.
    pub fn decode(op_code: OpCode, input: &[u8]) -> Result<ResponseBody, JuteError> {
        fn record<'a, T: Deserialize<'a>>(
            input: &'a [u8],
            variant: fn(T) -> ResponseBody,
        ) -> Result<ResponseBody, JuteError> {
            jute::from_slice(input).map(variant)
        }
        match op_code {
            OpCode::Notification => record(input, ResponseBody::Notification),
            OpCode::Create => record(input, ResponseBody::Create),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                record(input, ResponseBody::Create2)
            }
            OpCode::Exists => record(input, ResponseBody::Exists),
            OpCode::GetData | OpCode::Reconfig => record(input, ResponseBody::GetData),
            OpCode::SetData => record(input, ResponseBody::SetData),
            OpCode::GetAcl => record(input, ResponseBody::GetAcl),
            OpCode::SetAcl => record(input, ResponseBody::SetAcl),
            OpCode::GetChildren => record(input, ResponseBody::GetChildren),
            OpCode::GetChildren2 => record(input, ResponseBody::GetChildren2),
            OpCode::Sync => record(input, ResponseBody::Sync),
            OpCode::Multi | OpCode::MultiRead => record(input, ResponseBody::Multi),
            OpCode::Sasl => record(input, ResponseBody::Sasl),
            OpCode::GetEphemerals => record(input, ResponseBody::GetEphemerals),
            OpCode::GetAllChildrenNumber => record(input, ResponseBody::GetAllChildrenNumber),
            OpCode::WhoAmI => record(input, ResponseBody::WhoAmI),
            OpCode::AddWatch => record(input, ResponseBody::AddWatch),
            OpCode::Delete
            | OpCode::Check
            | OpCode::Ping
            | OpCode::CloseSession
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CheckWatches
            | OpCode::RemoveWatches => jute::from_slice::<()>(input).map(|()| ResponseBody::Empty),
            OpCode::DeleteContainer | OpCode::CreateSession | OpCode::Error => {
                Err(JuteError::UnexpectedOpCode {
                    op_code,
                    context: "a reply to a client request",
                })
            }
        }
    }

    /// Appends the jute encoding of this body to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), JuteError> {
        match self {
            ResponseBody::Empty => Ok(()),
            ResponseBody::Notification(body) => jute::to_writer(out, body),
            ResponseBody::Create(body) => jute::to_writer(out, body),
            ResponseBody::Create2(body) => jute::to_writer(out, body),
            ResponseBody::Exists(body) => jute::to_writer(out, body),
            ResponseBody::GetData(body) => jute::to_writer(out, body),
            ResponseBody::SetData(body) => jute::to_writer(out, body),
            ResponseBody::GetAcl(body) => jute::to_writer(out, body),
            ResponseBody::SetAcl(body) => jute::to_writer(out, body),
            ResponseBody::GetChildren(body) => jute::to_writer(out, body),
            ResponseBody::GetChildren2(body) => jute::to_writer(out, body),
            ResponseBody::Sync(body) => jute::to_writer(out, body),
            ResponseBody::Multi(body) => jute::to_writer(out, body),
            ResponseBody::Sasl(body) => jute::to_writer(out, body),
            ResponseBody::GetEphemerals(body) => jute::to_writer(out, body),
            ResponseBody::GetAllChildrenNumber(body) => jute::to_writer(out, body),
            ResponseBody::WhoAmI(body) => jute::to_writer(out, body),
            ResponseBody::AddWatch(body) => jute::to_writer(out, body),
        }
    }
}

/// A whole server frame after the handshake.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    pub header: ReplyHeader,
    pub body: ResponseBody,
}

impl Response {
    /// Decodes a frame's payload that answers a request with op code `request_op_code` (pass
    /// [`OpCode::Notification`] for xid -1). A reply with a non-zero error has an empty body.
    pub fn decode(payload: &[u8], request_op_code: OpCode) -> Result<Response, JuteError> {
        let mut reader = Deserializer::new(payload);
        let header: ReplyHeader = reader.read()?;
        let body = if header.err == 0 {
            ResponseBody::decode(request_op_code, reader.remaining())?
        } else {
            reader.end()?;
            ResponseBody::Empty
        };
        Ok(Response { header, body })
    }

    /// Encodes the frame's payload.
    pub fn encode(&self) -> Result<Vec<u8>, JuteError> {
        let mut out = jute::to_vec(&self.header)?;
        self.body.encode_into(&mut out)?;
        Ok(out)
    }
}
