//! Conversions between the wire records and the protocol core's types in
//! [`zabkeeper_models::tree`]. The core keeps typed values (`Zxid`, `SessionId`, `ErrorCode`);
//! the wire keeps jute's raw ints and longs, reinterpreted bit for bit.
//!
//! Two things the wire carries have no place in the core, so a wire → core → wire trip loses
//! them: a null data buffer (the core holds empty data, so it comes back as a zero-length
//! buffer) and the form of old records (a pre-3.3 create becomes a create with parent cversion
//! -1, a closeSession without a body one with an empty list). Digests travel beside the core's
//! txn, in [`TxnEntry::digest`].

use super::records::{self as wire};
use super::txn_entry::{TxnBody, TxnEntry};
use thiserror::Error;
use zabkeeper_models::tree as model;
use zabkeeper_models::{ErrorCode, SessionId, Zxid};

/// A wire value the core cannot represent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ConvertError {
    #[error("error code {0} is not a ZooKeeper error code")]
    UnknownErrorCode(i32),
}

fn zxid_to_wire(zxid: Zxid) -> i64 {
    zxid.0 as i64
}

fn zxid_from_wire(zxid: i64) -> Zxid {
    Zxid(zxid as u64)
}

impl From<&model::Id> for wire::Id {
    fn from(id: &model::Id) -> wire::Id {
        wire::Id {
            scheme: id.scheme.clone(),
            id: id.id.clone(),
        }
    }
}

impl From<&wire::Id> for model::Id {
    fn from(id: &wire::Id) -> model::Id {
        model::Id::new(&id.scheme, &id.id)
    }
}

impl From<&model::Acl> for wire::Acl {
    fn from(acl: &model::Acl) -> wire::Acl {
        wire::Acl {
            perms: acl.perms,
            id: (&acl.id).into(),
        }
    }
}

impl From<&wire::Acl> for model::Acl {
    fn from(acl: &wire::Acl) -> model::Acl {
        model::Acl::new(acl.perms, (&acl.id).into())
    }
}

fn acl_to_wire(acl: &[model::Acl]) -> Vec<wire::Acl> {
    acl.iter().map(wire::Acl::from).collect()
}

fn acl_from_wire(acl: &[wire::Acl]) -> Vec<model::Acl> {
    acl.iter().map(model::Acl::from).collect()
}

impl From<&model::Stat> for wire::Stat {
    fn from(stat: &model::Stat) -> wire::Stat {
        wire::Stat {
            czxid: zxid_to_wire(stat.czxid),
            mzxid: zxid_to_wire(stat.mzxid),
            ctime_ms: stat.ctime_ms,
            mtime_ms: stat.mtime_ms,
            version: stat.version,
            cversion: stat.cversion,
            aversion: stat.aversion,
            ephemeral_owner: stat.ephemeral_owner,
            data_length: stat.data_length,
            num_children: stat.num_children,
            pzxid: zxid_to_wire(stat.pzxid),
        }
    }
}

impl From<&wire::Stat> for model::Stat {
    fn from(stat: &wire::Stat) -> model::Stat {
        model::Stat {
            czxid: zxid_from_wire(stat.czxid),
            mzxid: zxid_from_wire(stat.mzxid),
            ctime_ms: stat.ctime_ms,
            mtime_ms: stat.mtime_ms,
            version: stat.version,
            cversion: stat.cversion,
            aversion: stat.aversion,
            ephemeral_owner: stat.ephemeral_owner,
            data_length: stat.data_length,
            num_children: stat.num_children,
            pzxid: zxid_from_wire(stat.pzxid),
        }
    }
}

impl From<&model::StatPersisted> for wire::StatPersisted {
    fn from(stat: &model::StatPersisted) -> wire::StatPersisted {
        wire::StatPersisted {
            czxid: zxid_to_wire(stat.czxid),
            mzxid: zxid_to_wire(stat.mzxid),
            ctime_ms: stat.ctime_ms,
            mtime_ms: stat.mtime_ms,
            version: stat.version,
            cversion: stat.cversion,
            aversion: stat.aversion,
            ephemeral_owner: stat.ephemeral_owner,
            pzxid: zxid_to_wire(stat.pzxid),
        }
    }
}

