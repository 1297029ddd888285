//! A client request: RequestHeader, then the body its op code selects.

use crate::proto::jute::{self, Deserializer, JuteError};
use crate::proto::opcode::OpCode;
use crate::proto::records::{
    AddWatchRequest, AuthPacket, CheckVersionRequest, CheckWatchesRequest, CreateRequest,
    CreateTtlRequest, DeleteRequest, ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest,
    GetChildren2Request, GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, MultiRequest,
    ReconfigRequest, RemoveWatchesRequest, RequestHeader, SetAclRequest, SetDataRequest,
    SetSaslRequest, SetWatches, SetWatches2, SyncRequest,
};
use serde::Deserialize;

/// The body of a client request, named by its op code. Ping, whoAmI and closeSession have no
/// body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestBody {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    Exists(ExistsRequest),
    GetData(GetDataRequest),
    SetData(SetDataRequest),
    GetAcl(GetAclRequest),
    SetAcl(SetAclRequest),
    GetChildren(GetChildrenRequest),
    GetChildren2(GetChildren2Request),
    Sync(SyncRequest),
    Ping,
    Check(CheckVersionRequest),
    Multi(MultiRequest),
    MultiRead(MultiRequest),
    Reconfig(ReconfigRequest),
    CheckWatches(CheckWatchesRequest),
    RemoveWatches(RemoveWatchesRequest),
    Auth(AuthPacket),
    SetWatches(SetWatches),
    SetWatches2(SetWatches2),
    Sasl(SetSaslRequest),
    GetEphemerals(GetEphemeralsRequest),
    GetAllChildrenNumber(GetAllChildrenNumberRequest),
    AddWatch(AddWatchRequest),
    WhoAmI,
    CloseSession,
}

impl RequestBody {
    pub fn op_code(&self) -> OpCode {
        match self {
            RequestBody::Create(_) => OpCode::Create,
            RequestBody::Create2(_) => OpCode::Create2,
            RequestBody::CreateContainer(_) => OpCode::CreateContainer,
            RequestBody::CreateTtl(_) => OpCode::CreateTtl,
            RequestBody::Delete(_) => OpCode::Delete,
            RequestBody::Exists(_) => OpCode::Exists,
            RequestBody::GetData(_) => OpCode::GetData,
            RequestBody::SetData(_) => OpCode::SetData,
            RequestBody::GetAcl(_) => OpCode::GetAcl,
            RequestBody::SetAcl(_) => OpCode::SetAcl,
            RequestBody::GetChildren(_) => OpCode::GetChildren,
            RequestBody::GetChildren2(_) => OpCode::GetChildren2,
            RequestBody::Sync(_) => OpCode::Sync,
            RequestBody::Ping => OpCode::Ping,
            RequestBody::Check(_) => OpCode::Check,
            RequestBody::Multi(_) => OpCode::Multi,
            RequestBody::MultiRead(_) => OpCode::MultiRead,
            RequestBody::Reconfig(_) => OpCode::Reconfig,
            RequestBody::CheckWatches(_) => OpCode::CheckWatches,
            RequestBody::RemoveWatches(_) => OpCode::RemoveWatches,
            RequestBody::Auth(_) => OpCode::Auth,
            RequestBody::SetWatches(_) => OpCode::SetWatches,
            RequestBody::SetWatches2(_) => OpCode::SetWatches2,
            RequestBody::Sasl(_) => OpCode::Sasl,
            RequestBody::GetEphemerals(_) => OpCode::GetEphemerals,
            RequestBody::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            RequestBody::AddWatch(_) => OpCode::AddWatch,
            RequestBody::WhoAmI => OpCode::WhoAmI,
            RequestBody::CloseSession => OpCode::CloseSession,
        }
    }

    /// Decodes the body of a request with op code `op_code`; `input` is everything after the
    /// header and must hold exactly the body. A server reads the header first, so that it can
    /// answer under the request's xid when this fails.
    pub fn decode(op_code: OpCode, input: &[u8]) -> Result<RequestBody, JuteError> {
        let (body, consumed) = RequestBody::decode_prefix(op_code, input)?;
        if consumed < input.len() {
            return Err(JuteError::TrailingBytes(input.len() - consumed));
        }
        Ok(body)
    }

