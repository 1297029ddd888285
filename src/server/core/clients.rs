//! The core's side of client connections: the handshake (its decisions are the model's, in
//! `session::handshake`), requests turned into writes for the peer or answered as reads,
//! authentication, and the replies and closes that follow applied txns.

use super::*;

impl Core {
    /// The connections bound to `session`.
    pub(super) fn connections_of(&self, session: SessionId) -> Vec<ConnectionId> {
        self.connections
            .iter()
            .filter(|(_, connection)| connection.session.as_ref().is_some_and(|s| s.id == session))
            .map(|(id, _)| *id)
            .collect()
    }

    /// A closeSession was applied (and its watches are gone, `WatchRegistry::applied`): the
    /// session's connection closes, after its reply if the client asked for the close.
    pub(super) fn session_closed(&mut self, session: SessionId) {
        let connections = self.connections_of(session);
        let closed_by_client = self
            .pending_writes
            .iter()
            .any(|((pending, _), write)| *pending == session && write.op == op_code::CLOSE_SESSION);
        for connection in connections {
            // A client that closed its session gets the reply first; the close follows it.
            if !closed_by_client {
                self.batch_outbound.push((
                    connection,
                    Outbound::Close {
                        reason: format!("session 0x{:x} expired", session.0),
                    },
                ));
            }
        }
    }