impl From<&wire::StatPersisted> for model::StatPersisted {
    fn from(stat: &wire::StatPersisted) -> model::StatPersisted {
        model::StatPersisted {
            czxid: zxid_from_wire(stat.czxid),
            mzxid: zxid_from_wire(stat.mzxid),
            ctime_ms: stat.ctime_ms,
            mtime_ms: stat.mtime_ms,
            version: stat.version,
            cversion: stat.cversion,
            aversion: stat.aversion,
            ephemeral_owner: stat.ephemeral_owner,
            pzxid: zxid_from_wire(stat.pzxid),
        }
    }
}

impl From<&model::TxnHeader> for wire::TxnHeader {
    fn from(header: &model::TxnHeader) -> wire::TxnHeader {
        wire::TxnHeader {
            client_id: header.client_id.0,
            cxid: header.cxid,
            zxid: zxid_to_wire(header.zxid),
            time_ms: header.time_ms,
            txn_type: header.txn_type,
        }
    }
}

impl From<&wire::TxnHeader> for model::TxnHeader {
    fn from(header: &wire::TxnHeader) -> model::TxnHeader {
        model::TxnHeader {
            client_id: SessionId(header.client_id),
            cxid: header.cxid,
            zxid: zxid_from_wire(header.zxid),
            time_ms: header.time_ms,
            txn_type: header.txn_type,
        }
    }
}

fn create_to_wire(txn: &model::CreateTxn) -> wire::CreateTxn {
    wire::CreateTxn {
        path: txn.path.clone(),
        data: txn.data.clone(),
        acl: acl_to_wire(&txn.acl),
        ephemeral: txn.ephemeral,
        parent_cversion: txn.parent_cversion,
    }
}

fn create_from_wire(txn: &wire::CreateTxn) -> model::CreateTxn {
    model::CreateTxn {
        path: txn.path.clone(),
        data: txn.data.clone(),
        acl: acl_from_wire(&txn.acl),
        ephemeral: txn.ephemeral,
        parent_cversion: txn.parent_cversion,
    }
}

fn set_data_to_wire(txn: &model::SetDataTxn) -> wire::SetDataTxn {
    wire::SetDataTxn {
        path: txn.path.clone(),
        data: txn.data.clone(),
        version: txn.version,
    }
}

fn set_data_from_wire(txn: &wire::SetDataTxn) -> model::SetDataTxn {
    model::SetDataTxn {
        path: txn.path.clone(),
        data: txn.data.clone(),
        version: txn.version,
    }
}

impl From<&model::Txn> for TxnBody {
    fn from(txn: &model::Txn) -> TxnBody {
        match txn {
            model::Txn::Create(create) => TxnBody::Create(create_to_wire(create)),
            model::Txn::Create2(create) => TxnBody::Create2(create_to_wire(create)),
            model::Txn::CreateContainer(create) => {
                TxnBody::CreateContainer(wire::CreateContainerTxn {
                    path: create.path.clone(),
                    data: create.data.clone(),
                    acl: acl_to_wire(&create.acl),
                    parent_cversion: create.parent_cversion,
                })
            }
            model::Txn::CreateTtl(create) => TxnBody::CreateTtl(wire::CreateTtlTxn {
                path: create.path.clone(),
                data: create.data.clone(),
                acl: acl_to_wire(&create.acl),
                parent_cversion: create.parent_cversion,
                ttl_ms: create.ttl_ms,
            }),
            model::Txn::Delete(delete) => TxnBody::Delete(wire::DeleteTxn {
                path: delete.path.clone(),
            }),
            model::Txn::DeleteContainer(delete) => TxnBody::DeleteContainer(wire::DeleteTxn {
                path: delete.path.clone(),
            }),
            model::Txn::SetData(set) => TxnBody::SetData(set_data_to_wire(set)),
            model::Txn::Reconfig(set) => TxnBody::Reconfig(set_data_to_wire(set)),
            model::Txn::SetAcl(set) => TxnBody::SetAcl(wire::SetAclTxn {
                path: set.path.clone(),
                acl: acl_to_wire(&set.acl),
                version: set.version,
            }),
            model::Txn::CheckVersion(check) => TxnBody::CheckVersion(wire::CheckVersionTxn {
                path: check.path.clone(),
                version: check.version,
            }),
            model::Txn::Multi(txns) => TxnBody::Multi(txns.iter().map(TxnBody::from).collect()),
            model::Txn::CreateSession(create) => TxnBody::CreateSession(wire::CreateSessionTxn {
                timeout_ms: create.timeout_ms,
            }),
            model::Txn::CloseSession(close) => TxnBody::CloseSession(Some(wire::CloseSessionTxn {
                paths_to_delete: close.paths_to_delete.clone(),
            })),
            model::Txn::Error(error) => TxnBody::Error(wire::ErrorTxn {
                err: error.err.code(),
            }),
        }
    }
}