    /// Decodes the body of a request with op code `op_code` from the front of `input`, and
    /// tells how many bytes it took. ZooKeeper's server reads a request this way: it decodes
    /// the record the op names and ignores whatever follows it in the frame.
    pub fn decode_prefix(op_code: OpCode, input: &[u8]) -> Result<(RequestBody, usize), JuteError> {
        fn record<'a, T: Deserialize<'a>>(
            input: &'a [u8],
            variant: fn(T) -> RequestBody,
        ) -> Result<(RequestBody, usize), JuteError> {
            jute::from_slice_prefix(input).map(|(value, consumed)| (variant(value), consumed))
        }
        fn nothing(body: RequestBody) -> Result<(RequestBody, usize), JuteError> {
            Ok((body, 0))
        }
        match op_code {
            OpCode::Create => record(input, RequestBody::Create),
            OpCode::Create2 => record(input, RequestBody::Create2),
            OpCode::CreateContainer => record(input, RequestBody::CreateContainer),
            OpCode::CreateTtl => record(input, RequestBody::CreateTtl),
            OpCode::Delete => record(input, RequestBody::Delete),
            OpCode::Exists => record(input, RequestBody::Exists),
            OpCode::GetData => record(input, RequestBody::GetData),
            OpCode::SetData => record(input, RequestBody::SetData),
            OpCode::GetAcl => record(input, RequestBody::GetAcl),
            OpCode::SetAcl => record(input, RequestBody::SetAcl),
            OpCode::GetChildren => record(input, RequestBody::GetChildren),
            OpCode::GetChildren2 => record(input, RequestBody::GetChildren2),
            OpCode::Sync => record(input, RequestBody::Sync),
            OpCode::Ping => nothing(RequestBody::Ping),
            OpCode::Check => record(input, RequestBody::Check),
            OpCode::Multi => record(input, RequestBody::Multi),
            OpCode::MultiRead => record(input, RequestBody::MultiRead),
            OpCode::Reconfig => record(input, RequestBody::Reconfig),
            OpCode::CheckWatches => record(input, RequestBody::CheckWatches),
            OpCode::RemoveWatches => record(input, RequestBody::RemoveWatches),
            OpCode::Auth => record(input, RequestBody::Auth),
            OpCode::SetWatches => record(input, RequestBody::SetWatches),
            OpCode::SetWatches2 => record(input, RequestBody::SetWatches2),
            OpCode::Sasl => record(input, RequestBody::Sasl),
            OpCode::GetEphemerals => record(input, RequestBody::GetEphemerals),
            OpCode::GetAllChildrenNumber => record(input, RequestBody::GetAllChildrenNumber),
            OpCode::AddWatch => record(input, RequestBody::AddWatch),
            OpCode::WhoAmI => nothing(RequestBody::WhoAmI),
            OpCode::CloseSession => nothing(RequestBody::CloseSession),
            OpCode::Notification
            | OpCode::DeleteContainer
            | OpCode::CreateSession
            | OpCode::Error => Err(JuteError::UnexpectedOpCode {
                op_code,
                context: "a client request",
            }),
        }
    }

    /// Appends the jute encoding of this body to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), JuteError> {
        match self {
            RequestBody::Create(body)
            | RequestBody::Create2(body)
            | RequestBody::CreateContainer(body) => jute::to_writer(out, body),
            RequestBody::CreateTtl(body) => jute::to_writer(out, body),
            RequestBody::Delete(body) => jute::to_writer(out, body),
            RequestBody::Exists(body) => jute::to_writer(out, body),
            RequestBody::GetData(body) => jute::to_writer(out, body),
            RequestBody::SetData(body) => jute::to_writer(out, body),
            RequestBody::GetAcl(body) => jute::to_writer(out, body),
            RequestBody::SetAcl(body) => jute::to_writer(out, body),
            RequestBody::GetChildren(body) => jute::to_writer(out, body),
            RequestBody::GetChildren2(body) => jute::to_writer(out, body),
            RequestBody::Sync(body) => jute::to_writer(out, body),
            RequestBody::Check(body) => jute::to_writer(out, body),
            RequestBody::Multi(body) | RequestBody::MultiRead(body) => jute::to_writer(out, body),
            RequestBody::Reconfig(body) => jute::to_writer(out, body),
            RequestBody::CheckWatches(body) => jute::to_writer(out, body),
            RequestBody::RemoveWatches(body) => jute::to_writer(out, body),
            RequestBody::Auth(body) => jute::to_writer(out, body),
            RequestBody::SetWatches(body) => jute::to_writer(out, body),
            RequestBody::SetWatches2(body) => jute::to_writer(out, body),
            RequestBody::Sasl(body) => jute::to_writer(out, body),
            RequestBody::GetEphemerals(body) => jute::to_writer(out, body),
            RequestBody::GetAllChildrenNumber(body) => jute::to_writer(out, body),
            RequestBody::AddWatch(body) => jute::to_writer(out, body),
            RequestBody::Ping | RequestBody::WhoAmI | RequestBody::CloseSession => Ok(()),
        }
    }
}

/// A whole request frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    pub header: RequestHeader,
    pub body: RequestBody,
}

impl Request {
    /// A request whose header carries the body's op code.
    pub fn new(xid: i32, body: RequestBody) -> Request {
        Request {
            header: RequestHeader::new(xid, body.op_code()),
            body,
        }
    }

    /// Decodes a frame's payload.
    pub fn decode(payload: &[u8]) -> Result<Request, JuteError> {
        let mut reader = Deserializer::new(payload);
        let header: RequestHeader = reader.read()?;
        let body = RequestBody::decode(header.op_code()?, reader.remaining())?;
        Ok(Request { header, body })
    }

    /// Encodes the frame's payload. The header's op code must be the body's.
    pub fn encode(&self) -> Result<Vec<u8>, JuteError> {
        let op_code = self.header.op_code()?;
        if op_code != self.body.op_code() {
            return Err(JuteError::UnexpectedOpCode {
                op_code: self.body.op_code(),
                context: "a request whose header names another op",
            });
        }
        let mut out = jute::to_vec(&self.header)?;
        self.body.encode_into(&mut out)?;
        Ok(out)
    }
}
