//! Client reads and the session-local ops (watches, sync, whoAmI), answered from the applied
//! database by the core's task, in order with the session's writes. Permission rules, the reads
//! that leave watches and watch semantics are the core's (`request::check_read`,
//! `request::Reader`, `watch::WatchRegistry`); this file only translates.

use crate::proto::message::{RequestBody, ResponseBody};
use crate::proto::records::{
    self as wire, ClientInfo, ExistsResponse, GetAclResponse, GetAllChildrenNumberResponse,
    GetChildren2Response, GetChildrenResponse, GetDataResponse, GetEphemeralsResponse, MultiOp,
    MultiOpResult, MultiResponse, WhoAmIResponse,
};
use zabkeeper_models::mutation::Mutations;
use zabkeeper_models::replica::Database;
use zabkeeper_models::request::{
    check_read, get_acl, read_node_path, AccessControl, ReadOp, Reader,
};
use zabkeeper_models::tree::Id;
use zabkeeper_models::watch::{AddWatchMode, WatchPaths, WatchRegistry, WatchedEvent, WatcherType};
use zabkeeper_models::{ErrorCode, SessionId, Zxid};

/// Who watches: a client connection of this server.
pub type Watcher = u64;

/// What a read sees and may change.
pub struct ReadScope<'a> {
    pub database: &'a Database,
    pub access: &'a AccessControl,
    pub auth: &'a [Id],
    pub session: SessionId,
    pub watches: &'a mut WatchRegistry<Watcher>,
    pub watcher: Watcher,
}

/// A read's answer: the reply header's error and body, and notifications the request fired at
/// once (setWatches for watches that would already have fired), sent before the reply.
pub struct ReadReply {
    pub err: ErrorCode,
    pub body: ResponseBody,
    pub immediate: Vec<WatchedEvent>,
}

impl ReadReply {
    fn ok(body: ResponseBody) -> ReadReply {
        ReadReply {
            err: ErrorCode::Ok,
            body,
            immediate: Vec::new(),
        }
    }

    fn error(err: ErrorCode) -> ReadReply {
        ReadReply {
            err,
            body: ResponseBody::Empty,
            immediate: Vec::new(),
        }
    }
}

