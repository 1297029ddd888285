//! The preparer: dispatch, multis, and the session requests. The node ops live in `node_ops`.

use super::changes::{ChangeRecord, OutstandingChanges};
use super::{MultiOp, PrepareConfig, Prepared, RequestContext, WriteRequest};
use crate::error::ErrorCode;
use crate::ids::{SessionId, Zxid};
use crate::session::SessionTable;
use crate::tree::path::parent_path;
use crate::tree::{CloseSessionTxn, CreateSessionTxn, DataTree, ErrorTxn, Txn};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What one preparation reads and may change besides the outstanding changes.
pub(super) struct Scope<'a> {
    pub tree: &'a DataTree,
    pub sessions: &'a mut SessionTable,
    pub context: &'a RequestContext,
}

/// The leader's request preparation state: the outstanding changes of prepared, not yet
/// applied txns. Volatile: a new leader starts empty (its tree holds everything committed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Preparer {
    pub(super) config: PrepareConfig,
    pub(super) changes: OutstandingChanges,
    last_prepared_zxid: Option<Zxid>,
}

impl Preparer {
    pub fn new(config: PrepareConfig) -> Preparer {
        Preparer {
            config,
            changes: OutstandingChanges::new(),
            last_prepared_zxid: None,
        }
    }

    pub fn config(&self) -> &PrepareConfig {
        &self.config
    }

    pub fn changes(&self) -> &OutstandingChanges {
        &self.changes
    }

    /// Prepares `request` as the txn `context.zxid`, checked against `tree` plus the
    /// outstanding changes; records what the txn will change. Session checks go to `sessions`
    /// (a createSession is tracked there, a closeSession marks its session closing). Always
    /// returns a txn to propose: failures are Error txns.
    pub fn prepare(
        &mut self,
        tree: &DataTree,
        sessions: &mut SessionTable,
        context: &RequestContext,
        request: &WriteRequest,
    ) -> Prepared {
        if let Some(last) = self.last_prepared_zxid {
            assert!(
                context.zxid > last,
                "zxids are prepared in increasing order"
            );
        }
        self.last_prepared_zxid = Some(context.zxid);
        let mut scope = Scope {
            tree,
            sessions,
            context,
        };
        let txn = match request {
            WriteRequest::Multi(ops) => self.prepare_multi(&mut scope, ops),
            single => self
                .prepare_single(&mut scope, single)
                .unwrap_or_else(|err| Txn::Error(ErrorTxn { err })),
        };
        let header = txn.header(context.session, context.cxid, context.zxid, context.time_ms);
        Prepared { header, txn }
    }

    fn prepare_single(
        &mut self,
        scope: &mut Scope,
        request: &WriteRequest,
    ) -> Result<Txn, ErrorCode> {
        match request {
            WriteRequest::Create(create) => self.prepare_create(scope, create),
            WriteRequest::Delete(delete) => self.prepare_delete(scope, delete),
            WriteRequest::DeleteContainer { path } => self.prepare_delete_container(scope, path),
            WriteRequest::SetData(set) => self.prepare_set_data(scope, set),
            WriteRequest::SetAcl(set) => self.prepare_set_acl(scope, set),
            WriteRequest::Check(check) => self.prepare_check(scope, check),
            WriteRequest::CreateSession { timeout_ms } => {
                Self::prepare_create_session(scope, *timeout_ms)
            }
            WriteRequest::CloseSession => Ok(self.prepare_close_session(scope)),
            // Zabkeeper does not implement dynamic reconfiguration; ZooKeeper with
            // reconfigEnabled=false answers every reconfig so, before any other check.
            WriteRequest::Reconfig(_) => Err(ErrorCode::ReconfigDisabled),
            WriteRequest::Multi(_) => unreachable!("multis are prepared by prepare_multi"),
        }
    }

