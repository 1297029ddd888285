//! A txn as the log stores it and a PROPOSAL carries it: the TxnHeader, the record its type
//! selects, and an optional TxnDigest. The layout depends on values (the header's type picks
//! the body; the digest is there or not), so this is explicit code over the jute reader rather
//! than a derived record.
//!
//! Old forms decode too, tried when the current form does not account for the whole entry: a
//! create without `parentCVersion` (logs from before 3.3) and a closeSession without a body
//! (before 3.6, or with `zookeeper.closeSessionTxn.enabled=false`). ZooKeeper 3.8 writes a
//! digest after every txn except error txns.

use super::jute::{self, Deserializer, JuteError};
use super::opcode::OpCode;
use super::records::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, CreateTxnV0, DeleteTxn, ErrorTxn, MultiTxn, SetAclTxn, SetDataTxn, Txn, TxnDigest,
    TxnHeader,
};
use serde::Deserialize;

/// A txn record, named by the op code of its header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TxnBody {
    Create(CreateTxn),
    /// A create logged before ZooKeeper 3.3; only a top-level create (type 1) takes this form.
    CreateV0(CreateTxnV0),
    Create2(CreateTxn),
    CreateContainer(CreateContainerTxn),
    CreateTtl(CreateTtlTxn),
    Delete(DeleteTxn),
    DeleteContainer(DeleteTxn),
    SetData(SetDataTxn),
    Reconfig(SetDataTxn),
    SetAcl(SetAclTxn),
    CheckVersion(CheckVersionTxn),
    /// A `MultiTxn`, its sub-txns decoded.
    Multi(Vec<TxnBody>),
    CreateSession(CreateSessionTxn),
    /// `None` for a closeSession logged without a body.
    CloseSession(Option<CloseSessionTxn>),
    Error(ErrorTxn),
}

impl TxnBody {
    pub fn op_code(&self) -> OpCode {
        match self {
            TxnBody::Create(_) | TxnBody::CreateV0(_) => OpCode::Create,
            TxnBody::Create2(_) => OpCode::Create2,
            TxnBody::CreateContainer(_) => OpCode::CreateContainer,
            TxnBody::CreateTtl(_) => OpCode::CreateTtl,
            TxnBody::Delete(_) => OpCode::Delete,
            TxnBody::DeleteContainer(_) => OpCode::DeleteContainer,
            TxnBody::SetData(_) => OpCode::SetData,
            TxnBody::Reconfig(_) => OpCode::Reconfig,
            TxnBody::SetAcl(_) => OpCode::SetAcl,
            TxnBody::CheckVersion(_) => OpCode::Check,
            TxnBody::Multi(_) => OpCode::Multi,
            TxnBody::CreateSession(_) => OpCode::CreateSession,
            TxnBody::CloseSession(_) => OpCode::CloseSession,
            TxnBody::Error(_) => OpCode::Error,
        }
    }

    /// Whether ZooKeeper accepts this body as a sub-txn of a multi.
    pub fn is_allowed_in_multi(&self) -> bool {
        allowed_in_multi(self.op_code())
    }

    /// Decodes the body of a txn of type `op_code` from the front of `input`, in the form
    /// current ZooKeeper writes, returning it and the bytes it took.
    pub fn decode_prefix(op_code: OpCode, input: &[u8]) -> Result<(TxnBody, usize), JuteError> {
        fn prefix<'a, T: Deserialize<'a>>(
            input: &'a [u8],
            variant: fn(T) -> TxnBody,
        ) -> Result<(TxnBody, usize), JuteError> {
            let (record, consumed) = jute::from_slice_prefix(input)?;
            Ok((variant(record), consumed))
        }
        match op_code {
            OpCode::Create => prefix(input, TxnBody::Create),
            OpCode::Create2 => prefix(input, TxnBody::Create2),
            OpCode::CreateContainer => prefix(input, TxnBody::CreateContainer),
            OpCode::CreateTtl => prefix(input, TxnBody::CreateTtl),
            OpCode::Delete => prefix(input, TxnBody::Delete),
            OpCode::DeleteContainer => prefix(input, TxnBody::DeleteContainer),
            OpCode::SetData => prefix(input, TxnBody::SetData),
            OpCode::Reconfig => prefix(input, TxnBody::Reconfig),
            OpCode::SetAcl => prefix(input, TxnBody::SetAcl),
            OpCode::Check => prefix(input, TxnBody::CheckVersion),
            OpCode::Multi => {
                let (multi, consumed) = jute::from_slice_prefix::<MultiTxn>(input)?;
                let bodies = multi
                    .txns
                    .iter()
                    .map(TxnBody::from_multi_txn)
                    .collect::<Result<_, _>>()?;
                Ok((TxnBody::Multi(bodies), consumed))
            }
            OpCode::CreateSession => prefix(input, TxnBody::CreateSession),
            OpCode::CloseSession => prefix(input, |close| TxnBody::CloseSession(Some(close))),
            OpCode::Error => prefix(input, TxnBody::Error),
            _ => Err(JuteError::UnexpectedOpCode {
                op_code,
                context: "a txn",
            }),
        }
    }

    /// The older forms a logged txn of type `op_code` may take, tried after the current one.
    fn decode_older_forms(op_code: OpCode, input: &[u8]) -> Option<(TxnBody, usize)> {
        match op_code {
            OpCode::Create => jute::from_slice_prefix::<CreateTxnV0>(input)
                .ok()
                .map(|(create, consumed)| (TxnBody::CreateV0(create), consumed)),
            OpCode::CloseSession => Some((TxnBody::CloseSession(None), 0)),
            _ => None,
        }
    }