impl TryFrom<&TxnBody> for model::Txn {
    type Error = ConvertError;

    fn try_from(body: &TxnBody) -> Result<model::Txn, ConvertError> {
        Ok(match body {
            TxnBody::Create(create) => model::Txn::Create(create_from_wire(create)),
            // ZooKeeper reads a pre-3.3 create as one whose parent cversion is unknown (-1).
            TxnBody::CreateV0(create) => model::Txn::Create(model::CreateTxn {
                path: create.path.clone(),
                data: create.data.clone(),
                acl: acl_from_wire(&create.acl),
                ephemeral: create.ephemeral,
                parent_cversion: -1,
            }),
            TxnBody::Create2(create) => model::Txn::Create2(create_from_wire(create)),
            TxnBody::CreateContainer(create) => {
                model::Txn::CreateContainer(model::CreateContainerTxn {
                    path: create.path.clone(),
                    data: create.data.clone(),
                    acl: acl_from_wire(&create.acl),
                    parent_cversion: create.parent_cversion,
                })
            }
            TxnBody::CreateTtl(create) => model::Txn::CreateTtl(model::CreateTtlTxn {
                path: create.path.clone(),
                data: create.data.clone(),
                acl: acl_from_wire(&create.acl),
                parent_cversion: create.parent_cversion,
                ttl_ms: create.ttl_ms,
            }),
            TxnBody::Delete(delete) => model::Txn::Delete(model::DeleteTxn {
                path: delete.path.clone(),
            }),
            TxnBody::DeleteContainer(delete) => model::Txn::DeleteContainer(model::DeleteTxn {
                path: delete.path.clone(),
            }),
            TxnBody::SetData(set) => model::Txn::SetData(set_data_from_wire(set)),
            TxnBody::Reconfig(set) => model::Txn::Reconfig(set_data_from_wire(set)),
            TxnBody::SetAcl(set) => model::Txn::SetAcl(model::SetAclTxn {
                path: set.path.clone(),
                acl: acl_from_wire(&set.acl),
                version: set.version,
            }),
            TxnBody::CheckVersion(check) => model::Txn::CheckVersion(model::CheckVersionTxn {
                path: check.path.clone(),
                version: check.version,
            }),
            TxnBody::Multi(bodies) => model::Txn::Multi(
                bodies
                    .iter()
                    .map(model::Txn::try_from)
                    .collect::<Result<_, _>>()?,
            ),
            TxnBody::CreateSession(create) => model::Txn::CreateSession(model::CreateSessionTxn {
                timeout_ms: create.timeout_ms,
            }),
            TxnBody::CloseSession(close) => model::Txn::CloseSession(model::CloseSessionTxn {
                paths_to_delete: close
                    .as_ref()
                    .map(|close| close.paths_to_delete.clone())
                    .unwrap_or_default(),
            }),
            TxnBody::Error(error) => model::Txn::Error(model::ErrorTxn {
                err: ErrorCode::from_code(error.err)
                    .ok_or(ConvertError::UnknownErrorCode(error.err))?,
            }),
        })
    }
}

impl TxnEntry {
    /// The wire form of a txn the core prepared, with the digest to log beside it.
    pub fn from_model(
        header: &model::TxnHeader,
        txn: &model::Txn,
        digest: Option<wire::TxnDigest>,
    ) -> TxnEntry {
        TxnEntry {
            header: header.into(),
            body: txn.into(),
            digest,
        }
    }

    /// The core's view of this txn (the digest is not part of it).
    pub fn to_model(&self) -> Result<(model::TxnHeader, model::Txn), ConvertError> {
        Ok(((&self.header).into(), model::Txn::try_from(&self.body)?))
    }
}