    pub(super) fn write_committed(&mut self, connection: ConnectionId, zxid: Zxid, txn: &Prepared) {
        let key = (txn.header.client_id, txn.header.cxid);
        let Some(pending) = self.pending_writes.remove(&key) else {
            return;
        };
        debug_assert_eq!(pending.connection, connection);
        self.batch_arrivals.push(pending.arrived);
        let Some(outcome) = self.batch_outcomes.get(&zxid).cloned() else {
            unreachable!("the peer sends Applied before WriteCommitted for {zxid}");
        };
        if pending.op == op_code::CREATE_SESSION {
            self.session_created(connection, txn, &outcome);
            return;
        }
        let (err, body) = write_reply(pending.op, &outcome);
        let reply = Response {
            header: ReplyHeader {
                xid: txn.header.cxid,
                zxid: zxid.0 as i64,
                err: err.code(),
            },
            body,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(reply)));
        if session::write_error_closes_connection(txn.error()) {
            self.close(
                connection,
                format!(
                    "session 0x{:x} moved to another server",
                    txn.header.client_id.0
                ),
            );
            return;
        }
        if pending.op == op_code::CLOSE_SESSION {
            self.batch_outbound.push((
                connection,
                Outbound::Close {
                    reason: "the client closed its session".to_string(),
                },
            ));
        }
        self.step_releases.push(connection);
    }

    pub(super) fn session_created(
        &mut self,
        connection: ConnectionId,
        txn: &Prepared,
        outcome: &ApplyResult,
    ) {
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        let Some(request) = state.connecting.take() else {
            return;
        };
        let session = txn.header.client_id;
        if outcome.err != ErrorCode::Ok {
            let response = ConnectResponse::session_refused(&request);
            self.batch_outbound
                .push((connection, Outbound::Connected(response)));
            return;
        }
        let timeout_ms = match &txn.txn {
            zabkeeper_models::tree::Txn::CreateSession(create) => create.timeout_ms,
            _ => unreachable!("a createSession answers the handshake"),
        };
        self.session_accepted(connection, &request, session, timeout_ms);
    }

    /// Binds `connection` to `session` and answers its handshake with the session's timeout
    /// and password.
    fn session_accepted(
        &mut self,
        connection: ConnectionId,
        request: &ConnectRequest,
        session: SessionId,
        timeout_ms: i32,
    ) {
        if let Some(state) = self.connections.get_mut(&connection) {
            state.session = Some(Session { id: session });
        }
        let response = ConnectResponse::answering(
            request,
            timeout_ms,
            session.0,
            password::session_password(session.0).to_vec(),
            false,
        );
        self.batch_outbound
            .push((connection, Outbound::Connected(response)));
    }

    pub(super) fn connect(&mut self, connection: ConnectionId, request: ConnectRequest) {
        let handshake = Handshake {
            last_zxid_seen: request.last_zxid_seen,
            timeout_ms: request.timeout_ms,
            session_id: request.session_id,
            password_matches: password::password_matches(request.session_id, &request.password),
        };
        // The model's decision, over the last txn applied here (issue 15).
        match self.peer.decide_handshake(&self.state, handshake) {
            HandshakeDecision::WaitUntilServing => {
                self.held_handshakes
                    .push((connection, request, Instant::now()));
            }
            HandshakeDecision::Refuse(Refusal::ClientIsAhead {
                last_zxid_seen,
                last_zxid,
            }) => self.close(
                connection,
                format!(
                    "client has seen zxid 0x{last_zxid_seen:x}, our last zxid is 0x{:x}",
                    last_zxid.0
                ),
            ),
            HandshakeDecision::CreateSession { timeout_ms } => {
                let session = self
                    .session_ids
                    .next(self.peer.me, self.session_ids_start_ms);
                if let Some(state) = self.connections.get_mut(&connection) {
                    state.connecting = Some(request);
                }
                self.submit(
                    connection,
                    session,
                    0,
                    op_code::CREATE_SESSION,
                    WriteRequest::CreateSession { timeout_ms },
                );
            }
            HandshakeDecision::Resume {
                session,
                timeout_ms,
            } => {
                let Some(state) = self.connections.get_mut(&connection) else {
                    return;
                };
                state.reconnecting = Some(Reconnecting {
                    request,
                    session,
                    timeout_ms,
                    since: Instant::now(),
                });
                // Answered by `session_revalidated`: at once on the leader, on a learner when
                // its leader's answer comes back.
                self.step(TraceEvent::Message {
                    from: usize::from(actor_of(connection)),
                    message: PeerMessage::ClientRevalidate { session },
                });
            }
            HandshakeDecision::Expired { session } => {
                self.session_expired(connection, &request, session)
            }
        }
    }

    /// The leader revalidated the session `connection` reconnected with: when it lives, this
    /// server is its owner now and the handshake is answered; otherwise the client hears that
    /// its session expired.
    pub(super) fn session_revalidated(
        &mut self,
        connection: ConnectionId,
        session: SessionId,
        valid: bool,
    ) {
        let Some(state) = self.connections.get_mut(&connection) else {
            return;
        };
        let Some(reconnecting) = state.reconnecting.take_if(|held| held.session == session) else {
            return;
        };
        if valid {
            self.session_accepted(
                connection,
                &reconnecting.request,
                session,
                reconnecting.timeout_ms,
            );
        } else {
            self.session_expired(connection, &reconnecting.request, session);
        }
    }

    /// Decides again on the handshakes held while the server did not serve; it serves now.
    pub(super) fn answer_held_handshakes(&mut self) {
        for (connection, request, _) in std::mem::take(&mut self.held_handshakes) {
            if self.connections.contains_key(&connection) {
                self.connect(connection, request);
            }
        }
    }

    /// Closes the handshakes held longer than the server may take to serve again, or its
    /// leader to revalidate a session, so that their clients try elsewhere.
    pub(super) fn close_stale_handshakes(&mut self, now: Instant) {
        let hold_max = self.config.tick * HANDSHAKE_HOLD_TICKS;
        let unanswered: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter(|(_, state)| {
                state
                    .reconnecting
                    .as_ref()
                    .is_some_and(|held| now.duration_since(held.since) >= hold_max)
            })
            .map(|(connection, _)| *connection)
            .collect();
        for connection in unanswered {
            if let Some(state) = self.connections.get_mut(&connection) {
                state.reconnecting = None;
            }
            self.close(
                connection,
                "the leader did not revalidate the session in time".to_string(),
            );
        }
        if self.held_handshakes.is_empty() {
            return;
        }
        let (stale, held): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held_handshakes)
            .into_iter()
            .partition(|(_, _, arrived)| now.duration_since(*arrived) >= hold_max);
        self.held_handshakes = held;
        for (connection, _, _) in stale {
            self.close(connection, "the server is not serving yet".to_string());
        }
    }

    /// Tells the client its session is gone (timeout 0), then closes the connection.
    pub(super) fn session_expired(
        &mut self,
        connection: ConnectionId,
        request: &ConnectRequest,
        session: SessionId,
    ) {
        let response = ConnectResponse::session_refused(request);
        self.batch_outbound
            .push((connection, Outbound::Connected(response)));
        self.close(
            connection,
            format!("session 0x{:x} is expired or invalid", session.0),
        );
    }

    pub(super) fn submit(
        &mut self,
        connection: ConnectionId,
        session: SessionId,
        xid: i32,
        op: i32,
        request: WriteRequest,
    ) {
        let auth = self
            .connections
            .get(&connection)
            .map(|state| state.auth.clone())
            .unwrap_or_default();
        self.pending_writes.insert(
            (session, xid),
            PendingWrite {
                connection,
                op,
                arrived: Instant::now(),
            },
        );
        let request = ClientRequest {
            session,
            cxid: xid,
            owner: self.config.me,
            auth,
            time_ms: wall_clock_ms(),
            request,
        };
        self.step(TraceEvent::Message {
            from: usize::from(actor_of(connection)),
            message: PeerMessage::ClientWrite { request },
        });
    }

    /// A sign of life of `session`: false when the leader knows it no more.
    fn touch_session(&mut self, session: SessionId, now_ms: u64) -> bool {
        match self.step(TraceEvent::TouchSession { session, now_ms }) {
            Answer::Alive(alive) => alive,
            other => unreachable!("a touch answers whether the session lives, not {other:?}"),
        }
    }

    pub(super) fn close(&mut self, connection: ConnectionId, reason: String) {
        self.batch_outbound
            .push((connection, Outbound::Close { reason }));
    }

    pub(super) fn reply(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        err: ErrorCode,
        body: ResponseBody,
    ) {
        let response = Response {
            header: ReplyHeader {
                xid,
                zxid: self.last_zxid().0 as i64,
                err: err.code(),
            },
            body,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(response)));
    }

    /// A reply that no txn stands behind, with zxid 0 and no body.
    pub(super) fn reply_outside_history(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        err: ErrorCode,
    ) {
        let response = Response {
            header: ReplyHeader {
                xid,
                zxid: 0,
                err: err.code(),
            },
            body: ResponseBody::Empty,
        };
        self.batch_outbound
            .push((connection, Outbound::Reply(response)));
    }

    /// The session a request on `connection` runs in, touched by it; `None` when the request
    /// must not run: the connection has no session (it closes), or its session expired
    /// (SessionExpired, then it closes) and the request is not the session's own close.
    pub(super) fn session_for_request(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        closes_session: bool,
    ) -> Option<SessionId> {
        let state = self.connections.get(&connection)?;
        let Some(session) = state.session.as_ref().map(|session| session.id) else {
            self.close(
                connection,
                "a request before the session was established".to_string(),
            );
            return None;
        };
        let now_ms = self.now_ms();
        let alive = self.touch_session(session, now_ms);
        if !alive && !closes_session {
            self.reply(
                connection,
                xid,
                ErrorCode::SessionExpired,
                ResponseBody::Empty,
            );
            self.close(connection, format!("session 0x{:x} expired", session.0));
            return None;
        }
        Some(session)
    }

    /// Answers a request that cannot run as sent, as ZooKeeper's pipeline does.
    pub(super) fn malformed_request(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        malformation: Malformation,
    ) {
        if self.session_for_request(connection, xid, false).is_none() {
            return;
        }
        match malformation {
            Malformation::UnknownOp(op) => {
                tracing::warn!(connection, op, "request with an unknown op code");
                // ZooKeeper's UnimplementedRequestProcessor answers under the request's own
                // zxid, which a request that never entered the pipeline does not have (-1), and
                // then closes the connection.
                let response = Response {
                    header: ReplyHeader {
                        xid,
                        zxid: -1,
                        err: ErrorCode::Unimplemented.code(),
                    },
                    body: ResponseBody::Empty,
                };
                self.batch_outbound
                    .push((connection, Outbound::Reply(response)));
                self.close(connection, format!("request with unknown op code {op}"));
            }
            Malformation::BodyDoesNotDecode { op_code, error } => {
                tracing::warn!(connection, ?op_code, %error, "request body does not decode");
                // ZooKeeper decodes a body only in its request processors, which answer one
                // that does not decode with MarshallingError and keep serving the connection.
                self.reply(
                    connection,
                    xid,
                    ErrorCode::MarshallingError,
                    ResponseBody::Empty,
                );
            }
        }
    }

    pub(super) fn request(&mut self, connection: ConnectionId, xid: i32, body: RequestBody) {
        let closes_session = matches!(body, RequestBody::CloseSession);
        let Some(session) = self.session_for_request(connection, xid, closes_session) else {
            return;
        };
        let passage = Passage::of_request(body.op_code() as i32, multi_mixes_reads(&body));
        if let Some((xid, body)) = self.clients.order.arrive(connection, passage, (xid, body)) {
            self.execute(connection, session, xid, body);
        }
    }

    /// A write or sync of `connection` came back: the requests held behind it run now.
    pub(super) fn release_held(&mut self, connection: ConnectionId) {
        let Some(session) = self
            .connections
            .get(&connection)
            .and_then(|state| state.session.as_ref())
            .map(|session| session.id)
        else {
            self.clients.order.forget(connection);
            return;
        };
        for (xid, body) in self.clients.order.returned(connection) {
            self.execute(connection, session, xid, body);
        }
    }

    /// The peer answered a sync of `connection`: it has applied what the leader had
    /// committed when the sync reached it.
    pub(super) fn synced(&mut self, connection: ConnectionId) {
        let Some((xid, path)) = self
            .connections
            .get_mut(&connection)
            .and_then(|state| state.pending_syncs.pop_front())
        else {
            return;
        };
        self.batch_arrivals.push(Instant::now());
        self.reply(
            connection,
            xid,
            ErrorCode::Ok,
            ResponseBody::Sync(crate::proto::records::SyncResponse { path }),
        );
        self.step_releases.push(connection);
    }

    /// Runs a request whose turn has come in its session's order.
    fn execute(
        &mut self,
        connection: ConnectionId,
        session: SessionId,
        xid: i32,
        body: RequestBody,
    ) {
        match body {
            RequestBody::Sync(request) => {
                let Some(state) = self.connections.get_mut(&connection) else {
                    return;
                };
                state.pending_syncs.push_back((xid, request.path));
                self.step(TraceEvent::Message {
                    from: usize::from(actor_of(connection)),
                    message: PeerMessage::ClientSync,
                });
            }
            RequestBody::Ping => self.reply(
                connection,
                special_xid::PING,
                ErrorCode::Ok,
                ResponseBody::Empty,
            ),
            RequestBody::Auth(packet) => {
                self.authenticate(connection, xid, &packet.scheme, &packet.auth)
            }
            RequestBody::Sasl(_) => {
                // SASL is not configured: ZooKeeper answers a SASL packet from a client whose
                // server has no SASL support by failing authentication.
                self.reply(connection, xid, ErrorCode::AuthFailed, ResponseBody::Empty);
            }
            ref body if multi_mixes_reads(body) => {
                self.reply(
                    connection,
                    xid,
                    ErrorCode::BadArguments,
                    ResponseBody::Empty,
                );
            }
            ref body => {
                if let Some(write) = write_request(body) {
                    let op = body.op_code().code();
                    self.submit(connection, session, xid, op, write);
                    return;
                }
                let Some(database) = self.state.read_view() else {
                    // The peer stopped serving earlier in this batch; its connections close
                    // when the batch ends (`stopped_serving`), as ZooKeeper has closed them
                    // by then, so the read is not answered from a state no leader confirms.
                    self.close(connection, "the server stopped serving".to_string());
                    return;
                };
                let auth = self.connections[&connection].auth.clone();
                let mut scope = ReadScope {
                    database,
                    access: &self.config.access,
                    auth: &auth,
                    session,
                    watches: &mut self.clients.watches,
                    watcher: connection,
                };
                match scope.answer(body) {
                    Some(reply) => {
                        self.batch_arrivals.push(Instant::now());
                        for event in reply.immediate {
                            let notification = notification(
                                event.event_type.code(),
                                event.keeper_state.code(),
                                event.path,
                            );
                            self.batch_outbound
                                .push((connection, Outbound::Reply(notification)));
                        }
                        self.reply(connection, xid, reply.err, reply.body);
                    }
                    None => {
                        tracing::warn!(connection, op = ?body.op_code(), "request with no handler");
                        self.reply(
                            connection,
                            xid,
                            ErrorCode::Unimplemented,
                            ResponseBody::Empty,
                        );
                    }
                }
            }
        }
    }

    /// ZooKeeper answers an auth packet under the xid it came with (clients use -4, but not
    /// all) and zxid 0: authentication is no txn.
    pub(super) fn authenticate(
        &mut self,
        connection: ConnectionId,
        xid: i32,
        scheme: &str,
        credentials: &[u8],
    ) {
        let id = match scheme {
            "digest" => auth::digest_id(credentials),
            _ => None,
        };
        match id {
            Some(id) => {
                if let Some(state) = self.connections.get_mut(&connection) {
                    if !state.auth.contains(&id) {
                        state.auth.push(id);
                    }
                }
                self.reply_outside_history(connection, xid, ErrorCode::Ok);
            }
            None => {
                // ZooKeeper answers a failed authentication and then closes the connection.
                self.reply_outside_history(connection, xid, ErrorCode::AuthFailed);
                self.close(
                    connection,
                    format!("authentication with scheme {scheme:?} failed"),
                );
            }
        }
    }
}
