//! Client writes, translated: a wire request becomes the core's `WriteRequest`, and the
//! outcome of applying its txn becomes the wire reply. No decision is made here: the core
//! decided everything when it prepared and applied the txn.

use crate::proto::message::{RequestBody, ResponseBody};
use crate::proto::records::{
    self as wire, Create2Response, CreateResponse, ErrorResponse, MultiOp as WireMultiOp,
    MultiOpResult, MultiResponse, SetAclResponse, SetDataResponse,
};
use zabkeeper_models::request::{
    CheckRequest, CreateOp, CreateRequest, DeleteRequest, MultiOp, SetAclRequest, SetDataRequest,
    WriteRequest,
};
use zabkeeper_models::tree::{op_code, Acl, ApplyResult, OpResult};
use zabkeeper_models::ErrorCode;

fn acl_list(acl: &[wire::Acl]) -> Vec<Acl> {
    acl.iter().map(Acl::from).collect()
}

fn create(op: CreateOp, request: &wire::CreateRequest) -> CreateRequest {
    CreateRequest {
        op,
        path: request.path.clone(),
        data: request.data.clone(),
        acl: acl_list(&request.acl),
        flags: request.flags,
    }
}

fn create_ttl(request: &wire::CreateTtlRequest) -> CreateRequest {
    CreateRequest {
        op: CreateOp::CreateTtl {
            ttl_ms: request.ttl_ms,
        },
        path: request.path.clone(),
        data: request.data.clone(),
        acl: acl_list(&request.acl),
        flags: request.flags,
    }
}

fn delete(request: &wire::DeleteRequest) -> DeleteRequest {
    DeleteRequest {
        path: request.path.clone(),
        version: request.version,
    }
}

fn set_data(request: &wire::SetDataRequest) -> SetDataRequest {
    SetDataRequest {
        path: request.path.clone(),
        data: request.data.clone(),
        version: request.version,
    }
}

fn check(request: &wire::CheckVersionRequest) -> CheckRequest {
    CheckRequest {
        path: request.path.clone(),
        version: request.version,
    }
}

/// The core's request for a wire write, or `None` for anything that is not a write. A multi
/// that holds read ops is not a write multi: ZooKeeper answers it with an error (see
/// [`multi_mixes_reads`]).
pub fn write_request(body: &RequestBody) -> Option<WriteRequest> {
    let request = match body {
        RequestBody::Create(request) => WriteRequest::Create(create(CreateOp::Create, request)),
        RequestBody::Create2(request) => WriteRequest::Create(create(CreateOp::Create2, request)),
        RequestBody::CreateContainer(request) => {
            WriteRequest::Create(create(CreateOp::CreateContainer, request))
        }
        RequestBody::CreateTtl(request) => WriteRequest::Create(create_ttl(request)),
        RequestBody::Delete(request) => WriteRequest::Delete(delete(request)),
        RequestBody::SetData(request) => WriteRequest::SetData(set_data(request)),
        RequestBody::SetAcl(request) => WriteRequest::SetAcl(SetAclRequest {
            path: request.path.clone(),
            acl: acl_list(&request.acl),
            version: request.version,
        }),
        RequestBody::Check(request) => WriteRequest::Check(check(request)),
        RequestBody::Multi(multi) => {
            let mut ops = Vec::with_capacity(multi.ops.len());
            for op in &multi.ops {
                ops.push(match op {
                    WireMultiOp::Create(request) => {
                        MultiOp::Create(create(CreateOp::Create, request))
                    }
                    WireMultiOp::Create2(request) => {
                        MultiOp::Create(create(CreateOp::Create2, request))
                    }
                    WireMultiOp::CreateContainer(request) => {
                        MultiOp::Create(create(CreateOp::CreateContainer, request))
                    }
                    WireMultiOp::CreateTtl(request) => MultiOp::Create(create_ttl(request)),
                    WireMultiOp::Delete(request) => MultiOp::Delete(delete(request)),
                    WireMultiOp::SetData(request) => MultiOp::SetData(set_data(request)),
                    WireMultiOp::Check(request) => MultiOp::Check(check(request)),
                    WireMultiOp::GetChildren(_) | WireMultiOp::GetData(_) => return None,
                });
            }
            WriteRequest::Multi(ops)
        }
        RequestBody::CloseSession => WriteRequest::CloseSession,
        RequestBody::Reconfig(request) => {
            WriteRequest::Reconfig(zabkeeper_models::request::ReconfigRequest {
                joining_servers: request.joining_servers.clone(),
                leaving_servers: request.leaving_servers.clone(),
                new_members: request.new_members.clone(),
                current_config_id: request.current_config_id,
            })
        }
        _ => return None,
    };
    Some(request)
}