    /// Decodes one sub-txn of a multi: its data must hold exactly one record.
    pub fn from_multi_txn(txn: &Txn) -> Result<TxnBody, JuteError> {
        let op_code = OpCode::try_from(txn.txn_type)?;
        // Checked before decoding: a multi inside a multi would otherwise recurse as deep as
        // the input allows.
        if !allowed_in_multi(op_code) {
            return Err(JuteError::UnexpectedOpCode {
                op_code,
                context: "a multi's sub-txn",
            });
        }
        let (body, consumed) = TxnBody::decode_prefix(op_code, &txn.data)?;
        if consumed != txn.data.len() {
            return Err(JuteError::TrailingBytes(txn.data.len() - consumed));
        }
        Ok(body)
    }

    /// Encodes this body as a sub-txn of a multi.
    pub fn to_multi_txn(&self) -> Result<Txn, JuteError> {
        if !self.is_allowed_in_multi() {
            return Err(JuteError::UnexpectedOpCode {
                op_code: self.op_code(),
                context: "a multi's sub-txn",
            });
        }
        let mut data = Vec::new();
        self.encode_into(&mut data)?;
        Ok(Txn {
            txn_type: self.op_code().code(),
            data,
        })
    }

    /// Appends the jute encoding of this body to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), JuteError> {
        match self {
            TxnBody::Create(txn) | TxnBody::Create2(txn) => jute::to_writer(out, txn),
            TxnBody::CreateV0(txn) => jute::to_writer(out, txn),
            TxnBody::CreateContainer(txn) => jute::to_writer(out, txn),
            TxnBody::CreateTtl(txn) => jute::to_writer(out, txn),
            TxnBody::Delete(txn) | TxnBody::DeleteContainer(txn) => jute::to_writer(out, txn),
            TxnBody::SetData(txn) | TxnBody::Reconfig(txn) => jute::to_writer(out, txn),
            TxnBody::SetAcl(txn) => jute::to_writer(out, txn),
            TxnBody::CheckVersion(txn) => jute::to_writer(out, txn),
            TxnBody::Multi(bodies) => {
                let txns = bodies
                    .iter()
                    .map(TxnBody::to_multi_txn)
                    .collect::<Result<_, _>>()?;
                jute::to_writer(out, &MultiTxn { txns })
            }
            TxnBody::CreateSession(txn) => jute::to_writer(out, txn),
            TxnBody::CloseSession(Some(txn)) => jute::to_writer(out, txn),
            TxnBody::CloseSession(None) => Ok(()),
            TxnBody::Error(txn) => jute::to_writer(out, txn),
        }
    }
}

/// What may follow a body: nothing, or exactly one digest.
fn digest_after(input: &[u8]) -> Result<Option<TxnDigest>, JuteError> {
    if input.is_empty() {
        Ok(None)
    } else {
        jute::from_slice(input).map(Some)
    }
}

/// The sub-txn types ZooKeeper's DataTree applies inside a multi.
fn allowed_in_multi(op_code: OpCode) -> bool {
    matches!(
        op_code,
        OpCode::Create
            | OpCode::Create2
            | OpCode::CreateContainer
            | OpCode::CreateTtl
            | OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::SetData
            | OpCode::Check
            | OpCode::Error
    )
}

/// One txn: what a log record's payload holds (between its length and its end byte 0x42) and
/// what a PROPOSAL's data carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxnEntry {
    pub header: TxnHeader,
    pub body: TxnBody,
    /// The tree digest after this txn; absent in logs written without digests and for error
    /// txns.
    pub digest: Option<TxnDigest>,
}

impl TxnEntry {
    /// Decodes a whole entry: the header, the body in the first form under which the rest is
    /// exactly one TxnDigest or nothing (the current form first, then older ones).
    pub fn decode(input: &[u8]) -> Result<TxnEntry, JuteError> {
        let mut reader = Deserializer::new(input);
        let header: TxnHeader = reader.read()?;
        let op_code = OpCode::try_from(header.txn_type)?;
        let after_header = reader.remaining();
        let current = TxnBody::decode_prefix(op_code, after_header)
            .and_then(|(body, consumed)| Ok((body, digest_after(&after_header[consumed..])?)));
        let (body, digest) = match current {
            Ok(decoded) => decoded,
            Err(error) => TxnBody::decode_older_forms(op_code, after_header)
                .and_then(|(body, consumed)| {
                    let digest = digest_after(&after_header[consumed..]).ok()?;
                    Some((body, digest))
                })
                .ok_or(error)?,
        };
        Ok(TxnEntry {
            header,
            body,
            digest,
        })
    }

    /// Encodes the entry. The header's type must be the body's op code.
    pub fn encode(&self) -> Result<Vec<u8>, JuteError> {
        if self.header.txn_type != self.body.op_code().code() {
            return Err(JuteError::TxnTypeMismatch {
                header_type: self.header.txn_type,
                body: self.body.op_code(),
            });
        }
        let mut out = jute::to_vec(&self.header)?;
        self.body.encode_into(&mut out)?;
        if let Some(digest) = &self.digest {
            jute::to_writer(&mut out, digest)?;
        }
        Ok(out)
    }
}
