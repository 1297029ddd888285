//! The multi encoding (`MultiOperationRecord`, `MultiResponse`): not a jute record but a
//! sequence of MultiHeader-prefixed ops, ended by the header `{type: -1, done: true, err: -1}`.
//! The same encoding serves multi (14, writes) and multiRead (22, reads).
//!
//! A failed multi still answers with ReplyHeader err 0 and one result per op: every op becomes
//! an error result, with err 0 for the ops before the failing one, the failure's code for it,
//! and RuntimeInconsistency (-2) for the ops after it.

use super::headers::MultiHeader;
use super::requests::{
    CheckVersionRequest, CreateRequest, CreateTtlRequest, DeleteRequest, GetChildrenRequest,
    GetDataRequest, SetDataRequest,
};
use super::responses::{
    Create2Response, CreateResponse, ErrorResponse, GetChildrenResponse, GetDataResponse,
    SetDataResponse,
};
use crate::proto::opcode::OpCode;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Unexpected, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use std::fmt;

/// One op of a multi request, named by the op code its MultiHeader carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiOp {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetChildren(GetChildrenRequest),
    GetData(GetDataRequest),
}

impl MultiOp {
    pub fn op_code(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
            MultiOp::GetData(_) => OpCode::GetData,
        }
    }

    /// Whether this op belongs in a multiRead; ZooKeeper refuses a multi mixing both kinds.
    pub fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetChildren(_) | MultiOp::GetData(_))
    }
}

/// The body of a multi or multiRead request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MultiRequest {
    pub ops: Vec<MultiOp>,
}

/// One result of a multi response, named by the op code its MultiHeader carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiOpResult {
    Create(CreateResponse),
    /// The result of create2, createContainer and createTTL ops.
    Create2(Create2Response),
    Delete,
    SetData(SetDataResponse),
    Check,
    GetChildren(GetChildrenResponse),
    GetData(GetDataResponse),
    /// A failed op, or any op of a failed multi.
    Error(ErrorResponse),
}

impl MultiOpResult {
    pub fn op_code(&self) -> OpCode {
        match self {
            MultiOpResult::Create(_) => OpCode::Create,
            MultiOpResult::Create2(_) => OpCode::Create2,
            MultiOpResult::Delete => OpCode::Delete,
            MultiOpResult::SetData(_) => OpCode::SetData,
            MultiOpResult::Check => OpCode::Check,
            MultiOpResult::GetChildren(_) => OpCode::GetChildren,
            MultiOpResult::GetData(_) => OpCode::GetData,
            MultiOpResult::Error(_) => OpCode::Error,
        }
    }

    /// The header before this result: err repeats an error result's code, 0 otherwise.
    fn header(&self) -> MultiHeader {
        MultiHeader {
            op_type: self.op_code().code(),
            done: false,
            err: match self {
                MultiOpResult::Error(error) => error.err,
                _ => 0,
            },
        }
    }
}

/// The body of a multi or multiRead response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MultiResponse {
    pub results: Vec<MultiOpResult>,
}

impl Serialize for MultiRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sequence = serializer.serialize_tuple(2 * self.ops.len() + 1)?;
        for op in &self.ops {
            sequence.serialize_element(&MultiHeader {
                op_type: op.op_code().code(),
                done: false,
                err: -1,
            })?;
            match op {
                MultiOp::Create(request)
                | MultiOp::Create2(request)
                | MultiOp::CreateContainer(request) => sequence.serialize_element(request)?,
                MultiOp::CreateTtl(request) => sequence.serialize_element(request)?,
                MultiOp::Delete(request) => sequence.serialize_element(request)?,
                MultiOp::SetData(request) => sequence.serialize_element(request)?,
                MultiOp::Check(request) => sequence.serialize_element(request)?,
                MultiOp::GetChildren(request) => sequence.serialize_element(request)?,
                MultiOp::GetData(request) => sequence.serialize_element(request)?,
            }
        }
        sequence.serialize_element(&MultiHeader::DONE)?;
        sequence.end()
    }
}

impl Serialize for MultiResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bodies = self
            .results
            .iter()
            .filter(|result| !matches!(result, MultiOpResult::Delete | MultiOpResult::Check))
            .count();
        let mut sequence = serializer.serialize_tuple(self.results.len() + bodies + 1)?;
        for result in &self.results {
            sequence.serialize_element(&result.header())?;
            match result {
                MultiOpResult::Create(response) => sequence.serialize_element(response)?,
                MultiOpResult::Create2(response) => sequence.serialize_element(response)?,
                MultiOpResult::SetData(response) => sequence.serialize_element(response)?,
                MultiOpResult::GetChildren(response) => sequence.serialize_element(response)?,
                MultiOpResult::GetData(response) => sequence.serialize_element(response)?,
                MultiOpResult::Error(response) => sequence.serialize_element(response)?,
                MultiOpResult::Delete | MultiOpResult::Check => {}
            }
        }
        sequence.serialize_element(&MultiHeader::DONE)?;
        sequence.end()
    }
}