/// A multi (opcode 14) carrying read ops, which ZooKeeper refuses.
pub fn multi_mixes_reads(body: &RequestBody) -> bool {
    matches!(body, RequestBody::Multi(multi) if multi.ops.iter().any(WireMultiOp::is_read))
}

/// The reply to a write whose txn was applied with `outcome`: the error for the reply header
/// and the body. `request_op` is the op code the client sent (create and create2 log the same
/// txn but answer differently).
pub fn write_reply(request_op: i32, outcome: &ApplyResult) -> (ErrorCode, ResponseBody) {
    if let Some(results) = &outcome.multi_results {
        return (ErrorCode::Ok, ResponseBody::Multi(multi_reply(results)));
    }
    if outcome.err != ErrorCode::Ok {
        return (outcome.err, ResponseBody::Empty);
    }
    let body = single_reply(request_op, &outcome.path, outcome.stat.as_ref());
    (ErrorCode::Ok, body)
}

fn single_reply(
    request_op: i32,
    path: &Option<String>,
    stat: Option<&zabkeeper_models::tree::Stat>,
) -> ResponseBody {
    let path = path.clone().unwrap_or_default();
    let stat = stat.map(wire::Stat::from).unwrap_or_default();
    match request_op {
        op_code::CREATE => ResponseBody::Create(CreateResponse { path }),
        op_code::CREATE2 | op_code::CREATE_CONTAINER | op_code::CREATE_TTL => {
            ResponseBody::Create2(Create2Response { path, stat })
        }
        op_code::SET_DATA => ResponseBody::SetData(SetDataResponse { stat }),
        op_code::SET_ACL => ResponseBody::SetAcl(SetAclResponse { stat }),
        _ => ResponseBody::Empty,
    }
}

fn multi_reply(results: &[OpResult]) -> MultiResponse {
    let failed = results.iter().any(|result| result.err != ErrorCode::Ok);
    let results = results
        .iter()
        .map(|result| {
            if failed {
                // A failed multi answers every op with its error code (0 before the failure).
                return MultiOpResult::Error(ErrorResponse {
                    err: result.err.code(),
                });
            }
            let path = result.path.clone().unwrap_or_default();
            let stat = result
                .stat
                .as_ref()
                .map(wire::Stat::from)
                .unwrap_or_default();
            match result.txn_type {
                op_code::CREATE => MultiOpResult::Create(CreateResponse { path }),
                op_code::CREATE2 | op_code::CREATE_CONTAINER | op_code::CREATE_TTL => {
                    MultiOpResult::Create2(Create2Response { path, stat })
                }
                op_code::DELETE | op_code::DELETE_CONTAINER => MultiOpResult::Delete,
                op_code::SET_DATA => MultiOpResult::SetData(SetDataResponse { stat }),
                _ => MultiOpResult::Check,
            }
        })
        .collect();
    MultiResponse { results }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tests::strategies::request_body;
    use proptest::prelude::*;
    use zabkeeper_models::request::Passage;

    proptest! {
        /// The core's classification by op code (`Passage::of_request`, which the core's
        /// session order uses) agrees with this translation: exactly the requests that become
        /// a txn here, and sync, go round the leader.
        #[test]
        fn a_request_goes_round_the_leader_exactly_when_it_becomes_a_txn(body in request_body()) {
            let passage = Passage::of_request(body.op_code() as i32, multi_mixes_reads(&body));
            let becomes_txn = write_request(&body).is_some();
            let is_sync = matches!(body, RequestBody::Sync(_));
            prop_assert_eq!(passage == Passage::ThroughLeader, becomes_txn || is_sync);
        }
    }
}
