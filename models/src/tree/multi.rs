//! Applying a multi (`MultiTxn`). All-or-nothing is decided at prep time: when any op fails
//! there, the leader logs the multi with an Error txn at that op, and applying it changes
//! nothing; ops before the failed one report Ok and ops after it RuntimeInconsistency, which is
//! what the client sees per op. A multi without Error txns applies op by op under the multi's
//! header (one zxid, one time); during replay an op may then fail on its own, as in ZooKeeper.

use super::apply::OpResult;
use super::txn::{op_code, Txn, TxnHeader};
use super::DataTree;
use crate::error::ErrorCode;
use crate::watch::EventType;

impl DataTree {
    pub(super) fn apply_multi(
        &mut self,
        header: &TxnHeader,
        ops: &[Txn],
        events: &mut Vec<(EventType, String)>,
    ) -> (OpResult, Vec<OpResult>) {
        for op in ops {
            assert!(op.is_allowed_in_multi(), "{op:?} cannot be part of a multi");
        }
        let failed_at_prep = ops.iter().any(|op| matches!(op, Txn::Error(_)));
        let mut after_failure = false;
        let mut first_error = ErrorCode::Ok;
        let mut op_results = Vec::with_capacity(ops.len());
        for op in ops {
            let op_result = if !failed_at_prep {
                self.apply_op(header, op, events)
            } else if let Txn::Error(_) = op {
                after_failure = true;
                self.apply_op(header, op, events)
            } else {
                OpResult {
                    txn_type: op_code::ERROR,
                    err: if after_failure {
                        ErrorCode::RuntimeInconsistency
                    } else {
                        ErrorCode::Ok
                    },
                    path: None,
                    stat: None,
                }
            };
            if first_error == ErrorCode::Ok {
                first_error = op_result.err;
            }
            op_results.push(op_result);
        }
        let result = OpResult {
            txn_type: op_code::MULTI,
            err: first_error,
            path: None,
            stat: None,
        };
        (result, op_results)
    }
}