/// The length a multi sequence is read with: unknown, the done header ends it.
const UNTIL_DONE: usize = usize::MAX;

impl<'de> Deserialize<'de> for MultiRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MultiRequest, D::Error> {
        deserializer.deserialize_tuple(UNTIL_DONE, MultiRequestVisitor)
    }
}

impl<'de> Deserialize<'de> for MultiResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MultiResponse, D::Error> {
        deserializer.deserialize_tuple(UNTIL_DONE, MultiResponseVisitor)
    }
}

fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    sequence: &mut A,
    index: &mut usize,
) -> Result<T, A::Error> {
    let element = sequence
        .next_element()?
        .ok_or_else(|| de::Error::invalid_length(*index, &"a sequence ended by a done header"))?;
    *index += 1;
    Ok(element)
}

fn unexpected_op<E: de::Error>(op_type: i32, expected: &'static str) -> E {
    E::invalid_value(Unexpected::Signed(op_type.into()), &expected)
}

struct MultiRequestVisitor;

impl<'de> Visitor<'de> for MultiRequestVisitor {
    type Value = MultiRequest;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("multi request ops")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<MultiRequest, A::Error> {
        const EXPECTED: &str = "the op code of a create, delete, setData, check, getChildren \
                                or getData op";
        let mut index = 0;
        let mut ops = Vec::new();
        loop {
            let header: MultiHeader = next(&mut sequence, &mut index)?;
            if header.done {
                return Ok(MultiRequest { ops });
            }
            let op_code = OpCode::try_from(header.op_type)
                .map_err(|_| unexpected_op(header.op_type, EXPECTED))?;
            let op = match op_code {
                OpCode::Create => MultiOp::Create(next(&mut sequence, &mut index)?),
                OpCode::Create2 => MultiOp::Create2(next(&mut sequence, &mut index)?),
                OpCode::CreateContainer => {
                    MultiOp::CreateContainer(next(&mut sequence, &mut index)?)
                }
                OpCode::CreateTtl => MultiOp::CreateTtl(next(&mut sequence, &mut index)?),
                OpCode::Delete => MultiOp::Delete(next(&mut sequence, &mut index)?),
                OpCode::SetData => MultiOp::SetData(next(&mut sequence, &mut index)?),
                OpCode::Check => MultiOp::Check(next(&mut sequence, &mut index)?),
                OpCode::GetChildren => MultiOp::GetChildren(next(&mut sequence, &mut index)?),
                OpCode::GetData => MultiOp::GetData(next(&mut sequence, &mut index)?),
                _ => return Err(unexpected_op(header.op_type, EXPECTED)),
            };
            ops.push(op);
        }
    }
}

struct MultiResponseVisitor;

impl<'de> Visitor<'de> for MultiResponseVisitor {
    type Value = MultiResponse;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("multi response results")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<MultiResponse, A::Error> {
        const EXPECTED: &str = "the op code of a multi result";
        let mut index = 0;
        let mut results = Vec::new();
        loop {
            let header: MultiHeader = next(&mut sequence, &mut index)?;
            if header.done {
                return Ok(MultiResponse { results });
            }
            let op_code = OpCode::try_from(header.op_type)
                .map_err(|_| unexpected_op(header.op_type, EXPECTED))?;
            // An error result's code is read from its body, as ZooKeeper's client does.
            let result = match op_code {
                OpCode::Create => MultiOpResult::Create(next(&mut sequence, &mut index)?),
                OpCode::Create2 => MultiOpResult::Create2(next(&mut sequence, &mut index)?),
                OpCode::Delete => MultiOpResult::Delete,
                OpCode::SetData => MultiOpResult::SetData(next(&mut sequence, &mut index)?),
                OpCode::Check => MultiOpResult::Check,
                OpCode::GetChildren => MultiOpResult::GetChildren(next(&mut sequence, &mut index)?),
                OpCode::GetData => MultiOpResult::GetData(next(&mut sequence, &mut index)?),
                OpCode::Error => MultiOpResult::Error(next(&mut sequence, &mut index)?),
                _ => return Err(unexpected_op(header.op_type, EXPECTED)),
            };
            results.push(result);
        }
    }
}