    /// All or nothing: ops are prepared in order, each seeing the changes of the ones before.
    /// At the first failure the multi's changes are rolled back; that op becomes an Error txn
    /// with its code and every later op an Error txn with RuntimeInconsistency. Earlier ops keep
    /// their txns, as in ZooKeeper's log; applying the multi skips them because it holds an
    /// Error txn (they reply Ok).
    fn prepare_multi(&mut self, scope: &mut Scope, ops: &[MultiOp]) -> Txn {
        self.changes.begin_batch();
        let mut txns = Vec::with_capacity(ops.len());
        let mut failed = false;
        for op in ops {
            if failed {
                txns.push(Txn::Error(ErrorTxn {
                    err: ErrorCode::RuntimeInconsistency,
                }));
                continue;
            }
            let prepared = match op {
                MultiOp::Create(create) => self.prepare_create(scope, create),
                MultiOp::Delete(delete) => self.prepare_delete(scope, delete),
                MultiOp::SetData(set) => self.prepare_set_data(scope, set),
                MultiOp::Check(check) => self.prepare_check(scope, check),
            };
            match prepared {
                Ok(txn) => {
                    assert!(
                        txn.is_allowed_in_multi(),
                        "{txn:?} cannot be part of a multi"
                    );
                    txns.push(txn);
                }
                Err(err) => {
                    failed = true;
                    self.changes.rollback_batch();
                    txns.push(Txn::Error(ErrorTxn { err }));
                }
            }
        }
        if !failed {
            self.changes.commit_batch();
        }
        assert_eq!(txns.len(), ops.len());
        Txn::Multi(txns)
    }

    /// Tracks the session (its expiry starts now) and binds it to the server the client is
    /// connected to.
    fn prepare_create_session(scope: &mut Scope, timeout_ms: i32) -> Result<Txn, ErrorCode> {
        // The accepting server clamps timeouts to at least minSessionTimeout; anything else
        // is a broken peer, not a session.
        if timeout_ms <= 0 {
            return Err(ErrorCode::BadArguments);
        }
        let context = scope.context;
        scope
            .sessions
            .track(context.session, timeout_ms, context.now_ms);
        scope.sessions.set_owner(context.session, context.owner)?;
        Ok(Txn::CreateSession(CreateSessionTxn { timeout_ms }))
    }

    /// Deletes every ephemeral the session will own once the outstanding txns are applied:
    /// committed ones not deleted by an outstanding txn, plus outstanding creates. No session
    /// check (the expirer sends this for sessions nobody owns); the session is closing from now.
    fn prepare_close_session(&mut self, scope: &mut Scope) -> Txn {
        let context = scope.context;
        let paths = self.ephemerals_after_outstanding(scope.tree, context.session);
        for path in &paths {
            let parent = parent_path(path).expect("an ephemeral is never the root");
            // Unlike ZooKeeper (which only moves the parent's pzxid here), the parent's child
            // count drops too, so a delete of the parent prepared next is not refused NotEmpty.
            let mut parent_node = self
                .changes
                .node(scope.tree, parent)
                .expect("an ephemeral's parent exists");
            assert!(parent_node.child_count > 0, "{parent} counts {path}");
            parent_node.child_count -= 1;
            parent_node.stat.pzxid = context.zxid;
            self.changes.add(ChangeRecord {
                zxid: context.zxid,
                path: parent.to_string(),
                node: Some(parent_node),
            });
            self.changes.add(ChangeRecord {
                zxid: context.zxid,
                path: path.clone(),
                node: None,
            });
        }
        scope.sessions.set_closing(context.session);
        Txn::CloseSession(CloseSessionTxn {
            paths_to_delete: paths.into_iter().collect(),
        })
    }

    fn ephemerals_after_outstanding(
        &self,
        tree: &DataTree,
        session: SessionId,
    ) -> BTreeSet<String> {
        // Owner 0 means persistent; no session has that id.
        let owned_by_session = |path: &str| {
            session.0 != 0
                && self
                    .changes
                    .node(tree, path)
                    .is_some_and(|node| node.stat.ephemeral_owner == session.0)
        };
        let committed = tree.ephemerals(session).into_iter();
        let outstanding = self.changes.latest().map(|record| record.path.clone());
        committed
            .chain(outstanding)
            .filter(|path| owned_by_session(path))
            .collect()
    }

    /// The txn `zxid` was applied to the tree: retire the outstanding changes up to it. Call
    /// right after applying, before preparing anything else.
    pub fn on_applied(&mut self, zxid: Zxid) {
        if let Some(last) = self.last_prepared_zxid {
            assert!(zxid <= last, "applied {zxid} was never prepared here");
        }
        self.changes.retire_through(zxid);
    }

    /// Leadership ended (or a new one begins): forget every outstanding change. What was
    /// prepared and not committed is decided by the next leader's synchronisation, not here.
    pub fn reset(&mut self) {
        self.changes.clear();
        self.last_prepared_zxid = None;
    }
}