impl ReadScope<'_> {
    /// The core's reader for this request: every read that can leave a watch is its decision.
    fn reader(&mut self) -> Reader<'_, Watcher> {
        Reader {
            tree: &self.database.tree,
            access: self.access,
            auth: self.auth,
            watches: self.watches,
            watcher: &self.watcher,
            mutations: Mutations::NONE,
        }
    }

    fn get_data(&mut self, path: &str, watch: bool) -> Result<GetDataResponse, ErrorCode> {
        let (data, stat) = self.reader().get_data(path, watch)?;
        Ok(GetDataResponse {
            data,
            stat: wire::Stat::from(&stat),
        })
    }

    fn get_children(
        &mut self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, wire::Stat), ErrorCode> {
        let (children, stat) = self.reader().get_children(path, watch)?;
        Ok((children, wire::Stat::from(&stat)))
    }

    fn exists(&mut self, path: &str, watch: bool) -> ReadReply {
        match self.reader().exists(path, watch) {
            Ok(stat) => ReadReply::ok(ResponseBody::Exists(ExistsResponse {
                stat: wire::Stat::from(&stat),
            })),
            Err(err) => ReadReply::error(err),
        }
    }

    fn multi_read(&mut self, ops: &[MultiOp]) -> ReadReply {
        // Each op of a multiRead stands alone: a failed one answers its error, the others
        // their result (no atomicity to keep for reads).
        let results = ops
            .iter()
            .map(|op| match op {
                MultiOp::GetData(request) => match self.get_data(&request.path, request.watch) {
                    Ok(response) => MultiOpResult::GetData(response),
                    Err(err) => MultiOpResult::Error(wire::ErrorResponse { err: err.code() }),
                },
                MultiOp::GetChildren(request) => {
                    match self.get_children(&request.path, request.watch) {
                        Ok((children, _)) => {
                            MultiOpResult::GetChildren(GetChildrenResponse { children })
                        }
                        Err(err) => MultiOpResult::Error(wire::ErrorResponse { err: err.code() }),
                    }
                }
                _ => MultiOpResult::Error(wire::ErrorResponse {
                    err: ErrorCode::BadArguments.code(),
                }),
            })
            .collect();
        ReadReply::ok(ResponseBody::Multi(MultiResponse { results }))
    }

    /// The answer to a read or session-local request, or `None` when `body` is neither.
    pub fn answer(&mut self, body: &RequestBody) -> Option<ReadReply> {
        let reply = match body {
            RequestBody::Exists(request) => self.exists(&request.path, request.watch),
            RequestBody::GetData(request) => match self.get_data(&request.path, request.watch) {
                Ok(response) => ReadReply::ok(ResponseBody::GetData(response)),
                Err(err) => ReadReply::error(err),
            },
            RequestBody::GetChildren(request) => {
                match self.get_children(&request.path, request.watch) {
                    Ok((children, _)) => {
                        ReadReply::ok(ResponseBody::GetChildren(GetChildrenResponse { children }))
                    }
                    Err(err) => ReadReply::error(err),
                }
            }
            RequestBody::GetChildren2(request) => {
                match self.get_children(&request.path, request.watch) {
                    Ok((children, stat)) => {
                        ReadReply::ok(ResponseBody::GetChildren2(GetChildren2Response {
                            children,
                            stat,
                        }))
                    }
                    Err(err) => ReadReply::error(err),
                }
            }
            RequestBody::GetAcl(request) => {
                match read_node_path(ReadOp::GetAcl, &request.path).and_then(|node_path| {
                    get_acl(&self.database.tree, self.access, self.auth, node_path)
                }) {
                    Ok((acl, stat)) => ReadReply::ok(ResponseBody::GetAcl(GetAclResponse {
                        acl: acl.iter().map(wire::Acl::from).collect(),
                        stat: wire::Stat::from(&stat),
                    })),
                    Err(err) => ReadReply::error(err),
                }
            }
            RequestBody::GetAllChildrenNumber(request) => {
                let checked = read_node_path(ReadOp::GetAllChildrenNumber, &request.path).and_then(
                    |node_path| {
                        check_read(
                            &self.database.tree,
                            self.access,
                            self.auth,
                            ReadOp::GetAllChildrenNumber,
                            node_path,
                        )
                        .map(|()| node_path)
                    },
                );
                match checked {
                    Ok(node_path) => {
                        let total = self
                            .database
                            .tree
                            .all_children_number(node_path)
                            .unwrap_or(0);
                        ReadReply::ok(ResponseBody::GetAllChildrenNumber(
                            GetAllChildrenNumberResponse {
                                total_number: i32::try_from(total).unwrap_or(i32::MAX),
                            },
                        ))
                    }
                    Err(err) => ReadReply::error(err),
                }
            }
            RequestBody::GetEphemerals(request) => {
                let ephemerals = self
                    .database
                    .tree
                    .ephemerals(self.session)
                    .into_iter()
                    .filter(|path| path.starts_with(&request.prefix_path))
                    .collect();
                ReadReply::ok(ResponseBody::GetEphemerals(GetEphemeralsResponse {
                    ephemerals,
                }))
            }
            RequestBody::MultiRead(multi) => self.multi_read(&multi.ops),
            RequestBody::WhoAmI => ReadReply::ok(ResponseBody::WhoAmI(WhoAmIResponse {
                client_info: self
                    .auth
                    .iter()
                    .map(|id| ClientInfo {
                        auth_scheme: id.scheme.clone(),
                        user: user_name(&id.scheme, &id.id),
                    })
                    .collect(),
            })),
            RequestBody::AddWatch(request) => match AddWatchMode::from_code(request.mode) {
                Some(mode) => {
                    self.watches
                        .add_persistent_watch(&request.path, &self.watcher, mode);
                    ReadReply::ok(ResponseBody::AddWatch(wire::ErrorResponse { err: 0 }))
                }
                None => ReadReply::error(ErrorCode::BadArguments),
            },
            RequestBody::CheckWatches(request) => {
                match WatcherType::from_code(request.watcher_type) {
                    Some(watcher_type)
                        if self.watches.contains_watch(
                            &request.path,
                            &self.watcher,
                            watcher_type,
                        ) =>
                    {
                        ReadReply::ok(ResponseBody::Empty)
                    }
                    Some(_) => ReadReply::error(ErrorCode::NoWatcher),
                    None => ReadReply::error(ErrorCode::BadArguments),
                }
            }
            RequestBody::RemoveWatches(request) => {
                match WatcherType::from_code(request.watcher_type) {
                    Some(watcher_type) => match self.watches.remove_watches(
                        &request.path,
                        &self.watcher,
                        watcher_type,
                    ) {
                        Ok(()) => ReadReply::ok(ResponseBody::Empty),
                        Err(err) => ReadReply::error(err),
                    },
                    None => ReadReply::error(ErrorCode::BadArguments),
                }
            }
            RequestBody::SetWatches(request) => {
                let paths = WatchPaths {
                    data: &request.data_watches,
                    exist: &request.exist_watches,
                    child: &request.child_watches,
                    ..WatchPaths::default()
                };
                let relative_zxid = Zxid(request.relative_zxid as u64);
                let immediate = self.reader().set_watches(relative_zxid, paths);
                ReadReply {
                    err: ErrorCode::Ok,
                    body: ResponseBody::Empty,
                    immediate,
                }
            }
            RequestBody::SetWatches2(request) => {
                let paths = WatchPaths {
                    data: &request.data_watches,
                    exist: &request.exist_watches,
                    child: &request.child_watches,
                    persistent: &request.persistent_watches,
                    persistent_recursive: &request.persistent_recursive_watches,
                };
                let relative_zxid = Zxid(request.relative_zxid as u64);
                let immediate = self.reader().set_watches(relative_zxid, paths);
                ReadReply {
                    err: ErrorCode::Ok,
                    body: ResponseBody::Empty,
                    immediate,
                }
            }
            _ => return None,
        };
        Some(reply)
    }
}

/// The user an authenticated id names, as whoAmI reports it: ZooKeeper's digest provider gives
/// the name before the colon of `user:hash`; every other scheme's id is its user.
fn user_name(scheme: &str, id: &str) -> String {
    match (scheme, id.split_once(':')) {
        ("digest", Some((user, _hash))) => user.to_string(),
        _ => id.to_string(),
    }
}
